import FlashKit
import Foundation
import NRF
import Testing
@testable import Simulation

/// The QSPI driver as a `NORFlash`, against the peripheral and chip models.
@Suite struct QSPIFlashTests {
    @Test(arguments: [(0x0, 4), (0x100, 8), (0x10F0, 32), (0x2000, 252), (0x2100, 256), (0x30FC, 260), (0x4004, 1036), (0x5000, 4096)])
    func writeReadRoundTrip(offset: Int, count: Int) throws {
        let rig = try QSPIRig.activated()
        let data = qspiPattern(count, seed: offset)
        try rig.flash.write(at: offset, bytes: data)
        #expect(rig.chip.array.bytes(in: offset..<(offset + count)) == data)
        #expect(try rig.flash.read(at: offset, count: count) == data)
        // Neighbours untouched.
        #expect(try rig.flash.read(at: max(0, offset - 4), count: min(4, offset)) == [UInt8](repeating: 0xFF, count: min(4, offset)))
        #expect(try rig.flash.read(at: offset + count, count: 4) == [0xFF, 0xFF, 0xFF, 0xFF])
        // Writes never cross a page and never exceed the bounce buffer.
        let pages = Set((offset..<(offset + count)).map { $0 / 256 }).count
        #expect(rig.model.writeTasks == pages)
        #expect(rig.faults.isEmpty)
    }

    @Test(arguments: [(1, 1), (3, 2), (5, 3), (0x101, 255), (7, 257), (2, 513), (0xFFD, 6), (0, 600)])
    func readsAtAnyOffsetAndLength(offset: Int, count: Int) throws {
        let rig = try QSPIRig.activated()
        let image = qspiPattern(4096, seed: 9)
        try rig.chip.array.load(image, at: 0)
        let expected = offset + count <= 4096 ? Array(image[offset..<(offset + count)]) : nil
        let got = try rig.flash.read(at: offset, count: count)
        if let expected { #expect(got == expected) }
        #expect(rig.faults.isEmpty)
    }

    @Test func readAtTheEndOfTheChip() throws {
        let rig = try QSPIRig.activated()
        let end = 8 << 20
        try rig.chip.array.load([1, 2, 3], at: end - 3)
        #expect(try rig.flash.read(at: end - 3, count: 3) == [1, 2, 3])
        #expect(throws: FlashError.outOfBounds) { try rig.flash.read(at: end - 3, count: 4) }
        #expect(rig.faults.isEmpty)
    }

    @Test func eraseChoosesBlocksWhenAligned() throws {
        let rig = try QSPIRig.activated()
        // 0xF000 ..< 0x31000: a sector, two 64 KiB blocks, a sector.
        try rig.chip.array.fill(from: qspiPattern(0x40000, seed: 1))
        let before = rig.bus.clock.nanoseconds
        try rig.flash.erase(at: 0xF000, count: 0x22000)
        #expect(rig.model.eraseLengths == [0, 1, 1, 0])
        let snapshot = rig.chip.array.bytes(in: 0..<0x40000)
        #expect(snapshot[0xF000..<0x31000].allSatisfy { $0 == 0xFF })
        #expect(snapshot[0xE000..<0xF000].allSatisfy { $0 != 0xFF })
        #expect(snapshot[0x31000..<0x32000].allSatisfy { $0 != 0xFF })
        // 2 × 48 ms + 2 × 480 ms, plus polling granularity.
        let elapsed = Double(rig.bus.clock.nanoseconds - before) / 1e6
        #expect(elapsed >= 1056 && elapsed < 1060, "\(elapsed) ms")
        #expect(rig.faults.isEmpty)
    }

    @Test func sectorEraseTakesAbout48ms() throws {
        let rig = try QSPIRig.activated()
        let before = rig.bus.clock.nanoseconds
        try rig.flash.erase(at: 0x1000, count: 4 * 4096)
        let perSector = Double(rig.bus.clock.nanoseconds - before) / 4 / 1e6
        #expect(perSector >= 48 && perSector < 48.1, "\(perSector) ms per sector")
        #expect(rig.model.eraseLengths == [0, 0, 0, 0])
        #expect(rig.faults.isEmpty)
    }

    @Test func wholeChipIsOneChipErase() throws {
        let rig = try QSPIRig.activated()
        // Coarser polls (1 ms each) so 52 s of virtual time is ~52 000 polls.
        rig.model.instructionOverheadNanoseconds = 1_000_000
        try rig.chip.array.load([0], at: (8 << 20) - 1)
        try rig.flash.erase(at: 0, count: 8 << 20)
        #expect(rig.model.eraseLengths == [2])
        #expect(rig.chip.array.bytes(in: ((8 << 20) - 1)..<(8 << 20)) == [0xFF])
        #expect(rig.faults.isEmpty)
    }

    @Test func eraseThenRewrite() throws {
        let rig = try QSPIRig.activated()
        try rig.flash.write(at: 0x8000, bytes: qspiPattern(64, seed: 2))
        try rig.flash.erase(at: 0x8000, count: 4096)
        #expect(try rig.flash.isErased(at: 0x8000, count: 4096))
        try rig.flash.write(at: 0x8000, bytes: qspiPattern(64, seed: 3))
        #expect(try rig.flash.read(at: 0x8000, count: 64) == qspiPattern(64, seed: 3))
        #expect(rig.faults.isEmpty)
    }

    @Test func inputsAreCheckedBeforeAnyRegisterAccess() throws {
        let rig = try QSPIRig.activated()
        rig.bus.tracing = true
        let size = 8 << 20
        #expect(throws: FlashError.misaligned) { try rig.flash.write(at: 2, bytes: [1, 2, 3, 4]) }
        #expect(throws: FlashError.misaligned) { try rig.flash.write(at: 4, bytes: [1, 2, 3]) }
        #expect(throws: FlashError.outOfBounds) { try rig.flash.write(at: size - 4, bytes: [1, 2, 3, 4, 5, 6, 7, 8]) }
        #expect(throws: FlashError.outOfBounds) { try rig.flash.write(at: -4, bytes: [1, 2, 3, 4]) }
        #expect(throws: FlashError.outOfBounds) { try rig.flash.read(at: size, count: 1) }
        #expect(throws: FlashError.outOfBounds) { try rig.flash.read(at: Int.max - 1, count: 4) }
        #expect(throws: FlashError.misaligned) { try rig.flash.erase(at: 0x800, count: 4096) }
        #expect(throws: FlashError.misaligned) { try rig.flash.erase(at: 0, count: 100) }
        #expect(throws: FlashError.outOfBounds) { try rig.flash.erase(at: size, count: 4096) }
        var command = try #require(SPINORCommand(opcode: 0x9F, dataCount: 3, expectsResponse: true))
        command.dataCount = 9
        #expect(throws: FlashError.outOfBounds) { try rig.flash.send(command) }
        #expect(SPINORCommand(opcode: 0x9F, dataCount: 9) == nil)
        #expect(rig.bus.trace.isEmpty)
        #expect(rig.faults.isEmpty)
    }

    @Test func emptyOperationsTouchNothing() throws {
        let rig = try QSPIRig.activated()
        rig.bus.tracing = true
        #expect(try rig.flash.read(at: 5, count: 0) == [])
        try rig.flash.write(at: 8, bytes: [])
        try rig.flash.erase(at: 4096, count: 0)
        #expect(rig.bus.trace.isEmpty)
    }

    @Test func wrongJEDECIDIsADeviceFault() throws {
        var other = SPINORChip.mx25r6435f
        other.jedecID = SPINORJEDECID(manufacturer: 0xEF, memoryType: 0x40, capacity: 0x17)  // a Winbond W25Q64
        let rig = try QSPIRig(modelled: other)
        #expect(throws: FlashError.deviceFault) { try rig.flash.activate() }
        #expect(rig.faults.isEmpty)
    }

    @Test func absentChipIsADeviceFault() throws {
        let rig = try QSPIRig()
        rig.chip.array.cutPower()  // nothing answers: RDID reads FF FF FF
        #expect(throws: FlashError.deviceFault) { try rig.flash.activate() }
    }

    @Test func stuckWIPTimesOutAfterTheBoundedWait() throws {
        let rig = try QSPIRig.activated()
        rig.chip.stuckBusy = true
        let before = rig.bus.clock.nanoseconds
        #expect(throws: FlashError.timeout) { try rig.flash.erase(at: 0, count: 4096) }
        // Bounded: twice the 240 ms sector maximum counted in 2 µs polls, i.e. ≥ 480 ms of bus
        // time; with the model's 1 µs overhead per instruction, 720 ms.
        let waited = Double(rig.bus.clock.nanoseconds - before) / 1e6
        #expect(waited >= 480 && waited < 730, "\(waited) ms")
        #expect(rig.model.driverFaults.isEmpty)
    }

    @Test func stuckWIPWhileSettingQuadEnableTimesOut() throws {
        let rig = try QSPIRig.activated()
        rig.chip.setStatusBits(0)  // QE lost
        rig.chip.stuckBusy = true
        #expect(throws: FlashError.timeout) { try rig.flash.enableQuad() }
        #expect(rig.model.driverFaults.isEmpty)
    }

    @Test func aChipBusyAtBringUpCannotBeIdentified() throws {
        // A busy chip ignores RDID (only RDSR is honoured), so the id never matches.
        let rig = try QSPIRig()
        rig.chip.stuckBusy = true
        #expect(throws: FlashError.deviceFault) { try rig.flash.activate() }
        #expect(rig.model.driverFaults.isEmpty)
    }

    @Test func deepPowerDownThenWake() throws {
        let rig = try QSPIRig.activated()
        try rig.flash.write(at: 0, bytes: [9, 8, 7, 6])
        try rig.flash.deepPowerDown()
        #expect(rig.chip.isInDeepPowerDown)
        // The chip ignores everything but RES: RDID reads nothing.
        #expect(try rig.flash.readJEDECID() == SPINORJEDECID(manufacturer: 0xFF, memoryType: 0xFF, capacity: 0xFF))
        let before = rig.bus.clock.nanoseconds
        try rig.flash.wake()
        #expect(!rig.chip.isInDeepPowerDown)
        #expect(rig.bus.clock.nanoseconds - before >= 35_000)  // tRES1
        #expect(try rig.flash.read(at: 0, count: 4) == [9, 8, 7, 6])
        #expect(rig.faults.isEmpty)
    }

    @Test func activateWakesAChipLeftInDeepPowerDown() throws {
        let rig = try QSPIRig()
        rig.chip.command(0xB9)  // the application put it to sleep before resetting into the bootloader
        try rig.flash.activate()
        #expect(!rig.chip.isInDeepPowerDown)
        #expect(rig.chip.isQuadEnabled)
        #expect(rig.faults.isEmpty)
    }

    @Test func flashAreaOverQSPI() throws {
        let rig = try QSPIRig.activated()
        // The nrf52840dk + QSPI layout: the secondary slot at 0 on the MX25R64, 0xE8000 bytes.
        let secondary = try FlashArea(device: rig.flash, offset: 0, size: 0xE8000)
        try secondary.write(at: 0xE7FF0, bytes: qspiPattern(16, seed: 4))
        #expect(try secondary.read(at: 0xE7FF0, count: 16) == qspiPattern(16, seed: 4))
        #expect(throws: FlashError.outOfBounds) { try secondary.write(at: 0xE8000, bytes: [0, 0, 0, 0]) }
        #expect(rig.faults.isEmpty)
    }

    @Test func fileBackedArraySurvivesARestart() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-qspi-\(UUID().uuidString).bin").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let rig = try QSPIRig.activated(array: try SPINORChipModel.mx25r6435fArray(backingFile: path))
            try rig.flash.write(at: 0x1234 & ~3, bytes: qspiPattern(40, seed: 5))
        }
        let rig = try QSPIRig.activated(array: try SPINORChipModel.mx25r6435fArray(backingFile: path))
        #expect(try rig.flash.read(at: 0x1234 & ~3, count: 40) == qspiPattern(40, seed: 5))
        #expect(rig.faults.isEmpty)
    }

    @Test func powerCutDuringAWriteLeavesATornPageAndTheDriverTimesOut() throws {
        let rig = try QSPIRig.activated()
        rig.chip.array.schedulePowerCut(afterOperations: 0)
        #expect(throws: FlashError.timeout) { try rig.flash.write(at: 0x100, bytes: qspiPattern(64, seed: 6)) }
        #expect(rig.chip.array.lastCut == .write(offset: 0x100, count: 64))
        rig.chip.array.restorePower()
        // After power returns the chip answers again (volatile state reset, QE kept).
        #expect(rig.chip.isQuadEnabled)
        let torn = try rig.flash.read(at: 0x100, count: 64)
        #expect(Array(torn[0..<32]) == Array(qspiPattern(64, seed: 6)[0..<32]))
        #expect(torn[32...].allSatisfy { $0 == 0xFF })
    }
}
