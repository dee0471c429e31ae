/// A TLV type code (`IMAGE_TLV_*`, `bootutil/image.h`). A struct rather than an enum so unknown
/// and vendor types (0xXXA0–0xXXFF) pass through the iterator unchanged.
public struct TLVType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// SHA-256 of the public key (or of its first `len` bytes' worth; see key matching).
    public static let keyHash = TLVType(rawValue: 0x01)
    /// The public key itself (`MCUBOOT_HW_KEY`).
    public static let publicKey = TLVType(rawValue: 0x02)
    /// SHA-256 of `[0, hdr + img + prot)`; 32 bytes.
    public static let sha256 = TLVType(rawValue: 0x10)
    public static let sha384 = TLVType(rawValue: 0x11)
    public static let sha512 = TLVType(rawValue: 0x12)
    /// RSA-2048 PSS signature (256 bytes).
    public static let rsa2048PSS = TLVType(rawValue: 0x20)
    /// ECDSA-224 (unsupported by MCUboot).
    public static let ecdsa224 = TLVType(rawValue: 0x21)
    /// ECDSA P-256 / P-384 signature, DER `SEQUENCE { r, s }`, variable length.
    public static let ecdsaSignature = TLVType(rawValue: 0x22)
    /// RSA-3072 PSS signature (384 bytes).
    public static let rsa3072PSS = TLVType(rawValue: 0x23)
    /// Ed25519 signature (64 bytes).
    public static let ed25519 = TLVType(rawValue: 0x24)
    /// Marks a "pure" signature over the image bytes rather than the hash (1 byte).
    public static let signaturePure = TLVType(rawValue: 0x25)
    public static let encryptedRSA2048 = TLVType(rawValue: 0x30)
    public static let encryptedKW = TLVType(rawValue: 0x31)
    public static let encryptedEC256 = TLVType(rawValue: 0x32)
    public static let encryptedX25519 = TLVType(rawValue: 0x33)
    public static let encryptedX25519SHA512 = TLVType(rawValue: 0x34)
    /// `{u8 image_id, u8 pad, u16 pad, image_version}`, 12 bytes.
    public static let dependency = TLVType(rawValue: 0x40)
    /// Security counter, u32; must be protected.
    public static let securityCounter = TLVType(rawValue: 0x50)
    /// Measured-boot record (CBOR).
    public static let bootRecord = TLVType(rawValue: 0x60)
    public static let decompressedSize = TLVType(rawValue: 0x70)
    public static let decompressedSHA = TLVType(rawValue: 0x71)
    public static let decompressedSignature = TLVType(rawValue: 0x72)
    public static let compressionDecryptedSize = TLVType(rawValue: 0x73)
    /// Vendor UUID, 16 bytes (0x74 in code and imgtool; docs/design.md's 0x80 is wrong).
    public static let uuidVendor = TLVType(rawValue: 0x74)
    /// Class UUID, 16 bytes (0x75; docs/design.md's 0x81 is wrong).
    public static let uuidClass = TLVType(rawValue: 0x75)
}
