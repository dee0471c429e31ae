import FlashKit
import MCUbootImage
import Recovery

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

    public func boot(_ inputs: BootInputs, observe: (BootEvent) -> Void = { _ in }) -> BootOutcome {
        if inputs.recoveryButton {
            observe(.recoveryRequested(.button))
            return .recovery(.button)
        }
        for image in 0..<slots.imageCount {
            do throws(FlashError) {
                try upgradeIfRequested(image: image, observe: observe)
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

    /// Reads both trailers of `image`, and upgrades when MCUboot's tables ask for it and the
    /// secondary validates; scrambles a secondary that asks but does not validate.
    func upgradeIfRequested(image: Int, observe: (BootEvent) -> Void) throws(FlashError) {
        guard let primary = slots.area(image: image, slot: 0), let secondary = slots.area(image: image, slot: 1) else { return }
        let primaryLayout = configuration.trailerLayout(of: primary)
        let secondaryLayout = configuration.trailerLayout(of: secondary)
        let type = ImageTrailer.swapType(
            primary: try ImageTrailer(reading: primary, layout: primaryLayout),
            secondary: try ImageTrailer(reading: secondary, layout: secondaryLayout))
        observe(.swapType(image: image, type))
        // Overwrite-only has no revert: a test request is carried out as a permanent one.
        guard type == .test || type == .permanent else { return }

        let validator = ImageValidator(policy: configuration.imagePolicy)
        let candidate: ValidatedImage
        do throws(ImageRejection) {
            candidate = try validator.validate(secondary)
            try checkFits(candidate, in: primary, layout: primaryLayout)
            if configuration.downgradePrevention {
                try checkNotDowngrade(candidate, over: primary, validator: validator)
            }
        } catch {
            if case .flash(let fault) = error { throw fault }
            observe(.secondaryRejected(image: image, error))
            try scramble(secondary, layout: secondaryLayout)
            observe(.secondaryScrambled(image: image))
            return
        }
        switch configuration.strategy {
        case .overwriteOnly:
            try overwrite(image: image, candidate, from: secondary, secondaryLayout: secondaryLayout,
                          to: primary, primaryLayout: primaryLayout, observe: observe)
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

    /// Overwrite-only, `_FAST` (MCUboot `boot_copy_image`): erase the primary's sectors the image
    /// and the trailer need, copy, write the primary magic, then scramble the secondary (header
    /// sector, then trailer sectors) so the upgrade is not triggered again. A cut anywhere
    /// leaves the secondary's request in place (it is scrambled last), so the next boot repeats
    /// the whole overwrite; a cut during the scramble leaves a secondary that no longer
    /// validates, which the next boot scrambles, and the primary already holds the new image.
    func overwrite(
        image: Int, _ candidate: ValidatedImage, from secondary: Slots.Area, secondaryLayout: TrailerLayout,
        to primary: Slots.Area, primaryLayout: TrailerLayout, observe: (BootEvent) -> Void
    ) throws(FlashError) {
        let copySize = primary.alignUpToWrite(candidate.image.occupiedSize)
        let imageSectors = primary.sectorStart(containing: copySize + primary.eraseSize - 1)
        let trailerStart = primary.sectorStart(containing: primary.size - primaryLayout.trailerSize)
        try primary.erase(at: 0, count: imageSectors)
        observe(.primaryErased(image: image, offset: 0, count: imageSectors))
        if trailerStart >= imageSectors {
            try primary.erase(at: trailerStart, count: primary.size - trailerStart)
            observe(.primaryErased(image: image, offset: trailerStart, count: primary.size - trailerStart))
        }
        var buffer = InlineArray<512, UInt8>(repeating: 0)
        var offset = 0
        while offset < copySize {
            let n = min(512, copySize - offset)
            var span = buffer.mutableSpan
            try secondary.read(at: offset, into: &span, count: n)
            try primary.write(at: offset, buffer.span.extracting(0..<n))
            offset += n
        }
        observe(.copied(image: image, bytes: copySize))
        try primaryLayout.writeMagic(to: primary)
        observe(.primaryMagicWritten(image: image))
        try scramble(secondary, layout: secondaryLayout)
        observe(.secondaryScrambled(image: image))
        observe(.upgraded(image: image, version: candidate.version))
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
}
