import FlashKit
import Testing
@testable import Simulation

/// The MX25R6435F chip model driven directly, one chip-select cycle per call.
@Suite struct MX25R6435FModelTests {
    let clock = VirtualClock()
    let chip: SPINORChipModel

    init() throws { chip = try SPINORChipModel.mx25r6435f(clock: clock) }

    func finish() { clock.advance(to: chip.busyUntil) }

    @Test func identity() {
        #expect(chip.command(0x9F, responseCount: 3) == [0xC2, 0x28, 0x17])
        #expect(chip.status == 0)
    }

    @Test func pageProgramWrapsWithinThePage() {
        chip.command(0x06)
        let data = (0..<32).map { UInt8($0 + 1) }
        chip.program(0x02, address: 0x1F0, data: data)  // column 0xF0 of page 0x100
        finish()
        #expect(chip.array.bytes(in: 0x1F0..<0x200) == Array(data[0..<16]))
        #expect(chip.array.bytes(in: 0x100..<0x110) == Array(data[16..<32]))  // wrapped to the page start
        #expect(chip.array.bytes(in: 0x200..<0x210) == [UInt8](repeating: 0xFF, count: 16))  // next page untouched
        #expect(chip.violations.isEmpty)
    }

    @Test func moreThanAPageKeepsTheLastPageSizeBytes() {
        chip.command(0x06)
        let data = (0..<300).map { UInt8(truncatingIfNeeded: $0) }
        chip.program(0x02, address: 0x400, data: data)
        finish()
        #expect(chip.array.bytes(in: 0x400..<0x500) == Array(data[44..<300]))
    }

    @Test func programAndEraseNeedWriteEnable() {
        chip.program(0x02, address: 0, data: [1, 2, 3, 4])
        #expect(chip.array.bytes(in: 0..<4) == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(chip.violations == [.withoutWriteEnable(opcode: 0x02)])
        #expect(!chip.isBusy)
        chip.clearViolations()
        chip.command(0x06)
        #expect(chip.status == 0x02)  // WEL
        chip.program(0x02, address: 0, data: [1, 2, 3, 4])
        #expect(chip.status == 0x03)  // WIP | WEL while programming
        finish()
        #expect(chip.status == 0x00)  // WEL cleared when done
        chip.erase(0x20, address: 0)
        #expect(chip.violations == [.withoutWriteEnable(opcode: 0x20)])
        #expect(chip.array.bytes(in: 0..<4) == [1, 2, 3, 4])
    }

    @Test func busyTimesAreTheTypicalValues() {
        for (opcode, microseconds) in [(UInt8(0x20), 48_000), (0x52, 240_000), (0xD8, 480_000)] {
            chip.command(0x06)
            let start = clock.nanoseconds
            chip.erase(opcode, address: 0)
            #expect(chip.busyUntil - start == UInt64(microseconds) * 1_000)
            finish()
        }
        chip.command(0x06)
        let start = clock.nanoseconds
        chip.program(0x02, address: 0, data: [0])
        #expect(chip.busyUntil - start == 896_000)
    }

    @Test func whileBusyOnlyRDSRIsHonoured() {
        chip.command(0x06)
        chip.erase(0x20, address: 0)
        #expect(chip.read(0x0B, address: 0, count: 2) == [0xFF, 0xFF])
        chip.command(0x06)
        #expect(chip.violations == [.whileBusy(opcode: 0x0B), .whileBusy(opcode: 0x06)])
        #expect(chip.command(0x05, responseCount: 1) == [0x03])
    }

    @Test(arguments: [(UInt8(0x20), 0x1234, 0x1000, 0x1000), (0x52, 0x9000, 0x8000, 0x8000), (0xD8, 0x12345, 0x10000, 0x10000)])
    func eraseGranularity(opcode: UInt8, address: Int, start: Int, length: Int) throws {
        try chip.array.fill(from: [UInt8](repeating: 0, count: 0x30000))
        chip.command(0x06)
        chip.erase(opcode, address: address)
        finish()
        let bytes = chip.array.bytes(in: 0..<0x30000)
        #expect(bytes[start..<(start + length)].allSatisfy { $0 == 0xFF })
        #expect(bytes[..<start].allSatisfy { $0 == 0 })
        #expect(bytes[(start + length)...].allSatisfy { $0 == 0 })
    }

    @Test func deepPowerDownIgnoresAllButRelease() {
        chip.command(0xB9)
        #expect(chip.isInDeepPowerDown)
        #expect(chip.command(0x9F, responseCount: 3) == [0xFF, 0xFF, 0xFF])
        chip.command(0x06)
        #expect(chip.status & 0x02 == 0)
        chip.command(0xAB)
        #expect(!chip.isInDeepPowerDown)
        // tRES1: still deaf for 35 µs.
        #expect(chip.command(0x9F, responseCount: 3) == [0xFF, 0xFF, 0xFF])
        clock.advance(nanoseconds: 35_000)
        #expect(chip.command(0x9F, responseCount: 3) == [0xC2, 0x28, 0x17])
        #expect(chip.violations.isEmpty)
    }

    @Test func quadNeedsQuadEnable() {
        chip.command(0x06)
        chip.program(0x38, address: 0, data: [1, 2, 3, 4])
        #expect(chip.read(0xEB, address: 0, count: 1) == [0xFF])
        #expect(chip.violations == [.quadWithoutQuadEnable(opcode: 0x38), .quadWithoutQuadEnable(opcode: 0xEB)])
        chip.clearViolations()
        chip.command(0x01, input: [0x40])  // WEL still set: the refused 4PP did not consume it
        finish()
        #expect(chip.isQuadEnabled)
        chip.command(0x06)
        chip.program(0x38, address: 0, data: [1, 2, 3, 4])
        finish()
        #expect(chip.read(0xEB, address: 0, count: 4) == [1, 2, 3, 4])
        #expect(chip.violations.isEmpty)
    }

    @Test func programOverProgrammedBytesIsRefusedAndRecorded() {
        chip.command(0x06)
        chip.program(0x02, address: 0, data: [0xF0])
        finish()
        chip.command(0x06)
        chip.program(0x02, address: 0, data: [0x0F])
        finish()
        #expect(chip.array.bytes(in: 0..<1) == [0xF0])  // a real part would hold 0xF0 & 0x0F
        #expect(chip.violations == [.programOverProgrammed(address: 0, count: 1)])
    }

    @Test func writeStatusKeepsWIPAndWELReadOnly() {
        chip.command(0x06)
        chip.command(0x01, input: [0xFF])
        #expect(chip.status == 0xFF)  // WIP|WEL during the write, every other bit set
        finish()
        #expect(chip.status == 0xFC)
    }
}
