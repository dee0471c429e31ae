import DFUTarget
import FlashKit
import MCUbootImage

/// Why the boot stage stays in (or enters) serial recovery, in MCUboot's order of checks.
public enum RecoveryReason: Equatable, Sendable {
    /// The recovery button was held at reset.
    case button
    /// The application asked for the bootloader (`os reset` with `boot_mode` 1; GPREGRET).
    case retainedBootMode
    /// No primary slot holds an image that validates.
    case noBootableImage(ImageRejection)
}

/// What the boot stage decided.
public enum BootOutcome: Equatable, Sendable {
    /// Hand over to the image in the primary slot of image 0.
    case boot(version: ImageVersion)
    case recovery(RecoveryReason)
    /// A flash operation failed during an upgrade (on hardware: a fault or a power cut). Nothing
    /// is booted; the next reset resumes the upgrade.
    case halted(FlashError)
}

/// Why an upgrade that the trailers ask for cannot be carried out with the configured strategy.
public enum SwapRefusal: Equatable, Sendable {
    /// Swap using move needs equal sector sizes, and the primary at most one sector larger than
    /// the secondary (MCUboot `boot_slots_compatible`); swap using scratch needs a scratch area
    /// of whole sectors that also holds a trailer, and equal slots.
    case incompatibleSlots
    /// The image, the moved-up sector and the trailer sectors do not all fit the primary (MCUboot
    /// "Not enough free space to run swap upgrade").
    case notEnoughSpace
    /// The status area records progress, but the rest of the trailer cannot describe a swap in
    /// progress (no swap type, a swap size beyond the slot): the status is not resumed, and the
    /// primary is booted if it validates. MCUboot would resume with whatever it read.
    case impossibleStatus
    /// The configured strategy is not in the build's ``UpgradeStrategySet`` (its code was left
    /// out): nothing is written, and the primary is booted if it validates.
    case strategyNotBuiltIn
}

/// One observable step of a boot, for the simulator's log and for tests. Values, no strings.
public enum BootEvent: Equatable, Sendable {
    case recoveryRequested(RecoveryReason)
    /// The swap type MCUboot's tables give for `image` (before validation).
    case swapType(image: Int, ImageTrailer.SwapType)
    /// The secondary of `image` did not validate (or was a downgrade): it is scrambled, not used.
    case secondaryRejected(image: Int, ImageRejection)
    /// The trailers ask for an upgrade that the strategy cannot carry out; nothing is written.
    case swapRefused(image: Int, SwapRefusal)
    /// Overwrite-only's flash steps, in the order they happen.
    case primaryErased(image: Int, offset: Int, count: Int)
    case copied(image: Int, bytes: Int)
    case primaryMagicWritten(image: Int)
    case secondaryScrambled(image: Int)
    case upgraded(image: Int, version: ImageVersion)
    /// A swap of `sectors` sector steps begins (the status area is initialised next).
    case swapStarted(image: Int, ImageTrailer.SwapType, sectors: Int)
    /// An interrupted swap is picked up where its status area says it stopped.
    case swapResumed(image: Int, ImageTrailer.SwapType, from: SwapProgress)
    /// A revert is made restartable first: the secondary's trailer asks for a permanent upgrade
    /// (MCUboot `fixup_revert`), so a cut before the status is initialised still reverts.
    case revertPrepared(image: Int)
    /// Swap using move: the primary's image sectors moved up by one.
    case sectorsMoved(image: Int, count: Int)
    /// Every sector step of the swap is done.
    case sectorsSwapped(image: Int, count: Int)
    /// image_ok (permanent, revert) and copy_done written in the primary: the swap is complete.
    case swapCompleted(image: Int, ImageTrailer.SwapType)
    case flashFailed(image: Int, FlashError)
    case booting(version: ImageVersion)
}
