import Bootloader
import DFUTarget
import FlashKit
import LifeboatHost
import MCUbootImage
import Recovery
import Simulation
import Testing

/// One image's two slots on a strict NOR model, with junk around them (any stray write shows).
final class BootRig {
    static let deviceSize = 0x14000
    static let sector = 0x1000
    static let primary = 0x2000..<0xA000
    static let secondary = 0xA000..<0x12000

    /// The scratch area, when the rig has one (swap using scratch): one sector after the slots.
    static let scratchRange = 0x12000..<0x13000

    struct Slots: SlotMap {
        typealias Area = FlashArea<NORFlashModel>
        let areas: [Area]
        let scratchArea: Area?
        var imageCount: Int { 1 }
        func area(image: Int, slot: Int) -> Area? { image == 0 && slot >= 0 && slot < areas.count ? areas[slot] : nil }
        var scratch: Area? { scratchArea }
    }

    let flash: NORFlashModel
    let slots: Slots
    let junk: [UInt8]

    /// The boot stage's configuration (``boot(_:inputs:)`` without one); overwrite-only unless a
    /// test asks for another strategy.
    var configuration: BootConfiguration

    init(writeSize: Int = 4, erasedValue: UInt8 = 0xFF, strategy: UpgradeStrategy = .overwriteOnly) throws {
        configuration = BootConfiguration(strategy: strategy)
        flash = try NORFlashModel(size: Self.deviceSize, eraseSize: Self.sector, writeSize: writeSize, erasedValue: erasedValue)
        flash.traceEnabled = false
        var state: UInt32 = 0x1234_5678
        junk = (0..<Self.deviceSize).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            let b = UInt8(truncatingIfNeeded: state >> 24)
            return b == 0x00 || b == 0xFF ? 0x5A : b
        }
        try flash.load(junk, at: 0)
        // The slots start erased.
        try flash.load([UInt8](repeating: erasedValue, count: Self.primary.count), at: Self.primary.lowerBound)
        try flash.load([UInt8](repeating: erasedValue, count: Self.secondary.count), at: Self.secondary.lowerBound)
        var scratchArea: FlashArea<NORFlashModel>?
        if strategy == .swapUsingScratch {
            try flash.load([UInt8](repeating: erasedValue, count: Self.scratchRange.count), at: Self.scratchRange.lowerBound)
            scratchArea = try FlashArea(device: flash, offset: Self.scratchRange.lowerBound, size: Self.scratchRange.count)
        }
        slots = Slots(areas: [
            try FlashArea(device: flash, offset: Self.primary.lowerBound, size: Self.primary.count),
            try FlashArea(device: flash, offset: Self.secondary.lowerBound, size: Self.secondary.count),
        ], scratchArea: scratchArea)
    }

    var primaryArea: FlashArea<NORFlashModel> { slots.areas[0] }
    var secondaryArea: FlashArea<NORFlashModel> { slots.areas[1] }

    static func image(version: ImageVersion, bodySize: Int = 10_000, seed: UInt32 = 1, writeSize: Int = 4, erasedValue: UInt8 = 0xFF,
                      padConfirm: Bool = false) throws -> [UInt8] {
        var state = seed
        let body = (0..<bodySize).map { _ in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
        var options = SigningOptions(version: version, slotSize: primary.count)
        options.padHeader = true
        options.align = writeSize
        options.erasedValue = erasedValue
        options.confirm = padConfirm
        options.maxSectors = primary.count / sector  // BOOT_MAX_IMG_SECTORS for the rig's 8-sector slots
        return try ImageSigner(options: options).sign(body)
    }

    func put(_ image: [UInt8], inSlot slot: Int) throws {
        try flash.load(image, at: (slot == 0 ? Self.primary : Self.secondary).lowerBound)
    }

    var layouts: (primary: TrailerLayout, secondary: TrailerLayout?) {
        configuration.trailerLayouts(primary: primaryArea, secondary: secondaryArea)
    }

    /// What `boot_set_pending(0)` (or `boot_set_confirmed` when `permanent`) writes into the
    /// secondary: its magic, image_ok for a permanent request, and swap_info (which overwrite-only
    /// trailers do not have).
    func requestTest(permanent: Bool = false) throws {
        try layouts.secondary!.setNext(secondaryArea, image: 0, active: false, confirm: permanent)
    }

    /// What the running application's confirm writes: image_ok in the primary.
    func confirm() throws {
        try layouts.primary.setNext(primaryArea, image: 0, active: true, confirm: true)
    }

    func primaryTrailer() throws -> ImageTrailer { try ImageTrailer(reading: primaryArea, layout: layouts.primary) }
    func secondaryTrailer() throws -> ImageTrailer { try ImageTrailer(reading: secondaryArea, layout: layouts.secondary!) }

    func bootloader(_ configuration: BootConfiguration? = nil) -> Bootloader<Slots> {
        Bootloader(slots: slots, configuration: configuration ?? self.configuration)
    }

    func boot(_ configuration: BootConfiguration? = nil, inputs: BootInputs = BootInputs()) -> (BootOutcome, [BootEvent]) {
        var events: [BootEvent] = []
        let outcome = bootloader(configuration).boot(inputs) { events.append($0) }
        return (outcome, events)
    }

    func bytes(_ range: Range<Int>) -> [UInt8] { flash.bytes(in: range) }

    /// Bytes outside both slots (and the scratch, when the rig has one) are what they were.
    func outsideUnchanged() -> Bool {
        let tail = slots.scratchArea == nil ? Self.secondary.upperBound : Self.scratchRange.upperBound
        return bytes(0..<Self.primary.lowerBound) == Array(junk[0..<Self.primary.lowerBound])
            && bytes(tail..<Self.deviceSize) == Array(junk[tail...])
    }
}

let v1 = ImageVersion(major: 1, minor: 0, revision: 0)
let v2 = ImageVersion(major: 2, minor: 0, revision: 0)

@Suite struct BootDecisionTests {
    @Test func buttonComesBeforeEverythingThenBootMode() throws {
        let rig = try BootRig()
        try rig.put(try BootRig.image(version: v1), inSlot: 0)
        #expect(rig.boot(inputs: BootInputs(recoveryButton: true)).0 == .recovery(.button))
        #expect(rig.boot(inputs: BootInputs(recoveryButton: true, retainedBootMode: 1)).0 == .recovery(.button))
        #expect(rig.boot(inputs: BootInputs(retainedBootMode: 1)).0 == .recovery(.retainedBootMode))
        #expect(rig.boot(inputs: BootInputs(retainedBootMode: 2)).0 == .boot(version: v1))
        #expect(rig.boot().0 == .boot(version: v1))
    }

    /// The retained boot mode is checked after normal boot processing (MCUboot's `main.c`): a
    /// pending upgrade is carried out, then the board stays in recovery.
    @Test func bootModeComesAfterThePendingUpgrade() throws {
        let rig = try BootRig()
        try rig.put(try BootRig.image(version: v1), inSlot: 0)
        try rig.put(try BootRig.image(version: v2, seed: 2), inSlot: 1)
        try rig.requestTest()
        let (outcome, events) = rig.boot(inputs: BootInputs(retainedBootMode: 1))
        #expect(outcome == .recovery(.retainedBootMode))
        #expect(events.contains(.upgraded(image: 0, version: v2)))
        #expect(rig.boot().0 == .boot(version: v2))
        // With no bootable image the reason given is still the request.
        let empty = try BootRig()
        #expect(empty.boot(inputs: BootInputs(retainedBootMode: 1)).0 == .recovery(.retainedBootMode))
    }

    /// A pending upgrade is not carried out when the button is held: the request waits.
    @Test func recoveryRequestLeavesAPendingUpgradeAlone() throws {
        let rig = try BootRig()
        try rig.put(try BootRig.image(version: v1), inSlot: 0)
        try rig.put(try BootRig.image(version: v2, seed: 2), inSlot: 1)
        try rig.requestTest()
        let before = rig.flash.snapshot()
        #expect(rig.boot(inputs: BootInputs(recoveryButton: true)).0 == .recovery(.button))
        #expect(rig.flash.snapshot() == before)
    }

    @Test(arguments: [UInt8(0xFF), 0x00])
    func emptyFlashEntersRecovery(erased: UInt8) throws {
        let rig = try BootRig(erasedValue: erased)
        let (outcome, events) = rig.boot()
        #expect(outcome == .recovery(.noBootableImage(.noImage)))
        #expect(events == [.swapType(image: 0, .none), .recoveryRequested(.noBootableImage(.noImage))])
    }

    @Test func corruptPrimaryEntersRecovery() throws {
        let rig = try BootRig()
        var image = try BootRig.image(version: v1)
        image[0x300] ^= 0x01
        try rig.put(image, inSlot: 0)
        #expect(rig.boot().0 == .recovery(.noBootableImage(.hashMismatch)))
    }
}

@Suite struct OverwriteUpgradeTests {
    @Test(arguments: [(4, UInt8(0xFF)), (16, 0x00)])
    func testRequestIsCarriedOut(writeSize: Int, erased: UInt8) throws {
        let rig = try BootRig(writeSize: writeSize, erasedValue: erased)
        let old = try BootRig.image(version: v1, writeSize: writeSize, erasedValue: erased)
        let new = try BootRig.image(version: v2, bodySize: 9000, seed: 2, writeSize: writeSize, erasedValue: erased)
        try rig.put(old, inSlot: 0)
        try rig.put(new, inSlot: 1)
        try rig.requestTest()
        let (outcome, events) = rig.boot()
        #expect(outcome == .boot(version: v2))
        let copy = (new.count + writeSize - 1) / writeSize * writeSize
        #expect(events == [
            .swapType(image: 0, .test),
            .primaryErased(image: 0, offset: 0, count: 0x3000),
            .primaryErased(image: 0, offset: 0x7000, count: 0x1000),
            .copied(image: 0, bytes: copy),
            .primaryMagicWritten(image: 0),
            .secondaryScrambled(image: 0),
            .upgraded(image: 0, version: v2),
            .booting(version: v2),
        ])
        let primary = BootRig.primary
        #expect(rig.bytes(primary.lowerBound..<(primary.lowerBound + new.count)) == new)
        // The primary's trailer: magic GOOD, image_ok and copy_done erased (no revert in this mode).
        let trailer = try ImageTrailer(reading: rig.primaryArea, layout: TrailerLayout(slot: rig.primaryArea, overwriteOnly: true))
        #expect(trailer == ImageTrailer(magic: .good, imageOK: .unset, copyDone: .unset))
        // The secondary: header sector and trailer sector erased.
        let secondary = BootRig.secondary
        #expect(rig.bytes(secondary.lowerBound..<(secondary.lowerBound + 0x1000)).allSatisfy { $0 == erased })
        #expect(rig.bytes((secondary.upperBound - 0x1000)..<secondary.upperBound).allSatisfy { $0 == erased })
        #expect(rig.outsideUnchanged())
        // The next boot has nothing to do.
        #expect(rig.boot().1 == [.swapType(image: 0, .none), .booting(version: v2)])
    }

    /// imgtool `--pad --confirm`, uploaded to the secondary, is a permanent upgrade.
    @Test func paddedConfirmedImageIsPermanent() throws {
        let rig = try BootRig()
        try rig.put(try BootRig.image(version: v1), inSlot: 0)
        let new = try BootRig.image(version: v2, seed: 3, padConfirm: true)
        #expect(new.count == BootRig.secondary.count)
        try rig.put(new, inSlot: 1)
        let (outcome, events) = rig.boot()
        #expect(events.first == .swapType(image: 0, .permanent))
        #expect(outcome == .boot(version: v2))
    }

    /// A build that carries only swap using move (the firmware's `SwapUsingMoveOnly`) refuses an
    /// upgrade while configured for overwrite-only: the refusal is reported, no byte of either
    /// slot changes, the old image boots; with nothing requested it says nothing. The same set
    /// still swaps when the configuration asks for swap using move.
    @Test func aStrategyOutsideTheBuildsSetRefusesTheUpgrade() throws {
        let rig = try BootRig()  // configured for overwrite-only
        let old = try BootRig.image(version: v1)
        try rig.put(old, inSlot: 0)
        var events: [BootEvent] = []
        #expect(rig.bootloader().boot(BootInputs(), strategies: SwapUsingMoveOnly.self) { events.append($0) } == .boot(version: v1))
        #expect(events == [.booting(version: v1)])

        try rig.put(try BootRig.image(version: v2, seed: 2), inSlot: 1)
        try rig.requestTest()
        let before = rig.bytes(0..<BootRig.deviceSize)
        events = []
        #expect(rig.bootloader().boot(BootInputs(), strategies: SwapUsingMoveOnly.self) { events.append($0) } == .boot(version: v1))
        #expect(events == [.swapRefused(image: 0, .strategyNotBuiltIn), .booting(version: v1)])
        #expect(rig.bytes(0..<BootRig.deviceSize) == before)

        events = []
        let outcome = rig.bootloader(BootConfiguration(strategy: .swapUsingMove))
            .boot(BootInputs(), strategies: SwapUsingMoveOnly.self) { events.append($0) }
        #expect(outcome == .boot(version: v2))
        #expect(events.contains(.swapCompleted(image: 0, .test)))
    }

    /// A secondary that asks for an upgrade but does not validate is scrambled; the old image boots.
    @Test func invalidSecondaryIsScrambled() throws {
        let rig = try BootRig()
        let old = try BootRig.image(version: v1)
        try rig.put(old, inSlot: 0)
        var bad = try BootRig.image(version: v2, seed: 2)
        bad[0x400] ^= 0x80
        try rig.put(bad, inSlot: 1)
        try rig.requestTest()
        let (outcome, events) = rig.boot()
        #expect(events == [
            .swapType(image: 0, .test), .secondaryRejected(image: 0, .hashMismatch), .secondaryScrambled(image: 0),
            .booting(version: v1),
        ])
        #expect(outcome == .boot(version: v1))
        #expect(rig.bytes(BootRig.primary.lowerBound..<(BootRig.primary.lowerBound + old.count)) == old)
        #expect(rig.boot().1.first == .swapType(image: 0, .none))
    }

    @Test(arguments: [true, false])
    func downgradePrevention(enabled: Bool) throws {
        let rig = try BootRig()
        try rig.put(try BootRig.image(version: v2), inSlot: 0)
        try rig.put(try BootRig.image(version: v1, seed: 2), inSlot: 1)
        try rig.requestTest()
        let (outcome, events) = rig.boot(BootConfiguration(strategy: .overwriteOnly, downgradePrevention: enabled))
        if enabled {
            #expect(events.contains(.secondaryRejected(image: 0, .downgrade)))
            #expect(outcome == .boot(version: v2))
        } else {
            #expect(outcome == .boot(version: v1))
        }
    }

    /// An image too large for the primary once its trailer is counted is refused, not half-copied.
    @Test func imageThatLeavesNoRoomForThePrimaryTrailerIsRefused() throws {
        let rig = try BootRig()
        try rig.put(try BootRig.image(version: v1), inSlot: 0)
        var options = SigningOptions(version: v2, slotSize: 0)  // no slot-size check: imgtool would refuse it
        options.padHeader = true
        // Ends 24 bytes before the slot end: inside the secondary (its magic still fits after it),
        // but into the 32 bytes the primary's overwrite-only trailer needs.
        let big = try ImageSigner(options: options).sign([UInt8](repeating: 0x42, count: BootRig.secondary.count - 0x200 - 40 - 24))
        #expect(big.count == BootRig.secondary.count - 24)
        try rig.put(big, inSlot: 1)
        try rig.requestTest()
        let (outcome, events) = rig.boot()
        #expect(events.contains(.secondaryRejected(image: 0, .imageExceedsSlot)))
        #expect(outcome == .boot(version: v1))
    }
}

/// MCUboot's power-cut method (mcuboot-serial-recovery.md §7.2): count the flash operations of a
/// clean upgrade, then cut at every one of them (and again during the resumed boot), restore
/// power, boot a fresh bootloader over what survived, and check that the new image boots, whole,
/// and nothing outside the slots changed.
@Suite struct OverwritePowerCutTests {
    struct Setup: Sendable, CustomTestStringConvertible {
        var writeSize: Int
        var erased: UInt8
        var testDescription: String { "write size \(writeSize), erased 0x\(String(erased, radix: 16))" }
    }

    static let setups = [Setup(writeSize: 4, erased: 0xFF), Setup(writeSize: 16, erased: 0xFF), Setup(writeSize: 4, erased: 0x00)]

    static func prepared(_ s: Setup) throws -> (BootRig, [UInt8]) {
        let rig = try BootRig(writeSize: s.writeSize, erasedValue: s.erased)
        try rig.put(try BootRig.image(version: v1, writeSize: s.writeSize, erasedValue: s.erased), inSlot: 0)
        let new = try BootRig.image(version: v2, bodySize: 9000, seed: 2, writeSize: s.writeSize, erasedValue: s.erased)
        try rig.put(new, inSlot: 1)
        try rig.requestTest()
        return (rig, new)
    }

    @Test(arguments: setups)
    func cutAtEveryOperation(setup: Setup) throws {
        let (clean, _) = try Self.prepared(setup)
        let before = clean.flash.mutatingOperationCount
        #expect(clean.boot().0 == .boot(version: v2))
        let operations = clean.flash.mutatingOperationCount - before
        #expect(operations > 10, "a real upgrade: \(operations) flash operations")

        for cut in 0..<operations {
            let (rig, new) = try Self.prepared(setup)
            rig.flash.schedulePowerCut(afterOperations: cut)
            guard case .halted(.powerCut) = rig.boot().0 else {
                Issue.record("cut \(cut): the boot did not stop at the cut")
                continue
            }
            rig.flash.restorePower()
            let (outcome, _) = rig.boot()
            #expect(outcome == .boot(version: v2), "cut at operation \(cut) of \(operations)")
            #expect(rig.bytes(BootRig.primary.lowerBound..<(BootRig.primary.lowerBound + new.count)) == new, "cut \(cut)")
            #expect(rig.outsideUnchanged(), "cut \(cut)")
            #expect(rig.boot().1.first == .swapType(image: 0, .none), "cut \(cut): the upgrade is not repeated")
        }
    }

    /// A second cut during the resumed upgrade, at every point of it.
    @Test(arguments: setups.prefix(1))
    func cutAgainDuringTheResume(setup: Setup) throws {
        let (clean, _) = try Self.prepared(setup)
        let start = clean.flash.mutatingOperationCount
        _ = clean.boot()
        let operations = clean.flash.mutatingOperationCount - start
        for first in stride(from: 0, to: operations, by: 3) {
            for second in 0..<operations {
                let (rig, new) = try Self.prepared(setup)
                rig.flash.schedulePowerCut(afterOperations: first)
                _ = rig.boot()
                rig.flash.restorePower()
                rig.flash.schedulePowerCut(afterOperations: second)
                let resumed = rig.boot().0
                rig.flash.restorePower()
                rig.flash.cancelPowerCut()
                let (outcome, _) = rig.boot()
                #expect(outcome == .boot(version: v2), "cuts at \(first) then \(second) (resumed: \(resumed))")
                #expect(rig.bytes(BootRig.primary.lowerBound..<(BootRig.primary.lowerBound + new.count)) == new)
                #expect(rig.outsideUnchanged())
            }
        }
    }
}
