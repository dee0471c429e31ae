import FlashKit
import MCUbootImage

/// How an upgrade moves an image from the secondary slot into the primary: configuration as a
/// type (DESIGN.md), not `#if`.
public enum UpgradeStrategy: Equatable, Sendable {
    /// MCUboot's overwrite-only (`BOOT_UPGRADE_ONLY`, which also sets `_FAST`): the primary's
    /// sectors that the image and the trailer need are erased, the secondary is copied over them,
    /// the primary's magic is written, and the secondary is scrambled. No revert: a test request is
    /// taken as permanent. Every step can be repeated, so a cut anywhere resumes from the start.
    case overwriteOnly
}

/// What a boot stage is configured with.
public struct BootConfiguration: Sendable {
    public var strategy: UpgradeStrategy
    /// Which images are bootable and upgradable (keys, floors), shared with recovery.
    public var imagePolicy: ImagePolicy
    /// MCUboot's `MCUBOOT_DOWNGRADE_PREVENTION`: a secondary older than the primary (version,
    /// build number ignored) is refused and scrambled.
    public var downgradePrevention: Bool

    public init(strategy: UpgradeStrategy = .overwriteOnly, imagePolicy: ImagePolicy = ImagePolicy(), downgradePrevention: Bool = false) {
        self.strategy = strategy
        self.imagePolicy = imagePolicy
        self.downgradePrevention = downgradePrevention
    }

    /// The trailer layout the strategy keeps in `slot`.
    public func trailerLayout<Flash: NORFlash>(of slot: Flash) -> TrailerLayout {
        TrailerLayout(slot: slot, overwriteOnly: strategy == .overwriteOnly)
    }
}
