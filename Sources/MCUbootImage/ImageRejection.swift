import FlashKit

/// Why a slot does not hold an acceptable image. Small and payload-free except for the flash
/// error, so it costs nothing in firmware; the recovery server maps it to an SMP `rc` in one place
/// and logs ``description`` (a `StaticString`, no String building).
///
/// The same enum is the error type of every parsing step (``ImageHeader/init(parsing:)``,
/// ``TLVInfo/init(parsing:)``, the ``TLVIterator``), so one `throws(ImageRejection)` runs from the
/// first byte read to the hash comparison. ``ImageError`` is another name for it.
public enum ImageRejection: Error, Equatable, Sendable {
    /// The magic reads as erased flash (0xffffffff, or the device's erased value): nothing there.
    case noImage
    /// Fewer than 32 bytes were available for the header (a slot or buffer that small).
    case headerTruncated
    /// The magic is neither an image nor erased flash (includes the legacy 0x96f3b83c).
    case badMagic
    /// `headerSize` is smaller than the 32-byte header itself.
    case headerTooSmall
    /// `headerSize + imageSize + protectedTLVSize` does not fit in 32 bits.
    case sizesOverflow
    /// The header, body and protected TLVs do not end strictly inside the slot
    /// (MCUboot `boot_check_header_valid`), or the slot is cut short before the image ends.
    case imageExceedsSlot
    /// A flag this build cannot boot: encrypted or compressed images (or both AES flags).
    case unsupportedFlags
    /// The unprotected TLV area does not start with magic 0x6907.
    case badTLVInfoMagic
    /// A protected TLV area (0x6908) is present and its total differs from the header's
    /// `protectedTLVSize`, or it is absent and `protectedTLVSize` is not 0.
    case protectedSizeMismatch
    /// A TLV area or entry reaches outside its area or the slot (hostile or truncated lengths).
    case tlvOutOfBounds
    /// No SHA-256 TLV (0x10): MCUboot's hash TLV is mandatory.
    case missingHash
    /// The SHA-256 TLV is not exactly 32 bytes.
    case hashWrongSize
    /// More than one SHA-256 TLV: ambiguous, so rejected.
    case duplicateHash
    /// The SHA-256 of `[0, hdr + img + prot)` differs from the hash TLV.
    case hashMismatch
    /// A KEYHASH TLV longer than 32 bytes.
    case keyHashWrongSize
    /// A signature TLV whose length cannot be a signature of its type (RSA: the modulus size;
    /// Ed25519: 64; ECDSA: a DER element of at most 72 bytes plus zero padding, at most 128).
    case signatureWrongSize
    /// The policy requires a signature and no signature TLV follows a KEYHASH/PUBKEY of a trusted key.
    case signatureMissing
    /// The last signature made by a trusted key does not verify.
    case signatureInvalid
    /// The policy requires a security counter and the image has none.
    case securityCounterMissing
    /// A SEC_CNT TLV outside the protected area (it would not be covered by the hash or signature).
    case securityCounterUnprotected
    /// A SEC_CNT TLV that is not 4 bytes, or more than one.
    case securityCounterMalformed
    /// The image's security counter is lower than the policy's minimum (rollback).
    case securityCounterTooLow
    /// The image's version is lower than the policy's minimum (downgrade).
    case downgrade
    /// The flash refused a read.
    case flash(FlashError)

    /// A fixed, human-readable reason for logs (no String building).
    public var description: StaticString {
        switch self {
        case .noImage: "no image (erased magic)"
        case .headerTruncated: "header truncated"
        case .badMagic: "bad image magic"
        case .headerTooSmall: "header size smaller than 32"
        case .sizesOverflow: "header + image + protected TLV sizes overflow"
        case .imageExceedsSlot: "image does not fit in the slot"
        case .unsupportedFlags: "unsupported image flags (encrypted or compressed)"
        case .badTLVInfoMagic: "bad TLV info magic"
        case .protectedSizeMismatch: "protected TLV size mismatch"
        case .tlvOutOfBounds: "TLV outside its area"
        case .missingHash: "no SHA-256 TLV"
        case .hashWrongSize: "SHA-256 TLV is not 32 bytes"
        case .duplicateHash: "more than one SHA-256 TLV"
        case .hashMismatch: "image hash mismatch"
        case .keyHashWrongSize: "KEYHASH TLV longer than 32 bytes"
        case .signatureWrongSize: "signature TLV has the wrong size"
        case .signatureMissing: "no signature by a trusted key"
        case .signatureInvalid: "signature does not verify"
        case .securityCounterMissing: "no security counter"
        case .securityCounterUnprotected: "security counter outside the protected TLVs"
        case .securityCounterMalformed: "malformed security counter TLV"
        case .securityCounterTooLow: "security counter lower than allowed (rollback)"
        case .downgrade: "version lower than allowed (downgrade)"
        case .flash: "flash read failed"
        }
    }
}

/// The error type of image parsing; the same enum as ``ImageRejection``.
public typealias ImageError = ImageRejection
