import FlashKit
import Testing
@testable import Simulation

/// The two tools of the power-cut sweep: copy-on-write checkpoints of a NOR model, and a power
/// rail that records a run's operations and replays them, torn or whole.
@Suite struct CheckpointReplayTests {
    static func model(erased: UInt8 = 0xFF) throws -> NORFlashModel {
        try NORFlashModel(size: 1024, eraseSize: 256, writeSize: 4, erasedValue: erased)
    }

    @Test func rollBackRestoresOnlyWhatChangedAndStaysUsable() throws {
        let flash = try Self.model()
        try flash.load(pattern(256, seed: 3, avoiding: 0xFF), at: 0)
        let start = flash.snapshot()
        let checkpoint = flash.checkpoint()
        #expect(checkpoint.changedSectorCount == 0)
        try flash.erase(at: 0, count: 256)
        try flash.write(at: 512, [1, 2, 3, 4].span)
        #expect(checkpoint.changedSectorCount == 2)
        #expect(flash.snapshot() != start)
        flash.rollBack(to: checkpoint)
        #expect(flash.snapshot() == start)
        #expect(flash.isProgrammed(0) && !flash.isProgrammed(512), "the write-once state comes back too")
        // The same checkpoint again: write where it was erased, roll back again.
        try flash.write(at: 512, [9, 9, 9, 9].span)
        flash.rollBack(to: checkpoint)
        #expect(flash.snapshot() == start)
        #expect(Set(flash.sectorsTouchedSinceCheckpoint) == [0, 2])
    }

    @Test func nestedCheckpointsAdvanceAndRelease() throws {
        let flash = try Self.model(erased: 0x00)
        let outer = flash.checkpoint()
        let atOuter = flash.snapshot()
        try flash.write(at: 0, [1, 1, 1, 1].span)
        let inner = flash.checkpoint()
        let atInner = flash.snapshot()
        try flash.write(at: 256, [2, 2, 2, 2].span)
        try flash.erase(at: 0, count: 256)
        flash.rollBack(to: inner)
        #expect(flash.snapshot() == atInner)
        // Advance the inner one past a write: rolling back now keeps that write.
        try flash.write(at: 768, [3, 3, 3, 3].span)
        flash.advance(inner)
        let advanced = flash.snapshot()
        try flash.erase(at: 768, count: 256)
        flash.rollBack(to: inner)
        #expect(flash.snapshot() == advanced)
        // The outer one still knows the state before all of it, and releases the inner one.
        flash.rollBack(to: outer)
        #expect(flash.snapshot() == atOuter)
        #expect(!flash.isProgrammed(0) && !flash.isProgrammed(768))
        try flash.write(at: 0, [4, 4, 4, 4].span)
        flash.release(outer)
        #expect(flash.checkpoints.isEmpty)
        #expect(flash.bytes(in: 0..<4) == [4, 4, 4, 4], "a released checkpoint no longer saves or restores")
    }

    /// A recorded run replayed whole on a fresh device gives the same bytes; replayed with the
    /// k-th operation torn, it gives what a power cut scheduled at k gives.
    @Test(arguments: 0..<5)
    func replayEqualsARunCutAtTheSamePoint(cut: Int) throws {
        func run(_ flash: NORFlashModel) {
            _ = try? flash.erase(at: 0, count: 512)
            _ = try? flash.write(at: 0, pattern(64, seed: 1, avoiding: 0xFF).span)
            _ = try? flash.write(at: 256, pattern(16, seed: 2, avoiding: 0xFF).span)
            _ = try? flash.erase(at: 256, count: 256)
            _ = try? flash.write(at: 260, pattern(32, seed: 3, avoiding: 0xFF).span)
        }
        let recordRail = PowerRail()
        let recorder = try Self.model()
        try recorder.load(pattern(1024, seed: 9, avoiding: 0xFF), at: 0)
        let initial = recorder.snapshot()
        recorder.rail = recordRail
        recordRail.startRecording()
        run(recorder)
        let journal = recordRail.stopRecording()
        #expect(journal.count == 5)

        let cutRail = PowerRail()
        let cutFlash = try Self.model()
        try cutFlash.load(initial, at: 0)
        cutFlash.rail = cutRail
        cutRail.scheduleCut(afterOperations: cut)
        run(cutFlash)

        let replayRail = PowerRail()
        let replayFlash = try Self.model()
        try replayFlash.load(initial, at: 0)
        replayFlash.rail = replayRail
        var errors: [FlashError?] = []
        for (index, recorded) in journal[0...cut].enumerated() {
            let operation = PowerRail.Operation(device: replayFlash, kind: recorded.kind)
            errors.append(replayRail.replay(operation, tearing: index == cut))
        }
        #expect(errors.last! == .powerCut)
        #expect(errors.dropLast().allSatisfy { $0 == nil })
        #expect(replayFlash.snapshot() == cutFlash.snapshot())
        #expect(replayFlash.snapshot() != initial)
    }

    @Test func replayOntoTheWrongStateSaysSo() throws {
        let rail = PowerRail()
        let flash = try Self.model()
        flash.rail = rail
        try flash.write(at: 0, [1, 2, 3, 4].span)
        let again = PowerRail.Operation(device: flash, kind: .write(offset: 0, bytes: [1, 2, 3, 4]))
        #expect(rail.replay(again, tearing: false) == .notErased)
        #expect(rail.isPowered)
    }
}
