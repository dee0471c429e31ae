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

/// One observable step of a boot, for the simulator's log and for tests. Values, no strings.
public enum BootEvent: Equatable, Sendable {
    case recoveryRequested(RecoveryReason)
    /// The swap type MCUboot's tables give for `image` (before validation).
    case swapType(image: Int, ImageTrailer.SwapType)
    /// The secondary of `image` did not validate (or was a downgrade): it is scrambled, not used.
    case secondaryRejected(image: Int, ImageRejection)
    /// Flash steps of an upgrade, in the order they happen.
    case primaryErased(image: Int, offset: Int, count: Int)
    case copied(image: Int, bytes: Int)
    case primaryMagicWritten(image: Int)
    case secondaryScrambled(image: Int)
    case upgraded(image: Int, version: ImageVersion)
    case flashFailed(image: Int, FlashError)
    case booting(version: ImageVersion)
}
