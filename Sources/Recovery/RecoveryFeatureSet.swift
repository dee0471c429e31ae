import DFUTarget

/// The MCUmgr commands a build of the recovery server answers beyond MCUboot's fixed set (image
/// list, upload, reset, console echo control): a type, so a boot stage leaves out the code of the
/// ones it does not carry, the way MCUboot's Kconfig leaves them out of `boot_serial.c`
/// (configuration is types and constants, not `#if`: DESIGN.md). A command outside the set is
/// answered `rc` 8 (ENOTSUP), as MCUboot answers it without its option. Uploads' extensions
/// (``DFUTarget/UploadFeatureSet``: the journal that resumes after a reset, the `sha` check) are
/// part of the set.
///
/// Each constant is tested where the command is dispatched; after specialisation the handler of a
/// `false` one is unreachable and not linked.
public protocol RecoveryFeatureSet: UploadFeatureSet {
    /// `os echo` (MCUboot: `CONFIG_BOOT_MGMT_ECHO`, default n). ``RecoveryConfiguration/echo``
    /// can still turn a built-in echo off.
    static var echo: Bool { get }
    /// MCUmgr params, `buf_size` and `buf_count` (`CONFIG_BOOT_MGMT_MCUMGR_PARAMS`, after 2.4.0).
    static var mcumgrParams: Bool { get }
    /// Bootloader info (os 8; Zephyr's server has it, MCUboot's recovery does not).
    static var bootloaderInfo: Bool { get }
    /// Image state write, test and confirm (`CONFIG_BOOT_SERIAL_IMG_GRP_IMAGE_STATE`, default n).
    static var imageStateWrite: Bool { get }
    /// Image erase (Zephyr's img_mgmt; not in MCUboot's recovery).
    static var imageErase: Bool { get }
    /// Slot info (`CONFIG_BOOT_SERIAL_IMG_GRP_SLOT_INFO`, default y with more than one image).
    static var slotInfo: Bool { get }
}

/// Every command Lifeboat's recovery server has: the host's, the simulator's and the boot stages'.
public enum AllRecoveryFeatures: RecoveryFeatureSet {
    public static var echo: Bool { true }
    public static var mcumgrParams: Bool { true }
    public static var bootloaderInfo: Bool { true }
    public static var imageStateWrite: Bool { true }
    public static var imageErase: Bool { true }
    public static var slotInfo: Bool { true }
    public static var resumeAcrossReset: Bool { true }
    public static var checkSHA: Bool { true }
}

/// MCUboot's default set (Zephyr, one updatable image): image list, upload (without journal or
/// `sha` check), reset and console echo control only. What a boot stage built with
/// `tools/build-firmware --recovery mcuboot` answers, so its size compares with MCUboot's own
/// build (performance-anchors.md appendix).
public enum MCUbootDefaultRecoveryFeatures: RecoveryFeatureSet {
    public static var echo: Bool { false }
    public static var mcumgrParams: Bool { false }
    public static var bootloaderInfo: Bool { false }
    public static var imageStateWrite: Bool { false }
    public static var imageErase: Bool { false }
    public static var slotInfo: Bool { false }
    public static var resumeAcrossReset: Bool { false }
    public static var checkSHA: Bool { false }
}
