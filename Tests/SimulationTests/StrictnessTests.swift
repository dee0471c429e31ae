import FlashKit
import Testing
@testable import Simulation

/// Every refused operation must leave the device byte-for-byte (and flag-for-flag) unchanged.
@Suite struct StrictnessTests {
    /// A 4 KiB device, 1 KiB sectors, 4-byte writes, half programmed.
    func preparedFlash() throws -> NORFlashModel {
        let flash = try NORFlashModel(size: 4096, eraseSize: 1024, writeSize: 4)
        try flash.write(at: 0, bytes: pattern(2048, seed: 2, avoiding: 0xFF))
        flash.clearTrace()
        return flash
    }

    func expectUnchanged(_ flash: NORFlashModel, from before: [UInt8], _ comment: Comment? = nil) {
        #expect(flash.snapshot() == before, comment)
        #expect((0..<2048).allSatisfy(flash.isProgrammed), comment)
        #expect(!(2048..<4096).contains(where: flash.isProgrammed), comment)
        #expect(flash.trace.isEmpty, comment)
        #expect(flash.mutatingOperationCount == 1, comment)
    }

    @Test func rewritingTheSameValueIsNotErased() throws {
        let flash = try preparedFlash()
        let before = flash.snapshot()
        #expect(throws: FlashError.notErased) { try flash.write(at: 16, bytes: Array(before[16..<24])) }
        expectUnchanged(flash, from: before)
    }

    @Test func rewritingADifferentValueIsNotErased() throws {
        let flash = try preparedFlash()
        let before = flash.snapshot()
        #expect(throws: FlashError.notErased) { try flash.write(at: 16, bytes: [0, 0, 0, 0]) }
        expectUnchanged(flash, from: before)
    }

    @Test func aWriteOverlappingOneProgrammedByteChangesNothing() throws {
        let flash = try preparedFlash()
        let before = flash.snapshot()
        // 2044..<2048 programmed, 2048..<2060 erased: the erased part must not be written either.
        #expect(throws: FlashError.notErased) { try flash.write(at: 2044, bytes: [UInt8](repeating: 0x11, count: 16)) }
        expectUnchanged(flash, from: before)
    }

    @Test(arguments: [(2050, 4), (2048, 6), (2049, 1), (2052, 3)])
    func misalignedWriteChangesNothing(offset: Int, count: Int) throws {
        let flash = try preparedFlash()
        let before = flash.snapshot()
        #expect(throws: FlashError.misaligned) { try flash.write(at: offset, bytes: [UInt8](repeating: 0, count: count)) }
        expectUnchanged(flash, from: before)
    }

    @Test(arguments: [(2048, 1000), (2048 + 4, 1024), (1024, 1), (3072, 1020), (512, 1024)])
    func partialSectorEraseChangesNothing(offset: Int, count: Int) throws {
        let flash = try preparedFlash()
        let before = flash.snapshot()
        #expect(throws: FlashError.misaligned) { try flash.erase(at: offset, count: count) }
        expectUnchanged(flash, from: before)
    }

    static let outOfBounds: [(Int, Int)] = [
        (4096, 4), (4092, 8), (-4, 4), (0, 4100), (4, Int.max - 3), (Int.max - 3, 4), (Int.max, 4),
        (4, Int.max), (Int.min, 4), (0, -4), (Int.max - 1023, 1024),
    ]

    @Test(arguments: outOfBounds)
    func outOfBoundsWriteChangesNothing(offset: Int, count: Int) throws {
        let flash = try preparedFlash()
        let before = flash.snapshot()
        // A span cannot have a negative or huge count: a negative count becomes a one-unit write at
        // an offset that overflows, a huge one the largest buffer we bother to build.
        let bytes = [UInt8](repeating: 0, count: count < 0 ? 4 : min(count, 8192))
        let at = count < 0 ? Int.max - 3 : offset
        #expect(throws: FlashError.outOfBounds) { try flash.write(at: at, bytes: bytes) }
        expectUnchanged(flash, from: before)
    }

    @Test(arguments: outOfBounds)
    func outOfBoundsEraseChangesNothing(offset: Int, count: Int) throws {
        let flash = try preparedFlash()
        let before = flash.snapshot()
        #expect(throws: FlashError.outOfBounds) { try flash.erase(at: offset, count: count) }
        expectUnchanged(flash, from: before)
    }

    @Test(arguments: outOfBounds)
    func outOfBoundsReadIsRefused(offset: Int, count: Int) throws {
        let flash = try preparedFlash()
        let before = flash.snapshot()
        #expect(throws: FlashError.outOfBounds) { _ = try flash.read(at: offset, count: count) }
        var buffer = [UInt8](repeating: 0xEE, count: 8)
        var span = buffer.mutableSpan
        // The span has 8 bytes: keep offsets that are out of bounds for it, move the others to the end.
        let spanOffset = (0...4088).contains(offset) ? 4092 : offset
        #expect(throws: FlashError.outOfBounds) { try flash.read(at: spanOffset, into: &span) }
        _ = consume span
        #expect(buffer == [UInt8](repeating: 0xEE, count: 8))
        expectUnchanged(flash, from: before)
    }
}
