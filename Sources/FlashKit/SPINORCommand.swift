/// One SPI-NOR instruction without an address phase, as a controller sends it in a single
/// chip-select cycle: the opcode, then up to 8 data bytes. Data goes out (`payload`, byte 0 first)
/// or comes back (`expectsResponse`); a full-duplex controller (the nRF QSPI custom instruction)
/// does both at once, so the same value serves either way.
///
/// Controller-independent: the nRF QSPI driver maps it to CINSTRCONF/CINSTRDAT, a host bridge
/// (FTDI MPSSE) would clock it out directly.
public struct SPINORCommand: Equatable, Sendable {
    public var opcode: UInt8
    /// Data bytes after the opcode, 0...8.
    public var dataCount: Int
    /// Bytes sent after the opcode, little-endian (byte 0 in bits 0–7).
    public var payload: UInt64
    /// True when the bytes clocked in during the data phase are the answer (RDID, RDSR).
    public var expectsResponse: Bool

    /// The most data bytes one command carries (what the nRF QSPI custom instruction allows).
    public static let maxDataCount = 8

    /// Nil when `dataCount` is outside 0...8.
    public init?(opcode: UInt8, dataCount: Int = 0, payload: UInt64 = 0, expectsResponse: Bool = false) {
        guard dataCount >= 0, dataCount <= Self.maxDataCount else { return nil }
        self.opcode = opcode
        self.dataCount = dataCount
        self.payload = payload
        self.expectsResponse = expectsResponse
    }

    /// For the fixed commands below, whose counts are known to be valid.
    init(fixed opcode: UInt8, dataCount: Int = 0, payload: UInt64 = 0, expectsResponse: Bool = false) {
        self.opcode = opcode
        self.dataCount = dataCount
        self.payload = payload
        self.expectsResponse = expectsResponse
    }
}

extension SPINORChip {
    /// RDID: three bytes back (manufacturer, memory type, capacity).
    public var readIdentificationCommand: SPINORCommand {
        SPINORCommand(fixed: opcodes.readIdentification, dataCount: 3, expectsResponse: true)
    }
    /// RDSR: one status byte back.
    public var readStatusCommand: SPINORCommand {
        SPINORCommand(fixed: opcodes.readStatus, dataCount: 1, expectsResponse: true)
    }
    /// RDCR (Macronix): the two configuration bytes back.
    public var readConfigurationCommand: SPINORCommand {
        SPINORCommand(fixed: opcodes.readConfiguration, dataCount: 2, expectsResponse: true)
    }
    /// WRSR with one byte: status register 1 only (configuration registers unchanged on the MX25R).
    /// Needs WREN first; sets WIP for the register write time.
    public func writeStatusCommand(_ value: UInt8) -> SPINORCommand {
        SPINORCommand(fixed: opcodes.writeStatus, dataCount: 1, payload: UInt64(value))
    }
    public var writeEnableCommand: SPINORCommand { SPINORCommand(fixed: opcodes.writeEnable) }
    public var writeDisableCommand: SPINORCommand { SPINORCommand(fixed: opcodes.writeDisable) }
    public var deepPowerDownCommand: SPINORCommand { SPINORCommand(fixed: opcodes.deepPowerDown) }
    public var releaseDeepPowerDownCommand: SPINORCommand { SPINORCommand(fixed: opcodes.releaseDeepPowerDown) }
    public var resetEnableCommand: SPINORCommand { SPINORCommand(fixed: opcodes.resetEnable) }
    public var resetCommand: SPINORCommand { SPINORCommand(fixed: opcodes.reset) }

    /// True when the status byte says a program/erase/WRSR is still running.
    @inlinable
    public func isBusy(status: UInt8) -> Bool { status & self.status.writeInProgress != 0 }

    /// True when quad I/O is usable with this status byte (always, for a chip without a QE bit).
    @inlinable
    public func isQuadEnabled(status: UInt8) -> Bool {
        switch quadEnable {
        case .none: true
        case .statusRegister(let mask): status & mask == mask
        }
    }

    /// The erase a driver should issue next for `offset..<offset+remaining` (both sector-aligned):
    /// the whole chip when that is the range, a 64 KiB block when aligned and covered, else a sector.
    @inlinable
    public func nextErase(at offset: Int, remaining: Int) -> SPINOREraseKind {
        if offset == 0 && remaining == size { return .chip }
        if offset % blockSize == 0 && remaining >= blockSize { return .block64 }
        return .sector
    }

    /// Bytes erased by `kind`.
    @inlinable
    public func eraseLength(_ kind: SPINOREraseKind) -> Int {
        switch kind {
        case .sector: sectorSize
        case .block32: smallBlockSize
        case .block64: blockSize
        case .chip: size
        }
    }

    /// Datasheet maximum for `kind`, in microseconds (what a bounded wait must allow).
    @inlinable
    public func eraseMaxMicroseconds(_ kind: SPINOREraseKind) -> UInt32 {
        switch kind {
        case .sector: timings.sectorEraseMax
        case .block32: timings.blockErase32Max
        case .block64: timings.blockErase64Max
        case .chip: timings.chipEraseMax
        }
    }
}

/// The erase granularities of an SPI-NOR chip.
public enum SPINOREraseKind: Equatable, Sendable {
    case sector, block32, block64, chip
}
