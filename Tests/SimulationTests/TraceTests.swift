import FlashKit
import Testing
@testable import Simulation

@Suite struct TraceTests {
    @Test func traceAndCountersForAKnownSequence() throws {
        let flash = try NORFlashModel(size: 8192, eraseSize: 4096, writeSize: 4)
        try flash.erase(at: 4096, count: 4096)
        try flash.write(at: 4096, bytes: [1, 2, 3, 4, 5, 6, 7, 8])
        _ = try flash.read(at: 4097, count: 3)
        #expect(throws: FlashError.notErased) { try flash.write(at: 4096, bytes: [1, 2, 3, 4]) }
        #expect(throws: FlashError.misaligned) { try flash.write(at: 4098, bytes: [1, 2, 3, 4]) }
        #expect(throws: FlashError.outOfBounds) { _ = try flash.read(at: 8190, count: 4) }
        try flash.write(at: 0, bytes: [9, 9, 9, 9])
        try flash.erase(at: 0, count: 8192)

        // Refused operations are not traced or counted.
        #expect(flash.trace == [
            .erase(offset: 4096, count: 4096),
            .write(offset: 4096, count: 8),
            .read(offset: 4097, count: 3),
            .write(offset: 0, count: 4),
            .erase(offset: 0, count: 8192),
        ])
        #expect(flash.writeCount == 2)
        #expect(flash.eraseCount == 2)
        #expect(flash.mutatingOperationCount == 4)
        #expect(flash.bytesWritten == 12)
        #expect(flash.trace.filter(\.isMutating).count == flash.mutatingOperationCount)

        flash.clearTrace()
        #expect(flash.trace.isEmpty)
        #expect(flash.mutatingOperationCount == 4)
    }

    @Test func disabledTraceStillCounts() throws {
        let flash = try NORFlashModel(size: 4096, eraseSize: 4096, writeSize: 4)
        flash.traceEnabled = false
        try flash.write(at: 0, bytes: [1, 2, 3, 4])
        _ = try flash.read(at: 0, count: 4)
        #expect(flash.trace.isEmpty)
        #expect(flash.writeCount == 1)
        flash.traceEnabled = true
        try flash.erase(at: 0, count: 4096)
        #expect(flash.trace == [.erase(offset: 0, count: 4096)])
    }

    @Test func inspectionHelpersAreNotTracedOrCounted() throws {
        let flash = try NORFlashModel(size: 4096, eraseSize: 1024, writeSize: 4)
        try flash.load([1, 0xFF, 3], at: 10)
        _ = flash.snapshot()
        _ = flash.bytes(in: 0..<16)
        #expect(flash.trace.isEmpty)
        #expect(flash.mutatingOperationCount == 0)
        #expect(flash.bytes(in: 9..<14) == [0xFF, 1, 0xFF, 3, 0xFF])
        // load marks non-erased bytes programmed and erased-valued bytes erased, unaligned or not.
        #expect(flash.isProgrammed(10) && !flash.isProgrammed(11) && flash.isProgrammed(12))
    }

    @Test func loadAndFillBypassWriteOnceButNotBounds() throws {
        let flash = try NORFlashModel(size: 4096, eraseSize: 1024, writeSize: 4)
        try flash.write(at: 0, bytes: [1, 2, 3, 4])
        try flash.load([5, 6], at: 1)
        #expect(flash.bytes(in: 0..<4) == [1, 5, 6, 4])
        #expect(throws: FlashError.outOfBounds) { try flash.load([1, 2], at: 4095) }
        #expect(throws: FlashError.outOfBounds) { try flash.load([1], at: Int.max) }
        #expect(throws: FlashError.outOfBounds) { try flash.fill(from: [UInt8](repeating: 1, count: 4097)) }
        #expect(flash.bytes(in: 0..<4) == [1, 5, 6, 4])

        try flash.fill(from: [7, 8])
        #expect(flash.bytes(in: 0..<4) == [7, 8, 0xFF, 0xFF])
        #expect(flash.isProgrammed(1) && !flash.isProgrammed(2))
        #expect(try flash.isErased(at: 2, count: 4094))
    }
}
