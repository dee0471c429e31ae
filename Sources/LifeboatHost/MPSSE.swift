import FlashKit
import Foundation

/// SPI through an FTDI MPSSE engine (FT2232H, FT232H, FT4232H channel A/B), mode 0, MSB first:
/// ADBUS0 SCK, ADBUS1 MOSI (DO), ADBUS2 MISO (DI), ADBUS3 chip select (active low).
public final class MPSSESPIBus {
    public let driver: FTDIDriver
    public let clockHz: Int
    /// MPSSE opcodes (FTDI AN_108).
    enum Op {
        static let setLowBits: UInt8 = 0x80  // value, direction
        static let bytesOutFalling: UInt8 = 0x11  // length-1 (LE), data: mode 0 writes on the falling edge
        static let bytesInRising: UInt8 = 0x20  // length-1 (LE): mode 0 samples on the rising edge
        static let sendImmediate: UInt8 = 0x87
        static let disableDivideBy5: UInt8 = 0x8A  // 60 MHz base clock
        static let disableAdaptive: UInt8 = 0x97
        static let disableThreePhase: UInt8 = 0x8D
        static let setDivisor: UInt8 = 0x86
    }
    /// SCK, MOSI and CS are outputs; CS high (idle), SCK low.
    static let direction: UInt8 = 0x0B
    static let idle: UInt8 = 0x08
    static let selected: UInt8 = 0x00

    /// Puts the adapter in MPSSE mode at `clockHz` (60 MHz / (2·(1 + divisor))).
    public init(driver: FTDIDriver, clockHz: Int = 1_000_000) throws(TransportError) {
        guard clockHz >= 500, clockHz <= 30_000_000 else { throw TransportError("SPI clock \(clockHz) Hz is outside 500 Hz … 30 MHz") }
        self.driver = driver
        self.clockHz = clockHz
        try driver.setBitmode(mask: 0, mode: 0x00)  // reset
        try driver.setBitmode(mask: 0, mode: 0x02)  // MPSSE
        let divisor = max(0, 30_000_000 / clockHz - 1)
        try driver.write([
            Op.disableDivideBy5, Op.disableAdaptive, Op.disableThreePhase,
            Op.setDivisor, UInt8(divisor & 0xFF), UInt8(divisor >> 8),
            Op.setLowBits, Self.idle, Self.direction,
        ])
    }

    /// One chip-select cycle: `output` clocked out, then `readCount` bytes clocked in.
    public func transaction(_ output: [UInt8], readCount: Int = 0) throws(TransportError) -> [UInt8] {
        precondition(!output.isEmpty && output.count <= 65536 && readCount <= 65536)
        var command: [UInt8] = [Op.setLowBits, Self.selected, Self.direction]
        command += [Op.bytesOutFalling, UInt8((output.count - 1) & 0xFF), UInt8((output.count - 1) >> 8)] + output
        if readCount > 0 {
            command += [Op.bytesInRising, UInt8((readCount - 1) & 0xFF), UInt8((readCount - 1) >> 8)]
        }
        command += [Op.setLowBits, Self.idle, Self.direction, Op.sendImmediate]
        try driver.write(command)
        var input: [UInt8] = []
        let deadline = Date().addingTimeInterval(2)
        while input.count < readCount {
            let bytes = try driver.read(max: readCount - input.count)
            input += bytes
            if bytes.isEmpty {
                guard Date() < deadline else { throw TransportError("the MPSSE engine returned \(input.count) of \(readCount) bytes") }
                usleep(200)
            }
        }
        return input
    }
}

/// The SPI-NOR sequences of FlashKit's chip description (opcodes, page size, erase units,
/// datasheet timings) over a host SPI bus: JEDEC id check, WEL/WIP polling, page-wrapped
/// programming, erase with the largest unit that fits.
public struct SPINORProgrammer {
    public let bus: MPSSESPIBus
    public let chip: SPINORChip
    /// Progress of long reads, writes and erases: (done, total).
    public var progress: (Int, Int) -> Void = { _, _ in }

    public init(bus: MPSSESPIBus, chip: SPINORChip = .mx25r6435f) {
        self.bus = bus
        self.chip = chip
    }

    static func address(_ a: Int) -> [UInt8] { [UInt8(a >> 16 & 0xFF), UInt8(a >> 8 & 0xFF), UInt8(a & 0xFF)] }

    /// RDID.
    public func readID() throws(TransportError) -> SPINORJEDECID {
        let id = try bus.transaction([chip.opcodes.readIdentification], readCount: 3)
        return SPINORJEDECID(manufacturer: id[0], memoryType: id[1], capacity: id[2])
    }

    /// Refuses a chip that is not the one described (or none at all: ff ff ff / 00 00 00).
    public func checkID() throws(TransportError) -> SPINORJEDECID {
        let id = try readID()
        guard id == chip.jedecID else {
            let hex = { (i: SPINORJEDECID) in [i.manufacturer, i.memoryType, i.capacity].map { String(format: "%02x", $0) }.joined(separator: " ") }
            let hint = id.manufacturer == 0xFF || id.manufacturer == 0x00 ? ": no chip answers (wiring, power, CS on ADBUS3, chip in deep power-down?)" : ": another chip"
            throw TransportError("JEDEC id \(hex(id)), expected \(hex(chip.jedecID)) (\(chip.name))\(hint)")
        }
        return id
    }

    /// Polls RDSR until WIP clears, within the datasheet's maximum (plus margin).
    func waitReady(maxMicroseconds: UInt32) throws(TransportError) {
        let deadline = Date().addingTimeInterval(Double(maxMicroseconds) / 1e6 * 2 + 0.1)
        while true {
            let status = try bus.transaction([chip.opcodes.readStatus], readCount: 1)[0]
            if !chip.isBusy(status: status) { return }
            guard Date() < deadline else { throw TransportError("the chip stays busy (status \(String(format: "%02x", status))) past its datasheet maximum") }
        }
    }

    /// WREN, then checks WEL (a write-protected or absent chip would silently ignore the next op).
    func writeEnable() throws(TransportError) {
        _ = try bus.transaction([chip.opcodes.writeEnable])
        let status = try bus.transaction([chip.opcodes.readStatus], readCount: 1)[0]
        guard status & chip.status.writeEnableLatch != 0 else {
            throw TransportError("write enable did not take (status \(String(format: "%02x", status))): is the chip write-protected (WP#)?")
        }
    }

    func checkRange(_ address: Int, _ count: Int) throws(TransportError) {
        guard address >= 0, count >= 0, address + count <= chip.size else {
            throw TransportError("\(String(format: "0x%x", address)) + \(count) is past the end of the \(chip.name) (\(chip.size) bytes)")
        }
    }

    public func read(address: Int, count: Int) throws(TransportError) -> [UInt8] {
        try checkRange(address, count)
        var out: [UInt8] = []
        while out.count < count {
            let n = min(4096, count - out.count)
            out += try bus.transaction([chip.opcodes.read] + Self.address(address + out.count), readCount: n)
            progress(out.count, count)
        }
        return out
    }

    /// Erases `count` bytes from `address` (both sector-aligned): 64 KiB blocks where aligned, else sectors.
    public func erase(address: Int, count: Int) throws(TransportError) {
        try checkRange(address, count)
        guard address % chip.sectorSize == 0, count % chip.sectorSize == 0 else {
            throw TransportError("erase range must be \(chip.sectorSize)-byte aligned (sectors)")
        }
        var offset = address
        while offset < address + count {
            var kind = chip.nextErase(at: offset, remaining: address + count - offset)
            if kind == .chip { kind = .block64 }  // one block at a time: progress, and a bounded wait each
            let opcode = kind == .block64 ? chip.opcodes.blockErase64 : chip.opcodes.sectorErase
            try writeEnable()
            _ = try bus.transaction([opcode] + Self.address(offset))
            try waitReady(maxMicroseconds: chip.eraseMaxMicroseconds(kind))
            offset += chip.eraseLength(kind)
            progress(offset - address, count)
        }
    }

    /// Programs `data` at `address` (erased beforehand), one page program per page: a chunk never
    /// crosses a page boundary, where the chip would wrap to the page start.
    public func write(address: Int, _ data: [UInt8]) throws(TransportError) {
        try checkRange(address, data.count)
        var done = 0
        while done < data.count {
            let at = address + done
            let n = min(chip.pageSize - at % chip.pageSize, data.count - done)
            try writeEnable()
            _ = try bus.transaction([chip.opcodes.pageProgram] + Self.address(at) + Array(data[done..<(done + n)]))
            try waitReady(maxMicroseconds: chip.timings.pageProgramMax)
            done += n
            progress(done, data.count)
        }
    }
}
