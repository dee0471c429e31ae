import NRF

/// A misuse of the QSPI peripheral that real hardware would punish (silently truncated lengths,
/// bus faults, hangs). ``QSPIModel`` records each in ``QSPIModel/driverFaults``, refuses the
/// operation and still raises EVENTS_READY so the driver under test does not hang; tests assert
/// the list stays empty.
public enum QSPIModelFault: Equatable, Sendable, CustomStringConvertible {
    /// A task or custom instruction while ENABLE is 0.
    case notEnabled(QSPIRegister)
    /// A READ/WRITE/ERASE task or custom instruction before TASKS_ACTIVATE.
    case notActivated(QSPIRegister)
    /// READ.CNT / WRITE.CNT not a positive multiple of 4 (hardware ignores the low bits).
    case lengthNotWordMultiple(QSPIRegister, count: UInt32)
    /// A flash address (READ.SRC, WRITE.DST, ERASE.PTR) not aligned as required (4, or the erase
    /// length for ERASE).
    case misalignedFlashAddress(QSPIRegister, address: UInt32)
    /// A RAM address (READ.DST, WRITE.SRC) not word-aligned.
    case misalignedRAMAddress(QSPIRegister, address: UInt32)
    /// A flash range beyond the chip.
    case flashRangeOutOfBounds(QSPIRegister, address: UInt32, count: UInt32)
    /// EasyDMA outside every buffer the driver lent with `withDMA` (a bus fault on hardware, or
    /// silent corruption of other RAM).
    case dmaOutsideLentBuffer(QSPIRegister, address: UInt32, count: UInt32)
    /// ERASE.LEN not 0, 1 or 2.
    case invalidEraseLength(UInt32)
    /// CINSTRCONF.LENGTH not 1...9, or long-frame mode (not modelled).
    case invalidCustomInstruction(UInt32)
    /// An access to an offset the variant does not have (or a store to a read-only register).
    case unknownRegister(offset: UInt32, isStore: Bool)

    public var description: String {
        func h(_ v: UInt32) -> String { "0x" + String(v, radix: 16, uppercase: true) }
        switch self {
        case .notEnabled(let r): return "\(r) while ENABLE = 0"
        case .notActivated(let r): return "\(r) before TASKS_ACTIVATE"
        case .lengthNotWordMultiple(let r, let c): return "\(r): length \(c) is not a positive multiple of 4"
        case .misalignedFlashAddress(let r, let a): return "\(r): flash address \(h(a)) misaligned"
        case .misalignedRAMAddress(let r, let a): return "\(r): RAM address \(h(a)) not word-aligned"
        case .flashRangeOutOfBounds(let r, let a, let c): return "\(r): flash \(h(a)) +\(c) beyond the chip"
        case .dmaOutsideLentBuffer(let r, let a, let c): return "\(r): EasyDMA \(h(a)) +\(c) outside lent buffers"
        case .invalidEraseLength(let v): return "ERASE.LEN = \(v)"
        case .invalidCustomInstruction(let v): return "CINSTRCONF = \(h(v))"
        case .unknownRegister(let o, let s): return "\(s ? "store to" : "load from") unknown QSPI offset \(h(o))"
        }
    }
}
