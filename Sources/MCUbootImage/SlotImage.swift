import BootCrypto

/// An image that passed inspection: what the recovery server's image list reports for a slot
/// (version, flags, the hash TLV), and where its parts lie for later steps (signature checks,
/// swap, trailer placement).
public struct SlotImage: Equatable, Sendable {
    public var header: ImageHeader
    /// The SHA-256 TLV value, read from the image; equal to the computed hash of
    /// `[0, header.hashedSize)` (MCUboot's image list reports the TLV, not a recomputation).
    public var hash: SHA256.Digest
    /// The hash TLV entry (its data offset and length in the slot).
    public var hashTLV: TLVEntry
    /// The TLV areas.
    public var tlvs: TLVLayout

    public init(header: ImageHeader, hash: SHA256.Digest, hashTLV: TLVEntry, tlvs: TLVLayout) {
        self.header = header
        self.hash = hash
        self.hashTLV = hashTLV
        self.tlvs = tlvs
    }

    public var version: ImageVersion { header.version }

    /// Bytes the image occupies from the start of the slot: header, body and both TLV areas.
    public var occupiedSize: Int { tlvs.end }

    /// False for images flagged non-bootable (e.g. a network-core image).
    public var isBootable: Bool { !header.flags.contains(.nonBootable) }
}
