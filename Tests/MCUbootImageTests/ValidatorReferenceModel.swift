import BootCrypto
import MCUbootImage

/// An independent, spec-level model of what `ImageValidator` must answer for a corrupted copy of
/// a known-good signed image, written from mcuboot-serial-recovery.md §5 over a plain byte array
/// (the whole slot). It does no cryptography beyond SHA-256: a signature "verifies" exactly when
/// its TLV type and bytes are those of the original image (its digest is unchanged whenever the
/// model gets that far, because the hash TLV had to match).
///
/// The bit-flip tests assert that the validator's answer equals the model's AND lies in the set of
/// reasons argued per field in ValidatorBitFlipTests, so the model cannot drift silently.
struct ValidatorReferenceModel {
    /// The trusted key (the policy trusts exactly this one).
    var key: KeyFixture
    /// The signature TLV (type and data) of the original image.
    var originalSignatureType: UInt16
    var originalSignature: [UInt8]
    var erasedValue: UInt8 = 0xFF

    static let imageMagic: UInt32 = 0x96f3_b83d

    func expected(_ s: [UInt8]) -> ImageRejection? {
        // --- Header (bootutil image.h; boot_check_header_valid) ---
        guard s.count >= 32 else { return .headerTruncated }
        if s[0..<4].allSatisfy({ $0 == erasedValue }) { return .noImage }
        guard u32(s, 0) == Self.imageMagic else { return .badMagic }
        let hdr = u16(s, 8), prot = u16(s, 10), img = Int(u32(s, 12)), flags = u32(s, 16)
        guard hdr >= 32 else { return .headerTooSmall }
        let hashed = hdr + img + prot
        guard hashed <= Int(UInt32.max) else { return .sizesOverflow }
        // Encrypted (0x04, 0x08) and compressed (0x200, 0x400, 0x800) images are not bootable here.
        guard flags & 0xE0C == 0 else { return .unsupportedFlags }
        guard hashed < s.count else { return .imageExceedsSlot }

        // --- TLV areas (tlv.c bootutil_tlv_iter_begin) ---
        let pStart = hdr + img
        guard pStart + 4 <= s.count else { return .tlvOutOfBounds }
        if prot != 0 {
            guard u16(s, pStart) == 0x6908, u16(s, pStart + 2) == prot else { return .protectedSizeMismatch }
            guard prot >= 4 else { return .tlvOutOfBounds }
        } else {
            guard u16(s, pStart) != 0x6908 else { return .protectedSizeMismatch }
        }
        guard hashed + 4 <= s.count else { return .tlvOutOfBounds }
        guard u16(s, hashed) == 0x6907 else { return .badTLVInfoMagic }
        let total = u16(s, hashed + 2)
        guard total >= 4, hashed + total <= s.count else { return .tlvOutOfBounds }

        // --- Entries, protected first; each inside its area (bootutil_tlv_iter_next) ---
        var entries: [(type: Int, data: Int, length: Int, isProtected: Bool)] = []
        var walkError: ImageRejection? = nil
        var areas: [(Int, Int, Bool)] = []
        if prot != 0 { areas.append((pStart + 4, hashed, true)) }
        areas.append((hashed + 4, hashed + total, false))
        walk: for (start, end, isProtected) in areas {
            var at = start
            while at < end {
                guard end - at >= 4 else {
                    walkError = .tlvOutOfBounds
                    break walk
                }
                let length = u16(s, at + 2)
                guard length <= end - at - 4 else {
                    walkError = .tlvOutOfBounds
                    break walk
                }
                entries.append((u16(s, at), at + 4, length, isProtected))
                at += 4 + length
            }
        }

        // --- The one SHA-256 TLV, in entry order, then the bounds error if any ---
        var hashData: Int? = nil
        for e in entries where e.type == 0x10 {
            guard hashData == nil else { return .duplicateHash }
            guard e.length == 32 else { return .hashWrongSize }
            hashData = e.data
        }
        if let walkError { return walkError }
        guard let hashData else { return .missingHash }
        let digest = Array(s[0..<hashed]).withUnsafeBytes { SHA256.hash($0) }.byteArray
        guard digest == Array(s[hashData..<(hashData + 32)]) else { return .hashMismatch }

        // --- Keys, signatures, security counter (image_validate.c, bootutil_find_key.c) ---
        var selected = false
        var lastVerdict: Bool? = nil
        var counterSeen = false
        for e in entries {
            let data = Array(s[e.data..<(e.data + e.length)])
            switch e.type {
            case 0x50:
                guard e.isProtected else { return .securityCounterUnprotected }
                guard e.length == 4, !counterSeen else { return .securityCounterMalformed }
                counterSeen = true
            case 0x01:
                guard e.length <= 32 else { return .keyHashWrongSize }
                selected = e.length > 0 && Array(key.keyHash[0..<e.length]) == data
            case 0x02:
                selected = data == key.publicBytes
            case 0x20, 0x22, 0x23, 0x24:
                defer { selected = false }
                guard selected, e.type == key.type.signatureTLV else { continue }
                if let wrongSize = wrongSize(data) { return wrongSize }
                lastVerdict = e.type == originalSignatureType && data == originalSignature
            default:
                continue
            }
        }
        guard let lastVerdict else { return .signatureMissing }
        return lastVerdict ? nil : .signatureInvalid
    }

    /// `.signatureWrongSize` when the data cannot be a signature of the key's type.
    private func wrongSize(_ data: [UInt8]) -> ImageRejection? {
        switch key.type {
        case .ed25519: return data.count == 64 ? nil : .signatureWrongSize
        case .rsa2048: return data.count == 256 ? nil : .signatureWrongSize
        case .rsa3072: return data.count == 384 ? nil : .signatureWrongSize
        case .ecdsaP256:
            // One DER element (short-form length: these signatures are < 128 bytes), then zeros only.
            guard data.count <= 128, data.count >= 2, data[0] & 0x1F != 0x1F, data[1] < 0x80 else {
                return .signatureWrongSize
            }
            let element = 2 + Int(data[1])
            guard element <= data.count, data[element...].allSatisfy({ $0 == 0 }) else { return .signatureWrongSize }
            return nil
        }
    }

    private func u32(_ s: [UInt8], _ at: Int) -> UInt32 {
        UInt32(s[at]) | UInt32(s[at + 1]) << 8 | UInt32(s[at + 2]) << 16 | UInt32(s[at + 3]) << 24
    }
}
