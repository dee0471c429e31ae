import FlashKit
import NRF

/// A register-level model of the nRF52840 / nRF5340 QSPI peripheral in front of an
/// ``SPINORChipModel``, for the same ``NRF/QSPI`` driver code that runs on the target.
///
/// Modelled: ENABLE, TASKS_ACTIVATE/DEACTIVATE, EVENTS_READY, READ/WRITE through EasyDMA
/// (``PeripheralBus/dmaRead(_:count:)`` / ``PeripheralBus/dmaWrite(_:_:)`` on buffers the driver
/// lent), ERASE (4 KiB / 64 KiB / all), custom instructions (CINSTRCONF, CINSTRDAT0/1), STATUS
/// (READY, SREG), IFCONFIG0 (READOC, WRITEOC, PPSIZE), IFCONFIG1 (SCKFREQ for timing), and plain
/// storage for PSEL, XIPOFFSET, DPMDUR, ADDRCONF, IFTIMING, INTEN (and on the nRF5340 XIPEN and the
/// XIP/DMA encryption registers, which have no effect here).
///
/// As the peripheral does, WRITE and ERASE send WREN before each program/erase instruction, and
/// WRITE splits the transfer into page programs (IFCONFIG0.PPSIZE), waiting for WIP between pages
/// itself; EVENTS_READY then means "instruction sent" — the chip is still busy with the last page or
/// the erase, which the driver must poll. Tasks complete synchronously: READY is raised before the
/// store that triggered the task returns, and the virtual clock advances by the transfer time at
/// the configured SCK plus ``instructionOverheadNanoseconds``.
///
/// Misuse is refused and recorded in ``driverFaults`` (see ``QSPIModelFault``) instead of silently
/// doing what hardware would; READY is still raised so a faulty driver fails its test, not hangs.
/// Not modelled: XIP, interrupts, the peripheral's own DPM (IFCONFIG0.DPMENABLE), ADDRCONF
/// (32-bit addressing), long-frame custom instructions, DMA encryption.
public final class QSPIModel: MMIOPeripheral {
    public let variant: QSPIVariant
    public let chip: SPINORChipModel
    public var clock: VirtualClock { chip.clock }

    /// Misuse by the driver, in order.
    public private(set) var driverFaults: [QSPIModelFault] = []
    /// Time charged per task or custom instruction on top of the SCK cycles (CSN set-up, CPU and
    /// EasyDMA latency; an estimate, not a datasheet figure).
    public var instructionOverheadNanoseconds: UInt64 = 1_000

    public private(set) var isEnabled = false
    public private(set) var isActivated = false
    /// Counts of tasks run (for tests).
    public private(set) var readTasks = 0
    public private(set) var writeTasks = 0
    public private(set) var eraseTasks = 0
    /// ERASE.LEN of every ERASE task, in order.
    public private(set) var eraseLengths: [UInt32] = []

    var registers: [UInt32: UInt32] = [:]

    public init(variant: QSPIVariant = .nrf52840, chip: SPINORChipModel) {
        self.variant = variant
        self.chip = chip
        for r in [QSPIRegister.pselSCK, .pselCSN, .pselIO0, .pselIO1, .pselIO2, .pselIO3] {
            registers[r.rawValue] = QSPIField.pselDisconnected
        }
    }

    /// Maps the model at the variant's base on `bus` (a 4 KiB window).
    public func map(on bus: PeripheralBus) {
        bus.map(self, at: variant.base, size: 0x1000)
    }

    public func clearDriverFaults() { driverFaults.removeAll() }

    func value(_ r: QSPIRegister) -> UInt32 { registers[r.rawValue] ?? 0 }

    /// SCK from IFCONFIG1.SCKFREQ.
    public var sckHz: UInt32 {
        variant.sckHz(forField: (value(.ifconfig1) & QSPIField.ifconfig1SCKFreqMask) >> QSPIField.ifconfig1SCKFreqShift)
    }

    func charge(cycles: Int) {
        let ns = UInt64(max(0, cycles)) * 1_000_000_000 / UInt64(max(1, sckHz))
        clock.advance(nanoseconds: ns &+ instructionOverheadNanoseconds)
    }

    // MARK: MMIOPeripheral

    public func read(offset: UInt32, bus: PeripheralBus) -> UInt32 {
        guard let register = QSPIRegister(rawValue: offset) else {
            if isEncryptionRegister(offset) { return registers[offset] ?? 0 }
            driverFaults.append(.unknownRegister(offset: offset, isStore: false))
            return 0
        }
        switch register {
        case .tasksActivate, .tasksReadStart, .tasksWriteStart, .tasksEraseStart, .tasksDeactivate:
            return 0
        case .status:
            let ready = QSPIField.statusReady
            return ready | UInt32(chip.status) << QSPIField.statusSREGShift
        case .xipEnable where !variant.hasEncryption:
            driverFaults.append(.unknownRegister(offset: offset, isStore: false))
            return 0
        default:
            return value(register)
        }
    }

    public func write(offset: UInt32, value: UInt32, bus: PeripheralBus) {
        guard let register = QSPIRegister(rawValue: offset) else {
            if isEncryptionRegister(offset) {
                registers[offset] = value
            } else {
                driverFaults.append(.unknownRegister(offset: offset, isStore: true))
            }
            return
        }
        switch register {
        case .status:
            driverFaults.append(.unknownRegister(offset: offset, isStore: true))
        case .xipEnable where !variant.hasEncryption:
            driverFaults.append(.unknownRegister(offset: offset, isStore: true))
        case .tasksActivate:
            guard value & 1 == 1 else { return }
            guard isEnabled else { return refuse(.notEnabled(register)) }
            isActivated = true
            charge(cycles: 0)
            ready()
        case .tasksDeactivate:
            guard value & 1 == 1 else { return }
            isActivated = false  // No READY (nRF5340 MDK: "all QSPI tasks except DEACTIVATE").
        case .tasksReadStart:
            guard value & 1 == 1 else { return }
            runRead(bus: bus)
        case .tasksWriteStart:
            guard value & 1 == 1 else { return }
            runWrite(bus: bus)
        case .tasksEraseStart:
            guard value & 1 == 1 else { return }
            runErase()
        case .cinstrconf:
            registers[offset] = value
            runCustomInstruction(value)
        case .enable:
            registers[offset] = value
            isEnabled = value & 1 == 1
            if !isEnabled { isActivated = false }
        default:
            registers[offset] = value
        }
    }

    func isEncryptionRegister(_ offset: UInt32) -> Bool {
        variant.hasEncryption && offset & 3 == 0
            && (QSPIRegister.xipEncryptionRange.contains(offset) || QSPIRegister.dmaEncryptionRange.contains(offset))
    }

    func ready() { registers[QSPIRegister.eventsReady.rawValue] = 1 }

    func refuse(_ fault: QSPIModelFault) {
        driverFaults.append(fault)
        ready()
    }

    /// Common checks of the tasks and custom instructions; false after recording a fault.
    func mayRun(_ register: QSPIRegister) -> Bool {
        guard isEnabled else {
            refuse(.notEnabled(register))
            return false
        }
        guard isActivated else {
            refuse(.notActivated(register))
            return false
        }
        return true
    }

    // MARK: Interface configuration

    var readOpcode: UInt8 {
        switch value(.ifconfig0) & QSPIField.ifconfig0ReadOCMask {
        case 0: 0x0B
        case 1: 0x3B
        case 2: 0xBB
        case 3: 0x6B
        case 4: 0xEB
        default: 0x00  // reserved: the chip will call it unsupported
        }
    }

    var readLines: Int {
        switch value(.ifconfig0) & QSPIField.ifconfig0ReadOCMask {
        case 1, 2: 2
        case 3, 4: 4
        default: 1
        }
    }

    var writeOpcode: UInt8 {
        switch (value(.ifconfig0) & QSPIField.ifconfig0WriteOCMask) >> QSPIField.ifconfig0WriteOCShift {
        case 0: 0x02
        case 1: 0xA2
        case 2: 0x32
        case 3: 0x38
        default: 0x00
        }
    }

    var writeLines: Int {
        switch (value(.ifconfig0) & QSPIField.ifconfig0WriteOCMask) >> QSPIField.ifconfig0WriteOCShift {
        case 1: 2
        case 2, 3: 4
        default: 1
        }
    }

    var pageSize: Int { value(.ifconfig0) & QSPIField.ifconfig0PageSize512 != 0 ? 512 : 256 }

    /// Validates a READ/WRITE transfer; false after recording a fault.
    func checkTransfer(_ task: QSPIRegister, flash: UInt32, ram: UInt32, count: UInt32, flashRegister: QSPIRegister, ramRegister: QSPIRegister) -> Bool {
        guard count > 0, count % 4 == 0 else {
            refuse(.lengthNotWordMultiple(task, count: count))
            return false
        }
        guard flash % 4 == 0 else {
            refuse(.misalignedFlashAddress(flashRegister, address: flash))
            return false
        }
        guard ram % 4 == 0 else {
            refuse(.misalignedRAMAddress(ramRegister, address: ram))
            return false
        }
        guard UInt64(flash) + UInt64(count) <= UInt64(chip.chip.size) else {
            refuse(.flashRangeOutOfBounds(task, address: flash, count: count))
            return false
        }
        return true
    }

    // MARK: Tasks

    func runRead(bus: PeripheralBus) {
        guard mayRun(.tasksReadStart) else { return }
        let flash = value(.readSrc), ram = value(.readDst), count = value(.readCnt)
        guard checkTransfer(.tasksReadStart, flash: flash, ram: ram, count: count, flashRegister: .readSrc, ramRegister: .readDst) else { return }
        let bytes = chip.read(readOpcode, address: Int(flash), count: Int(count))
        guard bus.dmaWrite(ram, bytes) else { return refuse(.dmaOutsideLentBuffer(.readDst, address: ram, count: count)) }
        readTasks += 1
        let lines = readLines
        charge(cycles: 8 + 24 / (readOpcode == 0xEB || readOpcode == 0xBB ? lines : 1) + 8 + Int(count) * 8 / lines)
        ready()
    }

    func runWrite(bus: PeripheralBus) {
        guard mayRun(.tasksWriteStart) else { return }
        let flash = value(.writeDst), ram = value(.writeSrc), count = value(.writeCnt)
        guard checkTransfer(.tasksWriteStart, flash: flash, ram: ram, count: count, flashRegister: .writeDst, ramRegister: .writeSrc) else { return }
        guard let bytes = bus.dmaRead(ram, count: Int(count)) else {
            return refuse(.dmaOutsideLentBuffer(.writeSrc, address: ram, count: count))
        }
        writeTasks += 1
        let page = pageSize
        var at = Int(flash)
        var done = 0
        while done < bytes.count {
            if done > 0 {
                // The peripheral polls the chip itself between pages.
                guard !chip.stuckBusy else { return }  // hangs: READY never comes
                clock.advance(to: chip.busyUntil)
            }
            let n = min(page - at % page, bytes.count - done)
            chip.command(chip.chip.opcodes.writeEnable)
            chip.program(writeOpcode, address: at, data: Array(bytes[done..<(done + n)]))
            charge(cycles: 8 + 8 + 32 + n * 8 / writeLines)
            at += n
            done += n
        }
        ready()
    }

    func runErase() {
        guard mayRun(.tasksEraseStart) else { return }
        let pointer = value(.erasePtr), length = value(.eraseLen)
        let opcodes = chip.chip.opcodes
        let opcode: UInt8
        let alignment: UInt32
        switch length {
        case QSPIField.eraseLength4KB: (opcode, alignment) = (opcodes.sectorErase, 4096)
        case QSPIField.eraseLength64KB: (opcode, alignment) = (opcodes.blockErase64, 65536)
        case QSPIField.eraseLengthAll: (opcode, alignment) = (opcodes.chipErase, 1)
        default: return refuse(.invalidEraseLength(length))
        }
        guard pointer % alignment == 0 else { return refuse(.misalignedFlashAddress(.erasePtr, address: pointer)) }
        guard length == QSPIField.eraseLengthAll || Int(pointer) < chip.chip.size else {
            return refuse(.flashRangeOutOfBounds(.tasksEraseStart, address: pointer, count: alignment))
        }
        eraseTasks += 1
        eraseLengths.append(length)
        chip.command(opcodes.writeEnable)
        if length == QSPIField.eraseLengthAll {
            chip.erase(opcode, address: 0)
            charge(cycles: 16)
        } else {
            chip.erase(opcode, address: Int(pointer))
            charge(cycles: 8 + 32)
        }
        ready()
    }

    func runCustomInstruction(_ config: UInt32) {
        guard mayRun(.cinstrconf) else { return }
        let length = Int((config >> QSPIField.cinstrLengthShift) & 0xF)
        guard (1...9).contains(length), config & QSPIField.cinstrLongFrameEnable == 0 else {
            return refuse(.invalidCustomInstruction(config))
        }
        let opcode = UInt8(truncatingIfNeeded: config)
        let dataCount = length - 1
        let words = UInt64(value(.cinstrdat0)) | UInt64(value(.cinstrdat1)) << 32
        let input = (0..<dataCount).map { UInt8(truncatingIfNeeded: words >> (UInt64($0) * 8)) }
        if config & QSPIField.cinstrWIPWait != 0 && !chip.stuckBusy { clock.advance(to: chip.busyUntil) }
        if config & QSPIField.cinstrWREN != 0 {
            chip.command(chip.chip.opcodes.writeEnable)
            charge(cycles: 8)
        }
        let response = chip.command(opcode, input: input, responseCount: dataCount)
        charge(cycles: length * 8)
        if dataCount > 0 {
            var out: UInt64 = 0
            for (i, byte) in response.enumerated() { out |= UInt64(byte) << (UInt64(i) * 8) }
            // Full duplex: what came back replaces what went out, byte for byte.
            let mask: UInt64 = dataCount == 8 ? ~0 : (1 << (UInt64(dataCount) * 8)) - 1
            let merged = (words & ~mask) | (out & mask)
            registers[QSPIRegister.cinstrdat0.rawValue] = UInt32(truncatingIfNeeded: merged)
            registers[QSPIRegister.cinstrdat1.rawValue] = UInt32(truncatingIfNeeded: merged >> 32)
        }
        ready()
    }
}
