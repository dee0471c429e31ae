/// The MCUboot image header (`struct image_header`, `bootutil/image.h`): 32 bytes, little-endian,
/// at offset 0 of a slot, padded with zeros or 0xff up to `headerSize` (imgtool `--pad-header`).
///
/// ```
///  off  0 ┌───────────────────────────────┐
///         │ magic            u32 0x96f3b83d│
///       4 ├───────────────────────────────┤
///         │ loadAddress      u32          │
///       8 ├───────────────┬───────────────┤
///         │ headerSize u16│ protTLVSz u16 │  protTLVSz includes the 4-byte 0x6908 info
///      12 ├───────────────┴───────────────┤
///         │ imageSize        u32          │  body only, excludes the header
///      16 ├───────────────────────────────┤
///         │ flags            u32          │  ``ImageFlags``
///      20 ├───────────────────────────────┤
///         │ version          8 bytes      │  ``ImageVersion``
///      28 ├───────────────────────────────┤
///         │ pad              u32          │
///      32 └───────────────────────────────┘
///
///  slot:  0 ─ headerSize ─ +imageSize ─ +protTLVSz ─ +unprotected TLV area ─ … trailer
///         │ hdr+pad │   body    │ protected TLVs │ 0x6907 info + TLVs │
///         └──────────── hashed: [0, hashedSize) ───┘
/// ```
///
/// The initializer checks what the header says about itself: the magic, a `headerSize` that can
/// hold the header, and that `headerSize + imageSize + protectedTLVSize` does not overflow 32 bits.
/// Whether that fits a given slot, and whether the flags are supported, is the inspector's job.
public struct ImageHeader: Equatable, Sendable {
    /// `IMAGE_MAGIC`.
    public static let magic: UInt32 = 0x96f3_b83d
    /// `IMAGE_MAGIC_NONE`: erased flash.
    public static let erasedMagic: UInt32 = 0xffff_ffff
    /// `IMAGE_HEADER_SIZE`.
    public static let size = 32

    public var loadAddress: UInt32
    /// Bytes from the start of the slot to the body (≥ 32).
    public var headerSize: UInt16
    /// Bytes of the protected TLV area including its info header, or 0 when there is none.
    public var protectedTLVSize: UInt16
    /// Bytes of the body.
    public var imageSize: UInt32
    public var flags: ImageFlags
    public var version: ImageVersion

    /// A header from its fields (for tools and tests that build images). Not validated; encode it
    /// and parse it back to check it.
    public init(
        loadAddress: UInt32 = 0, headerSize: UInt16, protectedTLVSize: UInt16 = 0, imageSize: UInt32,
        flags: ImageFlags = [], version: ImageVersion
    ) {
        self.loadAddress = loadAddress
        self.headerSize = headerSize
        self.protectedTLVSize = protectedTLVSize
        self.imageSize = imageSize
        self.flags = flags
        self.version = version
    }

    /// Parses the first 32 bytes of `bytes` (which may be longer).
    ///
    /// Throws ``ImageRejection/headerTruncated`` (fewer than 32 bytes), ``ImageRejection/noImage``
    /// (erased magic 0xffffffff), ``ImageRejection/badMagic``, ``ImageRejection/headerTooSmall``
    /// (`headerSize` < 32) or ``ImageRejection/sizesOverflow``.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(ImageRejection) {
        guard bytes.count >= Self.size else { throw .headerTruncated }
        let magic = bytes.littleEndianUInt32(at: 0)
        guard magic != Self.erasedMagic else { throw .noImage }
        guard magic == Self.magic else { throw .badMagic }
        loadAddress = bytes.littleEndianUInt32(at: 4)
        headerSize = bytes.littleEndianUInt16(at: 8)
        protectedTLVSize = bytes.littleEndianUInt16(at: 10)
        imageSize = bytes.littleEndianUInt32(at: 12)
        flags = ImageFlags(rawValue: bytes.littleEndianUInt32(at: 16))
        version = ImageVersion(
            major: bytes[20], minor: bytes[21], revision: bytes.littleEndianUInt16(at: 22),
            build: bytes.littleEndianUInt32(at: 24))
        guard Int(headerSize) >= Self.size else { throw .headerTooSmall }
        guard Self.sum(headerSize, imageSize, protectedTLVSize) != nil else { throw .sizesOverflow }
    }

    /// Offset of the protected TLV area (or of the unprotected one when there is none):
    /// `headerSize + imageSize`. Cannot overflow after a successful parse.
    public var protectedTLVOffset: UInt32 { UInt32(headerSize) &+ imageSize }

    /// Bytes covered by the image hash: `headerSize + imageSize + protectedTLVSize`, which is
    /// also the offset of the unprotected TLV area. Cannot overflow after a successful parse.
    public var hashedSize: UInt32 { protectedTLVOffset &+ UInt32(protectedTLVSize) }

    /// Writes the 32 header bytes (pad field 0) into the start of `buffer`.
    /// - Precondition: `buffer.count >= 32`.
    public func encode(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= Self.size, "header buffer too small")
        buffer.storeLittleEndian(Self.magic, at: 0)
        buffer.storeLittleEndian(loadAddress, at: 4)
        buffer.storeLittleEndian(headerSize, at: 8)
        buffer.storeLittleEndian(protectedTLVSize, at: 10)
        buffer.storeLittleEndian(imageSize, at: 12)
        buffer.storeLittleEndian(flags.rawValue, at: 16)
        buffer[20] = version.major
        buffer[21] = version.minor
        buffer.storeLittleEndian(version.revision, at: 22)
        buffer.storeLittleEndian(version.build, at: 24)
        buffer.storeLittleEndian(UInt32(0), at: 28)
    }

    private static func sum(_ header: UInt16, _ image: UInt32, _ protected: UInt16) -> UInt32? {
        let (a, o1) = UInt32(header).addingReportingOverflow(image)
        if o1 { return nil }
        let (b, o2) = a.addingReportingOverflow(UInt32(protected))
        return o2 ? nil : b
    }
}
