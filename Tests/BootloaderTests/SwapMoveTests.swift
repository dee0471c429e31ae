import Bootloader
import DFUTarget
import FlashKit
import LifeboatHost
import MCUbootImage
import Simulation
import Testing

/// Swap using move on the rig's 8-sector slots (4 KiB sectors): one trailer sector, one spare
/// sector, so images up to 6 sectors swap.
@Suite struct SwapMoveTests {
    static func rig(writeSize: Int = 4, erased: UInt8 = 0xFF, strategy: UpgradeStrategy = .swapUsingMove, newBody: Int = 9000) throws -> (BootRig, old: [UInt8], new: [UInt8]) {
        let rig = try BootRig(writeSize: writeSize, erasedValue: erased, strategy: strategy)
        let old = try BootRig.image(version: v1, writeSize: writeSize, erasedValue: erased)
        let new = try BootRig.image(version: v2, bodySize: newBody, seed: 2, writeSize: writeSize, erasedValue: erased)
        try rig.put(old, inSlot: 0)
        try rig.put(new, inSlot: 1)
        return (rig, old, new)
    }

    func primaryHolds(_ rig: BootRig, _ image: [UInt8]) -> Bool {
        rig.bytes(BootRig.primary.lowerBound..<(BootRig.primary.lowerBound + image.count)) == image
    }

    func secondaryHolds(_ rig: BootRig, _ image: [UInt8]) -> Bool {
        rig.bytes(BootRig.secondary.lowerBound..<(BootRig.secondary.lowerBound + image.count)) == image
    }

    /// The bytes of one trailer field of the primary (`count` bytes at `offset` in the slot).
    func primaryBytes(_ rig: BootRig, at offset: Int, count: Int) -> [UInt8] {
        rig.bytes((BootRig.primary.lowerBound + offset)..<(BootRig.primary.lowerBound + offset + count))
    }

    /// The MCUmgr guide's flow at the boot stage: test → swap (v2 runs) → reset without a
    /// confirm → revert (v1 back) → nothing more to do. Trailer bytes are read back after each step.
    @Test func testSwapThenRevert() throws {
        let (rig, old, new) = try Self.rig()
        try rig.requestTest()
        // boot_set_pending: magic, then swap_info TEST for image 0, nothing else.
        #expect(try rig.secondaryTrailer() == ImageTrailer(magic: .good, imageOK: .unset, copyDone: .unset, swapType: .test))

        let (outcome, events) = rig.boot()
        #expect(outcome == .boot(version: v2))
        #expect(events == [
            .swapType(image: 0, .test), .swapStarted(image: 0, .test, sectors: 3), .sectorsMoved(image: 0, count: 3),
            .sectorsSwapped(image: 0, count: 3), .swapCompleted(image: 0, .test), .booting(version: v2),
        ])
        #expect(primaryHolds(rig, new))
        #expect(secondaryHolds(rig, old), "the old image waits in the secondary for a revert")
        #expect(rig.outsideUnchanged())

        // The primary's trailer, byte for byte (inapp-dfu.md §2.1): swap_size (the larger image),
        // swap_info TEST of image 0, copy_done set, image_ok erased, the magic; the status area
        // holds three move entries (state 1) and three swap steps (states 1, 2).
        let layout = rig.layouts.primary
        let ff = UInt8(0xFF)
        let size = UInt32(max(old.count, new.count))
        #expect(primaryBytes(rig, at: layout.swapSizeOffset, count: 8) == [
            UInt8(size & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 24), ff, ff, ff, ff,
        ])
        #expect(primaryBytes(rig, at: layout.swapInfoOffset, count: 8) == [0x02, ff, ff, ff, ff, ff, ff, ff])
        #expect(primaryBytes(rig, at: layout.copyDoneOffset, count: 8) == [0x01, ff, ff, ff, ff, ff, ff, ff])
        #expect(primaryBytes(rig, at: layout.imageOKOffset, count: 8) == [UInt8](repeating: ff, count: 8))
        #expect(primaryBytes(rig, at: BootRig.primary.count - 16, count: 16) == (0..<16).map { ImageTrailer.standardMagic[$0] })
        let status = primaryBytes(rig, at: layout.statusOffset, count: layout.statusSize)
        let entries = stride(from: 0, to: status.count, by: 4).map { status[$0] }
        #expect(entries == [1, 1, 1, ff, ff, ff, ff, ff] + [1, 2, 1, 2, 1, 2] + [UInt8](repeating: ff, count: 10))
        #expect(status.enumerated().allSatisfy { $0.offset % 4 == 0 || $0.element == ff }, "entries padded with the erased value")
        // The secondary's trailer sector is erased: only the primary holds the state.
        #expect(rig.bytes((BootRig.secondary.upperBound - 0x1000)..<BootRig.secondary.upperBound).allSatisfy { $0 == ff })
        #expect(try rig.primaryTrailer() == ImageTrailer(magic: .good, imageOK: .unset, copyDone: .set, swapType: .test, swapSize: size))

        // Reset without confirming: MCUboot's table row 3 reverts.
        let (reverted, revertEvents) = rig.boot()
        #expect(reverted == .boot(version: v1))
        #expect(revertEvents == [
            .swapType(image: 0, .revert), .swapStarted(image: 0, .revert, sectors: 3), .revertPrepared(image: 0),
            .sectorsMoved(image: 0, count: 3), .sectorsSwapped(image: 0, count: 3), .swapCompleted(image: 0, .revert),
            .booting(version: v1),
        ])
        #expect(primaryHolds(rig, old))
        #expect(secondaryHolds(rig, new))
        #expect(try rig.primaryTrailer() == ImageTrailer(magic: .good, imageOK: .set, copyDone: .set, swapType: .revert, swapSize: size))
        #expect(try rig.secondaryTrailer().magic == .unset)
        #expect(rig.boot().1 == [.swapType(image: 0, .none), .booting(version: v1)])
        #expect(rig.outsideUnchanged())
    }

    /// A confirm from the running test image (image_ok in the primary) keeps it.
    @Test func confirmKeepsTheTestImage() throws {
        let (rig, _, new) = try Self.rig()
        try rig.requestTest()
        #expect(rig.boot().0 == .boot(version: v2))
        try rig.confirm()
        #expect(try rig.primaryTrailer().imageOK == .set)
        #expect(rig.boot().1 == [.swapType(image: 0, .none), .booting(version: v2)])
        #expect(rig.boot().1 == [.swapType(image: 0, .none), .booting(version: v2)])
        #expect(primaryHolds(rig, new))
    }

    /// A permanent request (`boot_set_pending(1)`), and an imgtool `--pad --confirm` image, are
    /// swapped in with image_ok set: never reverted.
    @Test(arguments: [false, true])
    func permanentUpgrade(paddedImage: Bool) throws {
        let (rig, old, _) = try Self.rig()
        let new = paddedImage ? try BootRig.image(version: v2, seed: 3, padConfirm: true) : try BootRig.image(version: v2, bodySize: 9000, seed: 2)
        try rig.put(new, inSlot: 1)
        if !paddedImage { try rig.requestTest(permanent: true) }
        let (outcome, events) = rig.boot()
        #expect(events.first == .swapType(image: 0, .permanent))
        #expect(outcome == .boot(version: v2))
        #expect(try rig.primaryTrailer().imageOK == .set)
        #expect(rig.boot().1 == [.swapType(image: 0, .none), .booting(version: v2)])
        #expect(secondaryHolds(rig, old))
        // The image part of it is what boots (imgtool pads the whole slot).
        #expect(rig.bytes(BootRig.primary.lowerBound..<(BootRig.primary.lowerBound + 0x2000)) == Array(new[0..<0x2000]))
    }

    @Test func invalidSecondaryIsScrambledAndTheOldImageBoots() throws {
        let (rig, old, _) = try Self.rig()
        var bad = try BootRig.image(version: v2, seed: 2)
        bad[0x300] ^= 0x01
        try rig.put(bad, inSlot: 1)
        try rig.requestTest()
        let (outcome, events) = rig.boot()
        #expect(events == [
            .swapType(image: 0, .test), .secondaryRejected(image: 0, .hashMismatch), .secondaryScrambled(image: 0), .booting(version: v1),
        ])
        #expect(outcome == .boot(version: v1))
        #expect(primaryHolds(rig, old))
        #expect(rig.boot().1.first == .swapType(image: 0, .none))
    }

    /// Move needs a spare sector: an image of 7 of the 8 sectors validates (it fits the slot with
    /// its trailer) but cannot be swapped; it is refused before anything is moved.
    @Test func imageWithoutASpareSectorIsRefused() throws {
        let (rig, old, _) = try Self.rig()
        let big = try BootRig.image(version: v2, bodySize: 6 * 0x1000 + 100, seed: 4)
        try rig.put(big, inSlot: 1)
        try rig.requestTest()
        let (outcome, events) = rig.boot()
        #expect(events.contains(.swapRefused(image: 0, .notEnoughSpace)))
        #expect(outcome == .boot(version: v1))
        #expect(primaryHolds(rig, old))
        #expect(rig.boot().1.first == .swapType(image: 0, .none))
    }

    /// A primary trailer that looks like a swap in progress but cannot be one (status entries,
    /// no swap_info; or a swap_size beyond the slot) is not resumed: nothing is written and the
    /// primary boots.
    @Test(arguments: [false, true])
    func impossibleStatusIsNotResumed(hugeSize: Bool) throws {
        let (rig, old, _) = try Self.rig()
        try rig.load(erasedSecondary: true)
        let layout = rig.layouts.primary
        try layout.writeProgress(SwapProgress(phase: .move, index: 1, state: 1), to: rig.primaryArea, format: .move)
        try layout.writeProgress(SwapProgress(phase: .swap, index: 2, state: 1), to: rig.primaryArea, format: .move)
        if hugeSize {
            try layout.writeSwapInfo(.test, image: 0, to: rig.primaryArea)
            try layout.writeSwapSize(0x7FFF_0000, to: rig.primaryArea)
        }
        try layout.writeMagic(to: rig.primaryArea)
        let before = rig.flash.snapshot()
        let (outcome, events) = rig.boot()
        #expect(events == [.swapRefused(image: 0, .impossibleStatus), .booting(version: v1)])
        #expect(outcome == .boot(version: v1))
        #expect(rig.flash.snapshot() == before)
        #expect(primaryHolds(rig, old))
    }

    /// Garbage in every trailer field of both slots: never a trap, never a swap on a trailer that
    /// cannot be read, and the primary boots.
    @Test func garbageTrailersBootThePrimary() throws {
        for seed in UInt32(1)...40 {
            let (rig, old, _) = try Self.rig()
            var state = seed
            for slot in [BootRig.primary, BootRig.secondary] {
                let junk = (0..<0x200).map { _ in
                    state = state &* 1_103_515_245 &+ 12345
                    return UInt8(truncatingIfNeeded: state >> 16)
                }
                try rig.flash.load(junk, at: slot.upperBound - 0x200)
            }
            let (outcome, _) = rig.boot()
            #expect(outcome == .boot(version: v1), "seed \(seed)")
            #expect(primaryHolds(rig, old), "seed \(seed)")
            #expect(rig.outsideUnchanged())
        }
    }
}

extension BootRig {
    /// Erases the secondary slot in place (set-up, not counted).
    func load(erasedSecondary: Bool) throws {
        try flash.load([UInt8](repeating: flash.erasedValue, count: Self.secondary.count), at: Self.secondary.lowerBound)
    }
}

/// MCUboot's power-cut method over swap using move, with torn writes: every operation of a test
/// upgrade, a permanent upgrade and a revert, in three geometries; after each cut a fresh boot
/// finishes the swap, the right image boots whole, the next boot does what MCUboot would
/// (revert a test, keep a permanent or a revert), and nothing outside the slots changed.
@Suite struct SwapMovePowerCutTests {
    enum Kind: String, Sendable, CaseIterable { case test, permanent, revert }

    struct Setup: Sendable, CustomTestStringConvertible {
        var kind: Kind
        var writeSize: Int
        var erased: UInt8
        var strategy: UpgradeStrategy = .swapUsingMove
        /// The new image's body: 9000 bytes (3 sectors), or for scratch also one that reaches the
        /// primary's trailer sector (MCUboot's `use_scratch` path).
        var newBody: Int = 9000
        var testDescription: String {
            "\(kind), \(strategy.name)\(newBody > 9000 ? " into the trailer sector" : ""), write size \(writeSize), erased 0x\(String(erased, radix: 16))"
        }
    }

    static let moveSetups: [Setup] = Kind.allCases.flatMap { (kind: Kind) -> [Setup] in
        [Setup(kind: kind, writeSize: 4, erased: 0xFF), Setup(kind: kind, writeSize: 16, erased: 0xFF), Setup(kind: kind, writeSize: 4, erased: 0x00)]
    }

    static let scratchSetups: [Setup] = Kind.allCases.flatMap { (kind: Kind) -> [Setup] in
        let intoTrailer = 7 * 0x1000 + 1500
        return [
            Setup(kind: kind, writeSize: 4, erased: 0xFF, strategy: .swapUsingScratch),
            Setup(kind: kind, writeSize: 16, erased: 0x00, strategy: .swapUsingScratch),
            Setup(kind: kind, writeSize: 4, erased: 0xFF, strategy: .swapUsingScratch, newBody: intoTrailer),
            Setup(kind: kind, writeSize: 16, erased: 0x00, strategy: .swapUsingScratch, newBody: intoTrailer - 500),
        ]
    }

    static let setups: [Setup] = moveSetups + scratchSetups

    /// The flash before the boot that the sweep cuts.
    static func prepared(_ s: Setup) throws -> (BootRig, old: [UInt8], new: [UInt8]) {
        let (rig, old, new) = try SwapMoveTests.rig(writeSize: s.writeSize, erased: s.erased, strategy: s.strategy, newBody: s.newBody)
        try rig.requestTest(permanent: s.kind == .permanent)
        if s.kind == .revert {
            guard rig.boot().0 == .boot(version: v2) else { throw SimulationError("test swap failed") }
        }
        return (rig, old, new)
    }

    static func check(_ rig: BootRig, _ s: Setup, old: [UInt8], new: [UInt8], _ context: String) {
        let (expected, image, other) = s.kind == .revert ? (v1, old, new) : (v2, new, old)
        let (outcome, _) = rig.boot()
        #expect(outcome == .boot(version: expected), "\(context)")
        #expect(rig.bytes(BootRig.primary.lowerBound..<(BootRig.primary.lowerBound + image.count)) == image, "\(context)")
        #expect(rig.bytes(BootRig.secondary.lowerBound..<(BootRig.secondary.lowerBound + other.count)) == other, "\(context): the other image is kept")
        #expect(rig.outsideUnchanged(), "\(context)")
        // And the boot after: a test image is reverted, anything else stays.
        let next = rig.boot().0
        #expect(next == .boot(version: s.kind == .test ? v1 : expected), "\(context): the boot after")
    }

    @Test(arguments: setups)
    func cutAtEveryOperation(setup: Setup) throws {
        let (clean, old, new) = try Self.prepared(setup)
        let before = clean.flash.mutatingOperationCount
        _ = clean.boot()
        let operations = clean.flash.mutatingOperationCount - before
        #expect(operations > 20, "a real swap: \(operations) flash operations")
        Self.check(try Self.prepared(setup).0, setup, old: old, new: new, "no cut")

        for cut in 0..<operations {
            let (rig, _, _) = try Self.prepared(setup)
            rig.flash.schedulePowerCut(afterOperations: cut)
            guard case .halted(.powerCut) = rig.boot().0 else {
                Issue.record("cut \(cut): the boot did not stop at the cut")
                continue
            }
            rig.flash.restorePower()
            Self.check(rig, setup, old: old, new: new, "cut at operation \(cut) of \(operations)")
        }
    }

    /// A second cut during the boot that resumes from the first, at every point of it.
    @Test(arguments: [
        Setup(kind: .test, writeSize: 4, erased: 0xFF), Setup(kind: .revert, writeSize: 16, erased: 0x00),
        Setup(kind: .revert, writeSize: 4, erased: 0xFF, strategy: .swapUsingScratch, newBody: 7 * 0x1000 + 1500),
    ])
    func cutAgainDuringTheResume(setup: Setup) throws {
        let (clean, old, new) = try Self.prepared(setup)
        let start = clean.flash.mutatingOperationCount
        _ = clean.boot()
        let operations = clean.flash.mutatingOperationCount - start
        for first in stride(from: 0, to: operations, by: 7) {
            let (probe, _, _) = try Self.prepared(setup)
            probe.flash.schedulePowerCut(afterOperations: first)
            _ = probe.boot()
            probe.flash.restorePower()
            let resumeStart = probe.flash.mutatingOperationCount
            _ = probe.boot()
            let resumeOperations = probe.flash.mutatingOperationCount - resumeStart
            for second in 0..<resumeOperations {
                let (rig, _, _) = try Self.prepared(setup)
                rig.flash.schedulePowerCut(afterOperations: first)
                _ = rig.boot()
                rig.flash.restorePower()
                rig.flash.schedulePowerCut(afterOperations: second)
                _ = rig.boot()
                rig.flash.restorePower()
                rig.flash.cancelPowerCut()
                Self.check(rig, setup, old: old, new: new, "cuts at \(first) then \(second) of \(resumeOperations)")
            }
        }
    }
}
