import FlashKit
import Foundation
import LifeboatHost
import Simulation
import Testing

/// A fake FT2232H in MPSSE mode with an MX25R6435F on its SPI pins: the byte stream the host
/// writes is kept whole, decoded into chip-select cycles, and played into the host's SPI-NOR chip
/// model (which enforces WEL, WIP and page wrapping, and reports violations).
final class FakeMPSSE: FTDIDriver {
    var stream: [UInt8] = []
    var bitmodes: [(UInt8, UInt8)] = []
    /// Each chip-select cycle: the bytes clocked out (opcode first).
    var cycles: [[UInt8]] = []
    let clock = VirtualClock()
    let chip: SPINORChipModel
    private var pending: [UInt8] = []
    private var selected = false
    private var current: [UInt8] = []
    private var readDuringCycle = false

    init() throws { chip = try SPINORChipModel.mx25r6435f(clock: clock) }

    func adapters(vendor: UInt16?, product: UInt16?) throws(TransportError) -> [FTDIAdapter] { [] }
    func open(_ selector: FTDISelector) throws(TransportError) {}
    func configureUART(baud: Int) throws(TransportError) {}
    func setBitmode(mask: UInt8, mode: UInt8) throws(TransportError) { bitmodes.append((mask, mode)) }
    func setLine(_ line: ControlLine, asserted: Bool) throws(TransportError) {}
    func close() {}
    func read(max: Int) throws(TransportError) -> [UInt8] {
        let n = min(max, pending.count)
        defer { pending.removeFirst(n) }
        return Array(pending.prefix(n))
    }

    func write(_ bytes: [UInt8]) throws(TransportError) {
        stream += bytes
        var i = 0
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        while i < bytes.count {
            switch bytes[i] {
            case 0x80:
                let csLow = bytes[i + 1] & 0x08 == 0
                if csLow && !selected { current = []; readDuringCycle = false }
                if !csLow && selected { endCycle() }
                selected = csLow
                i += 3
            case 0x11:
                let n = u16(i + 1) + 1
                current += bytes[(i + 3)..<(i + 3 + n)]
                i += 3 + n
            case 0x20:
                let n = u16(i + 1) + 1
                readDuringCycle = true
                pending += respond(count: n)
                i += 3
            case 0x86: i += 3
            case 0x87, 0x8A, 0x97, 0x8D: i += 1
            default: throw TransportError("fake MPSSE: unknown opcode \(String(format: "%02x", bytes[i]))")
            }
        }
    }

    private var address: Int { Int(current[1]) << 16 | Int(current[2]) << 8 | Int(current[3]) }

    private func respond(count: Int) -> [UInt8] {
        switch current[0] {
        case 0x03: return chip.read(0x03, address: address, count: count)
        case 0x05:
            clock.advance(microseconds: 1000)  // the time a poll takes, for the chip's WIP
            return chip.command(0x05, responseCount: count)
        default: return chip.command(current[0], input: Array(current.dropFirst()), responseCount: count)
        }
    }

    private func endCycle() {
        cycles.append(current)
        guard !readDuringCycle, let opcode = current.first else { return }
        switch opcode {
        case 0x02: chip.program(0x02, address: address, data: Array(current.dropFirst(4)))
        case 0x20, 0xD8, 0x52: chip.erase(opcode, address: address)
        default: chip.command(opcode, input: Array(current.dropFirst()))
        }
    }
}

@Suite struct MPSSETests {
    static func programmer() throws -> (SPINORProgrammer, FakeMPSSE) {
        let fake = try FakeMPSSE()
        return (SPINORProgrammer(bus: try MPSSESPIBus(driver: fake, clockHz: 1_000_000)), fake)
    }

    @Test func setupAndJEDECIdAreExactBytes() throws {
        let (p, fake) = try Self.programmer()
        #expect(fake.bitmodes.map { [$0.0, $0.1] } == [[0, 0x00], [0, 0x02]])
        // 60 MHz base, divide-by-5 off, adaptive and 3-phase clocking off, divisor 29 → 1 MHz;
        // CS (ADBUS3) high, SCK/MOSI/CS outputs.
        #expect(fake.stream == [0x8A, 0x97, 0x8D, 0x86, 0x1D, 0x00, 0x80, 0x08, 0x0B])
        fake.stream = []
        #expect(try p.checkID() == SPINORChip.mx25r6435f.jedecID)
        #expect(fake.stream == [0x80, 0x00, 0x0B, 0x11, 0x00, 0x00, 0x9F, 0x20, 0x02, 0x00, 0x80, 0x08, 0x0B, 0x87])
    }

    @Test func eraseWriteReadAcrossAPageBoundary() throws {
        let (p, fake) = try Self.programmer()
        // Junk where we write, so the erase shows.
        try fake.chip.array.load(Array(repeating: 0x5A, count: 0x2000), at: 0x10000)
        try p.erase(address: 0x10000, count: 0x2000)
        let erases = fake.cycles.filter { [0x20, 0xD8].contains($0.first) }
        #expect(erases == [[0x20, 0x01, 0x00, 0x00], [0x20, 0x01, 0x10, 0x00]], "two sector erases (the range is not a whole 64 KiB block)")
        #expect(fake.chip.array.bytes(in: 0x10000..<0x12000).allSatisfy { $0 == 0xFF })
        // Each erase: WREN, RDSR (WEL set), SE, then RDSR until WIP clears.
        #expect(Array(fake.cycles.prefix(3)) == [[0x06], [0x05], [0x20, 0x01, 0x00, 0x00]])

        fake.cycles = []
        let data = applicationBytes(count: 300, seed: 4)
        try p.write(address: 0x100F0, data)
        let programs = fake.cycles.filter { $0.first == 0x02 }
        // 16 bytes to the end of the first page, a whole page, then the 28 left: never a wrap.
        #expect(programs.map { Array($0.prefix(4)) } == [[0x02, 0x01, 0x00, 0xF0], [0x02, 0x01, 0x01, 0x00], [0x02, 0x01, 0x02, 0x00]])
        #expect(programs.map { $0.count - 4 } == [16, 256, 28])
        #expect(fake.chip.array.bytes(in: 0x100F0..<(0x100F0 + 300)) == data)
        fake.stream = []
        #expect(try p.read(address: 0x100F0, count: 300) == data)
        // READ at 0x0100F0, 300 bytes clocked in.
        #expect(fake.stream == [0x80, 0x00, 0x0B, 0x11, 0x03, 0x00, 0x03, 0x01, 0x00, 0xF0, 0x20, 0x2B, 0x01, 0x80, 0x08, 0x0B, 0x87])
        #expect(fake.chip.violations.isEmpty, "\(fake.chip.violations)")
        #expect(throws: TransportError.self) { try p.erase(address: 0x10001, count: 0x1000) }
        #expect(throws: TransportError.self) { try p.read(address: SPINORChip.mx25r6435f.size - 4, count: 8) }
    }

    @Test func aSilentBusIsNamed() throws {
        final class Floating: FTDIDriver {
            func adapters(vendor: UInt16?, product: UInt16?) throws(TransportError) -> [FTDIAdapter] { [] }
            func open(_ selector: FTDISelector) throws(TransportError) {}
            func configureUART(baud: Int) throws(TransportError) {}
            func setBitmode(mask: UInt8, mode: UInt8) throws(TransportError) {}
            func setLine(_ line: ControlLine, asserted: Bool) throws(TransportError) {}
            func close() {}
            var owed = 0
            func write(_ bytes: [UInt8]) throws(TransportError) {
                if let i = bytes.firstIndex(of: 0x20) { owed += Int(bytes[i + 1]) + 1 }
            }
            func read(max: Int) throws(TransportError) -> [UInt8] {
                defer { owed = 0 }
                return Array(repeating: 0xFF, count: owed)  // MISO pulled up, no chip
            }
        }
        let p = SPINORProgrammer(bus: try MPSSESPIBus(driver: Floating()))
        let error = #expect(throws: TransportError.self) { try p.checkID() }
        #expect(error?.description.contains("no chip answers") == true)
    }
}
