import DFUTarget
import FlashKit
import MCUbootImage

/// How an upgrade moves an image from the secondary slot into the primary: configuration as a
/// type (DESIGN.md), not `#if`.
public enum UpgradeStrategy: Equatable, Sendable, CaseIterable {
    /// MCUboot's overwrite-only (`BOOT_UPGRADE_ONLY`, which also sets `_FAST`): the primary's
    /// sectors that the image and the trailer need are erased, the secondary is copied over them,
    /// the primary's magic is written, and the secondary is scrambled. No revert: a test request is
    /// taken as permanent. Every step can be repeated, so a cut anywhere resumes from the start.
    case overwriteOnly
    /// MCUboot's swap using move (the default): the primary's image sectors are first moved up by
    /// one sector, then, sector by sector, the secondary's sector goes into the primary and the
    /// moved-up old sector into the secondary. Progress is recorded in the primary's swap status
    /// area, so a cut resumes where it stopped; the old image ends in the secondary, ready for a
    /// revert. Needs equal sector sizes and one spare sector in the primary.
    case swapUsingMove
    /// MCUboot's swap using scratch (layouts with `mcuboot_scratch`): area by area (as many
    /// sectors as the scratch holds, from the end of the image down), in three recorded states:
    /// secondary → scratch, primary → secondary, scratch → primary. The status is kept in the
    /// primary's status area, or in the scratch's while the primary's own trailer sector is the
    /// one being swapped. The old image ends in the secondary, ready for a revert.
    case swapUsingScratch

    /// The name `lifeboat sim --strategy` takes.
    public var name: StaticString {
        switch self {
        case .overwriteOnly: "overwrite"
        case .swapUsingMove: "swap-move"
        case .swapUsingScratch: "swap-scratch"
        }
    }
}

/// The upgrade strategies a build carries, as a type: ``Bootloader/boot(_:strategies:observe:)``
/// skips the code of every strategy the set leaves out, so a firmware image links only the one
/// it is configured with (the firmware's swap-using-move-only boot stage is 4.2 KB smaller than
/// with all three). ``BootConfiguration/strategy`` still picks one at run time; a strategy
/// outside the set refuses the upgrade (``SwapRefusal/strategyNotBuiltIn``) and writes nothing.
public protocol UpgradeStrategySet {
    static var overwriteOnly: Bool { get }
    static var swapUsingMove: Bool { get }
    static var swapUsingScratch: Bool { get }
}

/// All three strategies: the simulator, the sweeps and the tests.
public enum AllUpgradeStrategies: UpgradeStrategySet {
    public static var overwriteOnly: Bool { true }
    public static var swapUsingMove: Bool { true }
    public static var swapUsingScratch: Bool { true }
}

/// Swap using move only: the firmware's boot stages.
public enum SwapUsingMoveOnly: UpgradeStrategySet {
    public static var overwriteOnly: Bool { false }
    public static var swapUsingMove: Bool { true }
    public static var swapUsingScratch: Bool { false }
}

extension UpgradeStrategySet {
    /// True when `strategy` is in the set.
    static func contains(_ strategy: UpgradeStrategy) -> Bool {
        switch strategy {
        case .overwriteOnly: overwriteOnly
        case .swapUsingMove: swapUsingMove
        case .swapUsingScratch: swapUsingScratch
        }
    }
}

/// What a boot stage is configured with.
public struct BootConfiguration: Sendable {
    public var strategy: UpgradeStrategy
    /// Which images are bootable and upgradable (keys, floors), shared with recovery.
    public var imagePolicy: ImagePolicy
    /// MCUboot's `MCUBOOT_DOWNGRADE_PREVENTION`: a secondary older than the primary (version,
    /// build number ignored) is refused and scrambled.
    public var downgradePrevention: Bool

    public init(strategy: UpgradeStrategy = .swapUsingMove, imagePolicy: ImagePolicy = ImagePolicy(), downgradePrevention: Bool = false) {
        self.strategy = strategy
        self.imagePolicy = imagePolicy
        self.downgradePrevention = downgradePrevention
    }

    /// The trailer layout of the scratch area, with the slots' status-area size and write size.
    public func scratchTrailerLayout<Flash: NORFlash>(scratch: Flash, slotLayout: TrailerLayout) -> TrailerLayout {
        TrailerLayout(slotSize: scratch.size, eraseSize: scratch.eraseSize, writeSize: slotLayout.writeSize,
                      statusSectors: slotLayout.statusSectors)
    }

    /// The trailer layouts of an image's two slots under this strategy. Both use one status-area
    /// size, MCUboot's `BOOT_MAX_IMG_SECTORS` (derived from the larger slot, as
    /// `CONFIG_BOOT_MAX_IMG_SECTORS_AUTO` does), and the primary's write size, `BOOT_WRITE_SZ`
    /// (the larger of the primary's and the scratch's), so the fields sit where MCUboot and
    /// imgtool put them and the status area is sized alike in both slots.
    public func trailerLayouts<Flash: NORFlash>(primary: Flash, secondary: Flash?, scratch: Flash? = nil) -> (primary: TrailerLayout, secondary: TrailerLayout?) {
        let overwrite = strategy == .overwriteOnly
        let sectors = max(primary.size / primary.eraseSize, secondary.map { $0.size / $0.eraseSize } ?? 0)
        let writeSize = max(primary.writeSize, scratch?.writeSize ?? 0)
        func layout(_ slot: Flash) -> TrailerLayout {
            TrailerLayout(slotSize: slot.size, eraseSize: slot.eraseSize, writeSize: writeSize, statusSectors: sectors, overwriteOnly: overwrite)
        }
        return (layout(primary), secondary.map(layout))
    }
}
