/// `ih_flags` bits, with MCUboot's values (`bootutil/image.h`).
public struct ImageFlags: OptionSet, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `IMAGE_F_PIC`: position-independent (not supported by MCUboot either).
    public static let pic = ImageFlags(rawValue: 0x01)
    /// `IMAGE_F_ENCRYPTED_AES128`: body encrypted, key in an ENC_* TLV.
    public static let encryptedAES128 = ImageFlags(rawValue: 0x04)
    /// `IMAGE_F_ENCRYPTED_AES256`.
    public static let encryptedAES256 = ImageFlags(rawValue: 0x08)
    /// `IMAGE_F_NON_BOOTABLE`: e.g. a network-core image; the image list reports `bootable: false`.
    public static let nonBootable = ImageFlags(rawValue: 0x10)
    /// `IMAGE_F_RAM_LOAD`: copied to RAM at `loadAddress` before running.
    public static let ramLoad = ImageFlags(rawValue: 0x20)
    /// `IMAGE_F_ROM_FIXED`: linked for a fixed slot address (direct-xip).
    public static let romFixed = ImageFlags(rawValue: 0x100)
    /// `IMAGE_F_COMPRESSED_LZMA1`.
    public static let compressedLZMA1 = ImageFlags(rawValue: 0x200)
    /// `IMAGE_F_COMPRESSED_LZMA2`.
    public static let compressedLZMA2 = ImageFlags(rawValue: 0x400)
    /// `IMAGE_F_COMPRESSED_ARM_THUMB_FLT`: ARM thumb filter applied before compression.
    public static let compressedARMThumbFilter = ImageFlags(rawValue: 0x800)

    /// Either AES flag.
    public static let encrypted: ImageFlags = [.encryptedAES128, .encryptedAES256]
    /// Any compression flag.
    public static let compressed: ImageFlags = [.compressedLZMA1, .compressedLZMA2, .compressedARMThumbFilter]
}
