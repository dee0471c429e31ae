import Bootloader
import MCUbootImage

extension BootEvent {
    /// One line for the simulator's log.
    public var description: String {
        switch self {
        case .recoveryRequested(let reason): "boot: serial recovery (\(reason.description))"
        case .swapType(let image, let type): "boot: image \(image): swap type \(type.name)"
        case .secondaryRejected(let image, let why): "boot: image \(image): secondary refused (\(why.description)); scrambling it"
        case .primaryErased(let image, let offset, let count):
            "boot: image \(image): primary erased at 0x\(String(offset, radix: 16)), \(count) bytes"
        case .copied(let image, let bytes): "boot: image \(image): copied \(bytes) bytes secondary → primary"
        case .primaryMagicWritten(let image): "boot: image \(image): primary trailer magic written"
        case .secondaryScrambled(let image): "boot: image \(image): secondary scrambled (header and trailer erased)"
        case .upgraded(let image, let version): "boot: image \(image): upgraded to \(version.text)"
        case .swapRefused(let image, let why): "boot: image \(image): upgrade not carried out (\(why.description))"
        case .swapStarted(let image, let type, let sectors): "boot: image \(image): \(type.name) swap of \(sectors) sectors starts"
        case .swapResumed(let image, let type, let progress):
            "boot: image \(image): resuming an interrupted \(type.name) swap at \(progress.phase == .move ? "move" : "swap") step \(progress.index), state \(progress.state)"
        case .revertPrepared(let image): "boot: image \(image): secondary marked for a permanent upgrade, so a cut still reverts"
        case .sectorsMoved(let image, let count): "boot: image \(image): \(count) primary sectors moved up one sector"
        case .sectorsSwapped(let image, let count): "boot: image \(image): \(count) sectors swapped"
        case .swapCompleted(let image, let type):
            "boot: image \(image): \(type.name) swap complete" + (type == .test ? " (reverts at the next reset unless confirmed)" : "")
        case .flashFailed(let image, let error): "boot: image \(image): flash operation failed (\(error)); halted"
        case .booting(let version): "boot: image 0 version \(version.text) validates: booting it"
        }
    }
}

extension RecoveryReason {
    public var description: String {
        switch self {
        case .button: "recovery button held"
        case .retainedBootMode: "the application asked for the bootloader"
        case .noBootableImage(let why): "no bootable image: \(why.description)"
        }
    }
}

extension SwapRefusal {
    public var description: String {
        switch self {
        case .incompatibleSlots: "the slots' sector layouts do not allow this strategy"
        case .notEnoughSpace: "the image, a spare sector and the trailer do not fit the primary slot"
        case .impossibleStatus: "the swap status area does not describe a swap this trailer can resume"
        case .strategyNotBuiltIn: "the configured upgrade strategy is not built into this boot stage"
        }
    }
}

extension ImageTrailer.SwapType {
    public var name: String {
        switch self {
        case .none: "none"
        case .test: "test"
        case .permanent: "permanent"
        case .revert: "revert"
        case .fail: "fail"
        case .panic: "panic"
        }
    }
}

extension ImageVersion {
    /// "maj.min.rev", plus ".build" when non-zero (MCUboot's image-list form).
    public var text: String {
        "\(major).\(minor).\(revision)" + (build != 0 ? ".\(build)" : "")
    }
}
