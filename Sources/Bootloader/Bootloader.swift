import DFUTarget
import FlashKit
import MCUbootImage

/// What the boot stage samples at reset.
public struct BootInputs: Equatable, Sendable {
    /// The recovery button (board descriptor's pin, polarity applied) is held.
    public var recoveryButton: Bool
    /// The retained boot mode (GPREGRET on nRF): 1 asks for the bootloader. The board wiring
    /// reads it and clears it before calling ``Bootloader/boot(_:observe:)``, so a request is
    /// honoured once.
    public var retainedBootMode: UInt8

    public init(recoveryButton: Bool = false, retainedBootMode: UInt8 = 0) {
        self.recoveryButton = recoveryButton
        self.retainedBootMode = retainedBootMode
    }
}

/// The boot stage's decision, in MCUboot's order (mcuboot-serial-recovery.md §4, `main.c`): the
/// recovery button (before anything else: no pending upgrade is processed), then normal boot
/// processing (`boot_go`: upgrades of every image whose trailers ask for one, then validation of
/// image 0's primary slot), then the retained boot mode (checked *after* `boot_go`, so an upgrade
/// the application requested together with `boot_mode` 1 is carried out first), and recovery
/// when no primary image validates.
///
/// A plain value over the slots: the same code runs in the simulator (before the application
/// stage starts) and in firmware (before the jump). Every flash step is reported as a
/// ``BootEvent``; a flash error during an upgrade halts the boot (``BootOutcome/halted(_:)``)
/// and the next reset resumes, because every step of the strategy can be repeated.
public struct Bootloader<Slots: SlotMap> {
    public let slots: Slots
    public var configuration: BootConfiguration

    public init(slots: Slots, configuration: BootConfiguration) {
        self.slots = slots
        self.configuration = configuration
    }

    /// The boot decision. `strategies` is the set of upgrade strategies this build carries (all
    /// three unless a firmware names fewer, to leave the others' code out).
    public func boot<Strategies: UpgradeStrategySet>(
        _ inputs: BootInputs, strategies: Strategies.Type = AllUpgradeStrategies.self, observe: (BootEvent) -> Void = { _ in }
    ) -> BootOutcome {
        if inputs.recoveryButton {
            observe(.recoveryRequested(.button))
            return .recovery(.button)
        }
        for image in 0..<slots.imageCount {
            do throws(FlashError) {
                try upgradeIfRequested(image: image, strategies: strategies, observe: observe)
            } catch {
                observe(.flashFailed(image: image, error))
                return .halted(error)
            }
        }
        guard let primary = slots.area(image: 0, slot: 0) else {
            observe(.recoveryRequested(.noBootableImage(.noImage)))
            return .recovery(.noBootableImage(.noImage))
        }
        do throws(ImageRejection) {
            let found = try ImageValidator(policy: configuration.imagePolicy).validate(primary)
            // MCUboot checks the retained boot mode after `boot_go`: a pending upgrade is
            // carried out first, then the bootloader stays for recovery.
            if inputs.retainedBootMode == 1 {
                observe(.recoveryRequested(.retainedBootMode))
                return .recovery(.retainedBootMode)
            }
            observe(.booting(version: found.version))
            return .boot(version: found.version)
        } catch {
            if case .flash(let fault) = error {
                observe(.flashFailed(image: 0, fault))
                return .halted(fault)
            }
            let reason: RecoveryReason = inputs.retainedBootMode == 1 ? .retainedBootMode : .noBootableImage(error)
            observe(.recoveryRequested(reason))
            return .recovery(reason)
        }
    }

    /// Carries out what the trailers of `image` ask for with the configured strategy: an
    /// interrupted swap is resumed first; otherwise MCUboot's tables decide, and the secondary is
    /// validated before anything is written (a secondary that asks but does not validate is
    /// scrambled).
    func upgradeIfRequested<Strategies: UpgradeStrategySet>(
        image: Int, strategies: Strategies.Type, observe: (BootEvent) -> Void
    ) throws(FlashError) {
        guard let primary = slots.area(image: image, slot: 0), let secondary = slots.area(image: image, slot: 1) else { return }
        let layouts = configuration.trailerLayouts(primary: primary, secondary: secondary, scratch: slots.scratch)
        let slots = ImageSlots(image: image, primary: primary, secondary: secondary,
                               primaryLayout: layouts.primary, secondaryLayout: layouts.secondary!)
        // Each case tests a constant of the set's type: after specialisation, the code of a
        // strategy outside the set is unreachable and not linked.
        switch configuration.strategy {
        case .overwriteOnly where Strategies.overwriteOnly:
            try overwriteIfRequested(slots, observe: observe)
        case .swapUsingMove where Strategies.swapUsingMove:
            try swapUsingMove(slots, observe: observe)
        case .swapUsingScratch where Strategies.swapUsingScratch:
            try swapUsingScratch(slots, scratch: self.slots.scratch, observe: observe)
        default:
            // Only an upgrade the trailers ask for is refused: with nothing requested, the
            // primary boots as usual without a word.
            guard try upgradeRequested(slots) else { return }
            observe(.swapRefused(image: image, .strategyNotBuiltIn))
        }
    }

    /// True when MCUboot's tables give a swap type other than none for `slots`' trailers.
    func upgradeRequested(_ slots: ImageSlots<Slots.Area>) throws(FlashError) -> Bool {
        ImageTrailer.swapType(
            primary: try ImageTrailer(reading: slots.primary, layout: slots.primaryLayout),
            secondary: try ImageTrailer(reading: slots.secondary, layout: slots.secondaryLayout)) != .none
    }

    /// Validates the secondary of `slots` as an upgrade (`type` test or permanent: also the fit in
    /// the primary and downgrade prevention; revert: only that it validates). A rejected
    /// secondary is reported and scrambled, unless it holds neither an image nor a trailer
    /// (nothing to scramble, and erasing it again at every boot would only wear the flash).
    func acceptSecondary(_ slots: ImageSlots<Slots.Area>, for type: ImageTrailer.SwapType, observe: (BootEvent) -> Void) throws(FlashError) -> ValidatedImage? {
        let validator = ImageValidator(policy: configuration.imagePolicy)
        do throws(ImageRejection) {
            let candidate = try validator.validate(slots.secondary)
            if type != .revert {
                try checkFits(candidate, in: slots.primary, layout: slots.primaryLayout)
                if configuration.downgradePrevention {
                    try checkNotDowngrade(candidate, over: slots.primary, validator: validator)
                }
            }
            return candidate
        } catch {
            if case .flash(let fault) = error { throw fault }
            observe(.secondaryRejected(image: slots.image, error))
            // A scramble cut after its header erase leaves the request in the trailer: scramble
            // again. Only an empty slot with an erased trailer is left alone.
            let request = try ImageTrailer(reading: slots.secondary, layout: slots.secondaryLayout).magic
            if error != .noImage || request != .unset {
                try scramble(slots.secondary, layout: slots.secondaryLayout)
                observe(.secondaryScrambled(image: slots.image))
            }
            return nil
        }
    }

    /// The image and the primary's trailer must both fit the primary slot.
    func checkFits(_ candidate: ValidatedImage, in primary: Slots.Area, layout: TrailerLayout) throws(ImageRejection) {
        let end = primary.alignUpToWrite(candidate.image.occupiedSize)
        guard end <= layout.statusOffset else { throw .imageExceedsSlot }
    }

    /// MCUboot's downgrade prevention: the candidate must not be older than a valid primary.
    func checkNotDowngrade(_ candidate: ValidatedImage, over primary: Slots.Area, validator: ImageValidator) throws(ImageRejection) {
        let current: ValidatedImage
        do throws(ImageRejection) {
            current = try validator.validate(primary)
        } catch {
            if case .flash = error { throw error }
            return  // nothing valid to protect
        }
        if candidate.version.isLower(than: current.version, includingBuild: false) { throw .downgrade }
    }

    /// Makes a slot's image and request unusable: its first sector (the header), then the
    /// sectors holding its trailer.
    func scramble(_ slot: Slots.Area, layout: TrailerLayout) throws(FlashError) {
        try slot.erase(at: 0, count: slot.eraseSize)
        let trailerStart = slot.sectorStart(containing: slot.size - layout.trailerSize)
        if trailerStart >= slot.eraseSize {
            try slot.erase(at: trailerStart, count: slot.size - trailerStart)
        }
    }

    /// Erases the sectors that hold `slot`'s trailer (MCUboot `swap_erase_trailer_sectors`).
    func eraseTrailerSectors(_ slot: Slots.Area, layout: TrailerLayout) throws(FlashError) {
        let start = slot.sectorStart(containing: slot.size - layout.trailerSize)
        try slot.erase(at: start, count: slot.size - start)
    }

    /// Copies `count` bytes from `source` at `from` to `destination` at `to` (erased beforehand).
    func copy(_ count: Int, from source: Slots.Area, at from: Int, to destination: Slots.Area, at to: Int) throws(FlashError) {
        var buffer = InlineArray<512, UInt8>(repeating: 0)
        var done = 0
        while done < count {
            let n = min(512, count - done)
            var span = buffer.mutableSpan
            try source.read(at: from + done, into: &span, count: n)
            try destination.write(at: to + done, buffer.span.extracting(0..<n))
            done += n
        }
    }

    /// The size MCUboot swaps (`boot_read_image_size` of both slots, the larger): header, body
    /// and both TLV areas of whichever image is larger; 0 for a slot without a readable image.
    func imageSize(in slot: Slots.Area) throws(FlashError) -> Int {
        let inspector = ImageInspector()
        do throws(ImageRejection) {
            let header = try inspector.readHeader(from: slot)
            try inspector.checkHeader(header, slotSize: slot.size)
            return try TLVLayout(reading: slot, header: header).end
        } catch {
            if case .flash(let fault) = error { throw fault }
            return 0
        }
    }
}

/// An image's two slots and their trailer layouts under the configured strategy.
struct ImageSlots<Area: NORFlash> {
    let image: Int
    let primary: Area
    let secondary: Area
    let primaryLayout: TrailerLayout
    let secondaryLayout: TrailerLayout
}
