import FlashKit

/// Something a correct driver (or controller) never makes an SPI-NOR chip do. The model records
/// it in ``SPINORChipModel/violations``; tests assert the list stays empty.
public enum SPINORChipViolation: Equatable, Sendable, CustomStringConvertible {
    /// A program or erase instruction without a preceding WREN: the chip ignores it.
    case withoutWriteEnable(opcode: UInt8)
    /// An instruction other than RDSR while WIP was set: the chip ignores it (a read returns junk).
    case whileBusy(opcode: UInt8)
    /// A quad-I/O instruction while QE is clear: IO2/IO3 are WP#/HOLD#, the transfer is garbage.
    case quadWithoutQuadEnable(opcode: UInt8)
    /// A program touched bytes already programmed since their erase. A real part ANDs the new
    /// bits in; the model refuses the whole program (nothing changes) so the bug is visible.
    case programOverProgrammed(address: Int, count: Int)
    /// An opcode the chip does not implement.
    case unsupportedOpcode(UInt8)
    /// An address beyond the chip.
    case addressOutOfRange(opcode: UInt8, address: Int)

    public var description: String {
        func h(_ v: UInt8) -> String { "0x" + String(v, radix: 16, uppercase: true) }
        switch self {
        case .withoutWriteEnable(let op): return "\(h(op)) without WREN (ignored)"
        case .whileBusy(let op): return "\(h(op)) while WIP (ignored)"
        case .quadWithoutQuadEnable(let op): return "\(h(op)) needs QE"
        case .programOverProgrammed(let a, let c): return "program over programmed bytes at 0x\(String(a, radix: 16)) (+\(c))"
        case .unsupportedOpcode(let op): return "unsupported opcode \(h(op))"
        case .addressOutOfRange(let op, let a): return "\(h(op)) at 0x\(String(a, radix: 16)) beyond the chip"
        }
    }
}

/// A state machine of an SPI-NOR chip driven by a ``FlashKit/SPINORChip`` description (so
/// ``SPINORChipModel/mx25r6435f(clock:array:)`` is the MX25R6435F): status register (WIP, WEL,
/// QE and the other non-volatile bits), the write-enable latch that program/erase/WRSR require and
/// clear, page programs that wrap within their 256-byte page, sector/32 KiB/64 KiB/chip erases,
/// RDID, deep power-down (everything but RES ignored) with tRES1 before the chip answers again,
/// and busy times on the ``VirtualClock`` (datasheet typical values; WIP stays set until then).
///
/// One method call is one chip-select cycle: ``command(_:input:responseCount:)`` for instructions
/// without an address, ``read(_:address:count:)``, ``program(_:address:data:)`` and
/// ``erase(_:address:)`` for the rest.
///
/// ## The array
///
/// Bytes live in a ``NORFlashModel`` (`array`, write size 1, sector-size erase unit), so file
/// backing (`--state DIR/external.bin`), traces and power cuts work as on any simulated flash.
/// Write-once is kept: a program over programmed bytes is refused and recorded
/// (``SPINORChipViolation/programOverProgrammed(address:count:)``) where a real part would AND the
/// bits — Lifeboat never relies on AND semantics, and a silent AND would hide a bug.
///
/// A power cut of the array (``NORFlashModel/schedulePowerCut(afterOperations:)``) makes the chip
/// ignore everything (reads return 0xFF) until the array's power is restored; then the volatile
/// state (WEL, busy, deep power-down) is reset, QE and the array are kept.
public final class SPINORChipModel {
    public let chip: SPINORChip
    public let array: NORFlashModel
    public let clock: VirtualClock

    /// Non-volatile status bits plus WEL (WIP is computed from the busy deadline).
    var storedStatus: UInt8 = 0
    /// The two Macronix configuration bytes (RDCR / WRSR bytes 2–3).
    public private(set) var configuration: (UInt8, UInt8) = (0, 0)
    /// Virtual time at which the running program/erase/WRSR ends.
    public private(set) var busyUntil: UInt64 = 0
    /// WEL clears when the running operation ends.
    var clearWELWhenIdle = false
    public private(set) var isInDeepPowerDown = false
    /// After RES, the chip answers again at this time (tRES1).
    public private(set) var awakeAt: UInt64 = 0
    var sawPowerLoss = false

    /// Test hook: WIP never clears (a chip that hangs).
    public var stuckBusy = false
    /// What a correct driver never causes.
    public private(set) var violations: [SPINORChipViolation] = []
    /// Every opcode received, in order (ignored ones included).
    public private(set) var opcodeLog: [UInt8] = []
    public var opcodeLogEnabled = true

    /// A chip over `array` (created erased when nil).
    ///
    /// - Throws: ``NORFlashModelError/invalidGeometry(_:)`` when `array` does not match the chip
    ///   (size, erased value, write size 1, erase size dividing the sector).
    public init(chip: SPINORChip, clock: VirtualClock, array given: NORFlashModel? = nil) throws(NORFlashModelError) {
        let array: NORFlashModel
        if let given {
            array = given
        } else {
            array = try NORFlashModel(size: chip.size, eraseSize: chip.sectorSize, writeSize: 1, erasedValue: chip.erasedValue)
        }
        guard array.size == chip.size, array.erasedValue == chip.erasedValue, array.writeSize == 1,
            chip.sectorSize % array.eraseSize == 0
        else {
            throw .invalidGeometry("array \(array.size) B / erase \(array.eraseSize) / write \(array.writeSize) does not fit \(chip.name)")
        }
        self.chip = chip
        self.clock = clock
        self.array = array
    }

    /// The MX25R6435F (8 MiB), optionally over a file-backed array.
    public static func mx25r6435f(clock: VirtualClock, array: NORFlashModel? = nil) throws(NORFlashModelError) -> SPINORChipModel {
        try SPINORChipModel(chip: .mx25r6435f, clock: clock, array: array)
    }

    /// An array for the MX25R6435F stored in `path` (created erased if missing).
    public static func mx25r6435fArray(backingFile path: String) throws(NORFlashModelError) -> NORFlashModel {
        let chip = SPINORChip.mx25r6435f
        return try NORFlashModel(size: chip.size, eraseSize: chip.sectorSize, writeSize: 1, erasedValue: chip.erasedValue, backingFile: path)
    }

    // MARK: State

    public var isBusy: Bool { stuckBusy || clock.nanoseconds < busyUntil }

    /// The status register as RDSR returns it now.
    public var status: UInt8 {
        settle()
        return storedStatus | (isBusy ? chip.status.writeInProgress : 0)
    }

    public var isWriteEnabled: Bool { status & chip.status.writeEnableLatch != 0 }
    public var isQuadEnabled: Bool { chip.isQuadEnabled(status: storedStatus) }

    /// Test set-up: sets the non-volatile status bits directly (as a programmer would).
    public func setStatusBits(_ value: UInt8) {
        storedStatus = value & writableStatusMask | storedStatus & chip.status.writeEnableLatch
    }

    public func clearViolations() { violations.removeAll() }
    public func clearOpcodeLog() { opcodeLog.removeAll() }

    var writableStatusMask: UInt8 { ~(chip.status.writeInProgress | chip.status.writeEnableLatch) }

    /// Applies what time and power did since the last call.
    func settle() {
        if !array.isPowered {
            sawPowerLoss = true
            return
        }
        if sawPowerLoss {
            sawPowerLoss = false
            storedStatus &= writableStatusMask
            busyUntil = 0
            clearWELWhenIdle = false
            isInDeepPowerDown = false
            awakeAt = 0
        }
        if clearWELWhenIdle && !isBusy {
            clearWELWhenIdle = false
            storedStatus &= ~chip.status.writeEnableLatch
        }
    }

    /// Common gate of every instruction: logs it and says whether the chip acts on it.
    func accepts(_ opcode: UInt8) -> Bool {
        if opcodeLogEnabled { opcodeLog.append(opcode) }
        settle()
        guard array.isPowered else { return false }
        if isInDeepPowerDown { return opcode == chip.opcodes.releaseDeepPowerDown }
        if clock.nanoseconds < awakeAt { return false }
        if isBusy && opcode != chip.opcodes.readStatus {
            violations.append(.whileBusy(opcode: opcode))
            return false
        }
        return true
    }

    func startBusy(microseconds: UInt32) {
        busyUntil = clock.nanoseconds &+ UInt64(microseconds) * 1_000
        clearWELWhenIdle = true
    }

    /// Consumes WEL for a program/erase/WRSR; false (and a violation) when it is not set.
    func takeWriteEnable(_ opcode: UInt8) -> Bool {
        guard storedStatus & chip.status.writeEnableLatch != 0 else {
            violations.append(.withoutWriteEnable(opcode: opcode))
            return false
        }
        return true
    }

    // MARK: Instructions

    /// An instruction without an address phase (RDID, RDSR, RDCR, WRSR, WREN, WRDI, DP, RES,
    /// RSTEN, RST): `input` is what the controller clocks out after the opcode, the result the
    /// `responseCount` bytes clocked back (0xFF where the chip drives nothing).
    @discardableResult
    public func command(_ opcode: UInt8, input: [UInt8] = [], responseCount: Int = 0) -> [UInt8] {
        var response = [UInt8](repeating: 0xFF, count: max(0, responseCount))
        let wasInDeepPowerDown = isInDeepPowerDown
        guard accepts(opcode) else { return response }
        let op = chip.opcodes
        switch opcode {
        case op.readIdentification:
            let id = [chip.jedecID.manufacturer, chip.jedecID.memoryType, chip.jedecID.capacity]
            for i in 0..<min(3, response.count) { response[i] = id[i] }
        case op.readStatus:
            let value = status
            for i in response.indices { response[i] = value }  // RDSR repeats while CS# stays low
        case op.readConfiguration:
            let bytes = [configuration.0, configuration.1]
            for i in 0..<min(2, response.count) { response[i] = bytes[i] }
        case op.writeEnable:
            storedStatus |= chip.status.writeEnableLatch
        case op.writeDisable:
            storedStatus &= ~chip.status.writeEnableLatch
        case op.writeStatus:
            guard !input.isEmpty, takeWriteEnable(opcode) else { return response }
            storedStatus = input[0] & writableStatusMask | storedStatus & chip.status.writeEnableLatch
            if input.count >= 2 { configuration.0 = input[1] }
            if input.count >= 3 { configuration.1 = input[2] }
            startBusy(microseconds: chip.timings.writeStatusTypical)
        case op.deepPowerDown:
            isInDeepPowerDown = true
        case op.releaseDeepPowerDown:
            if wasInDeepPowerDown {
                isInDeepPowerDown = false
                awakeAt = clock.nanoseconds &+ UInt64(chip.timings.releaseDeepPowerDown) * 1_000
            }
        case op.resetEnable, op.reset:
            break  // Reset is not modelled beyond accepting the pair.
        default:
            violations.append(.unsupportedOpcode(opcode))
        }
        return response
    }

    /// A read instruction (READ, FAST_READ, DREAD, 2READ, QREAD, 4READ); addresses wrap at the
    /// chip's end as on real parts. Returns 0xFF bytes when the chip ignores the instruction.
    public func read(_ opcode: UInt8, address: Int, count: Int) -> [UInt8] {
        let ignored = [UInt8](repeating: 0xFF, count: max(0, count))
        guard accepts(opcode) else { return ignored }
        let quad: Bool
        switch opcode {
        case chip.opcodes.read, chip.opcodes.fastRead, 0x3B, 0xBB: quad = false
        case chip.opcodes.quadIORead, 0x6B: quad = true
        default:
            violations.append(.unsupportedOpcode(opcode))
            return ignored
        }
        if quad && !isQuadEnabled {
            violations.append(.quadWithoutQuadEnable(opcode: opcode))
            return ignored
        }
        guard address >= 0, address < chip.size else {
            violations.append(.addressOutOfRange(opcode: opcode, address: address))
            return ignored
        }
        var result = [UInt8]()
        result.reserveCapacity(count)
        var at = address
        var left = count
        while left > 0 {
            let n = min(left, chip.size - at)
            guard let part = try? array.read(at: at, count: n) else { return ignored }
            result += part
            left -= n
            at = 0
        }
        return result
    }

    /// PP / 4PP: programs `data` into the page holding `address`; bytes past the page end wrap to
    /// its start, and of more than a page only the last `pageSize` bytes count (datasheet
    /// behaviour). Needs WEL; busy for the typical page-program time.
    public func program(_ opcode: UInt8, address: Int, data: [UInt8]) {
        guard accepts(opcode) else { return }
        switch opcode {
        case chip.opcodes.pageProgram: break
        case chip.opcodes.quadPageProgram:
            if !isQuadEnabled {
                violations.append(.quadWithoutQuadEnable(opcode: opcode))
                return
            }
        default:
            violations.append(.unsupportedOpcode(opcode))
            return
        }
        guard address >= 0, address < chip.size else {
            violations.append(.addressOutOfRange(opcode: opcode, address: address))
            return
        }
        guard takeWriteEnable(opcode) else { return }
        startBusy(microseconds: chip.timings.pageProgramTypical)
        let page = chip.pageSize
        let pageStart = address - address % page
        let column = address - pageStart
        let kept = data.count > page ? Array(data.suffix(page)) : data
        guard !kept.isEmpty else { return }
        // Bytes land at pageStart + (column + i) % page: at most two runs.
        let firstCount = min(kept.count, page - column)
        var runs: [(at: Int, bytes: ArraySlice<UInt8>)] = [(pageStart + column, kept[0..<firstCount])]
        if kept.count > firstCount { runs.append((pageStart, kept[firstCount...])) }
        for run in runs {
            do throws(FlashError) {
                try array.write(at: run.at, bytes: Array(run.bytes))
            } catch .notErased {
                violations.append(.programOverProgrammed(address: run.at, count: run.bytes.count))
            } catch {
                settle()  // power cut: the chip goes dark
                return
            }
        }
    }

    /// SE / BE32 / BE64 / CE (0x60 or 0xC7): erases the unit holding `address`. Needs WEL; busy
    /// for that erase's typical time.
    public func erase(_ opcode: UInt8, address: Int) {
        guard accepts(opcode) else { return }
        let op = chip.opcodes
        let kind: SPINOREraseKind
        switch opcode {
        case op.sectorErase: kind = .sector
        case op.blockErase32 where chip.smallBlockSize > 0: kind = .block32
        case op.blockErase64: kind = .block64
        case op.chipErase, 0xC7: kind = .chip
        default:
            violations.append(.unsupportedOpcode(opcode))
            return
        }
        guard kind == .chip || (address >= 0 && address < chip.size) else {
            violations.append(.addressOutOfRange(opcode: opcode, address: address))
            return
        }
        guard takeWriteEnable(opcode) else { return }
        let typical: UInt32
        switch kind {
        case .sector: typical = chip.timings.sectorEraseTypical
        case .block32: typical = chip.timings.blockErase32Typical
        case .block64: typical = chip.timings.blockErase64Typical
        case .chip: typical = chip.timings.chipEraseTypical
        }
        startBusy(microseconds: typical)
        let length = chip.eraseLength(kind)
        let start = kind == .chip ? 0 : address - address % length
        do throws(FlashError) {
            try array.erase(at: start, count: length)
        } catch {
            settle()
        }
    }
}

extension SPINORChip {
    /// The SPI-NOR parts the simulator models, by their board.yml `chip:` name.
    public static let modelled: [SPINORChip] = [.mx25r6435f]

    /// The modelled part called `name` (case-insensitive), or nil.
    public static func named(_ name: String) -> SPINORChip? {
        modelled.first { "\($0.name)".lowercased() == name.lowercased() }
    }
}
