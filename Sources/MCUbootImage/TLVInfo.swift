/// The 4-byte header of a TLV area (`struct image_tlv_info`), followed by the area's entries.
///
/// ```
///  area start
///  ┌──────────────┬──────────────┬──────────┬──────┬─────────┬──────────┬──────┬───
///  │ magic  u16LE │ total  u16LE │ type u16 │len u16│ data…  │ type u16 │len u16│ …
///  │ 0x6908 prot. │ incl. these  │  entry 0 (4 + len bytes)  │  entry 1          │
///  │ 0x6907 unprot│   4 bytes    │                           │                   │
///  └──────────────┴──────────────┴──────────────────────────────────────────────────
///  ◀─────────────────────────── total bytes ───────────────────────────────────▶
/// ```
///
/// Entries follow each other with no padding; each must lie inside the area.
public struct TLVInfo: Equatable, Sendable {
    /// `IMAGE_TLV_INFO_MAGIC`: the unprotected area (not hashed; hash, key and signatures).
    public static let unprotectedMagic: UInt16 = 0x6907
    /// `IMAGE_TLV_PROT_INFO_MAGIC`: the protected area, covered by the image hash.
    public static let protectedMagic: UInt16 = 0x6908
    /// Bytes of the info header (and of each entry's type/length header).
    public static let size = 4

    public var magic: UInt16
    /// Bytes of the whole area, this header included.
    public var totalSize: UInt16

    public var isProtected: Bool { magic == Self.protectedMagic }

    /// Parses the first 4 bytes. Throws ``ImageRejection/badTLVInfoMagic`` unless the magic is
    /// 0x6907 or 0x6908, and ``ImageRejection/tlvOutOfBounds`` when the total is smaller than the
    /// header itself or fewer than 4 bytes are given.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(ImageRejection) {
        guard bytes.count >= Self.size else { throw .tlvOutOfBounds }
        magic = bytes.littleEndianUInt16(at: 0)
        totalSize = bytes.littleEndianUInt16(at: 2)
        guard magic == Self.unprotectedMagic || magic == Self.protectedMagic else { throw .badTLVInfoMagic }
        guard Int(totalSize) >= Self.size else { throw .tlvOutOfBounds }
    }
}

/// One TLV entry as found in a slot: where its data lies, not the data itself.
public struct TLVEntry: Equatable, Sendable {
    public var type: TLVType
    /// Slot offset of the entry's data (after its 4-byte type/length header).
    public var offset: Int
    /// Bytes of data.
    public var length: Int
    /// True when the entry is in the protected (hashed) area.
    public var isProtected: Bool

    public init(type: TLVType, offset: Int, length: Int, isProtected: Bool) {
        self.type = type
        self.offset = offset
        self.length = length
        self.isProtected = isProtected
    }
}
