/// SMP management group ids (the header's `group`). Sources: MCUboot `boot_serial_priv.h`
/// (`MGMT_GROUP_ID_DEFAULT 0`, `MGMT_GROUP_ID_IMAGE 1`, `MGMT_GROUP_ID_PERUSER 64`) and Zephyr
/// (`ZEPHYR_MGMT_GRP_BASIC = MGMT_GROUP_ID_PERUSER - 1`).
public enum SMPGroup {
    /// OS / default group: echo, reset, MCUmgr parameters, bootloader info.
    public static let os: UInt16 = 0
    /// Image management: state, upload, erase, slot info.
    public static let image: UInt16 = 1
    /// Zephyr basic group (erase storage).
    public static let zephyrBasic: UInt16 = 63
    /// First group id free for user-defined groups.
    public static let perUser: UInt16 = 64
}

/// Command ids of the OS group (zephyr `include/zephyr/mgmt/mcumgr/grp/os_mgmt/os_mgmt.h`).
public enum OSCommand {
    public static let echo: UInt8 = 0
    public static let consoleEchoControl: UInt8 = 1
    public static let reset: UInt8 = 5
    public static let mcumgrParams: UInt8 = 6
    public static let bootloaderInfo: UInt8 = 8
}

/// Command ids of the image group (zephyr `include/zephyr/mgmt/mcumgr/grp/img_mgmt/img_mgmt.h`;
/// slot info 6 from MCUboot `IMGMGR_NMGR_ID_SLOT_INFO`).
public enum ImageCommand {
    public static let state: UInt8 = 0
    public static let upload: UInt8 = 1
    public static let erase: UInt8 = 5
    public static let slotInfo: UInt8 = 6
}

/// Command ids of the Zephyr basic group.
public enum ZephyrBasicCommand {
    /// `ZEPHYR_MGMT_GRP_BASIC_CMD_ERASE_STORAGE`: erase the whole `storage_partition`.
    public static let eraseStorage: UInt8 = 0
}
