import BootCrypto
import MCUbootImage
import Testing

struct BitFlipCase: Sendable, CustomTestStringConvertible {
    var key: KeyType
    var securityCounter: Bool
    var testDescription: String { "\(key.rawValue)\(securityCounter ? " + protected SEC_CNT" : "")" }
}

/// One flipped bit and the reasons it may be rejected for.
struct Flip {
    var region: String
    var offset: Int
    var bit: Int
    var allowed: Set<ImageRejection>
}

extension ImageRejection: Hashable {
    public func hash(into hasher: inout Hasher) { hasher.combine(String(describing: self)) }
}

/// Single-bit flips in every region of an imgtool-signed image, each rejected for the right reason.
///
/// Every flip is checked twice: the validator's reason must lie in the set argued for its field
/// below, and must equal what ``ValidatorReferenceModel`` (a spec-level re-derivation over the
/// flipped bytes) predicts. The sets alone pin most fields to one reason; the model pins the
/// fields whose reason depends on which bytes a corrupted length lands on.
@Suite(.enabled(if: imgtoolPath != nil, validatorImgtoolMissing))
struct ValidatorBitFlipTests {
    static let cases = KeyType.allCases.flatMap { key in [true, false].map { BitFlipCase(key: key, securityCounter: $0) } }

    /// First, middle and last byte of `range`, all eight bits each.
    static func sample(_ range: Range<Int>) -> [(Int, Int)] {
        let bytes = Set([range.lowerBound, range.lowerBound + range.count / 2, range.upperBound - 1]).sorted()
        return bytes.flatMap { b in (0..<8).map { (b, $0) } }
    }

    /// Every bit of `range`.
    static func all(_ range: Range<Int>) -> [(Int, Int)] {
        range.flatMap { b in (0..<8).map { (b, $0) } }
    }

    static func flips(for image: SignedImage, key: KeyType) -> [Flip] {
        var flips: [Flip] = []
        func add(_ region: String, _ bits: [(Int, Int)], _ allowed: Set<ImageRejection>) {
            flips += bits.map { Flip(region: region, offset: $0.0, bit: $0.1, allowed: allowed) }
        }
        // Header: every bit.
        // Magic: a flipped magic is never erased (0xffffffff) nor valid; bit 0 gives the legacy
        // IMAGE_MAGIC_V1 0x96f3b83c, which is refused as well.
        add("magic", all(0..<4), [.badMagic])
        // The load address, version and pad are only covered by the hash.
        add("load address", all(4..<8), [.hashMismatch])
        // headerSize 0x0200: clearing bit 9 gives 0 (< 32, headerTooSmall); any other bit moves
        // the body end so the protected info 0x6908 (protectedSizeMismatch) or, with no protected
        // area, the 0x6907 info (badTLVInfoMagic) is not where the header says. All moved ends
        // stay inside the 0x20000 slot, so imageExceedsSlot cannot happen here.
        add("header size", all(8..<10), [.headerTooSmall, .protectedSizeMismatch, .badTLVInfoMagic])
        // protectedTLVSize 12 (or 0): never matches the 0x6908 total any more (or a 0x6908 area
        // appears to be missing); sizes stay far below the slot size.
        add("protected TLV size", all(10..<12), [.protectedSizeMismatch])
        // imageSize 5000: flips in bits 17…31 push header + body past the 0x20000 slot
        // (imageExceedsSlot); smaller changes land the TLV infos inside the body or in erased
        // flash (protectedSizeMismatch with a protected area, badTLVInfoMagic without).
        add("image size", all(12..<16), [.imageExceedsSlot, .protectedSizeMismatch, .badTLVInfoMagic])
        // Flags: encrypted (0x04, 0x08) and compressed (0x200, 0x400, 0x800) are refused before
        // any hashing; every other flag bit only breaks the hash.
        for byte in 16..<20 {
            for bit in 0..<8 {
                let flag = UInt32(1) << (8 * (byte - 16) + bit)
                let refused = [0x04, 0x08, 0x200, 0x400, 0x800].contains(flag)
                add("flag \(flag)", [(byte, bit)], refused ? [.unsupportedFlags] : [.hashMismatch])
            }
        }
        add("version", all(20..<28), [.hashMismatch])
        add("header pad field", all(28..<32), [.hashMismatch])
        add("header padding", sample(32..<image.headerSize), [.hashMismatch])
        add("body", sample(image.headerSize..<image.protectedStart), [.hashMismatch])

        if image.protectedSize != 0 {
            let p = image.protectedStart
            // The 0x6908 info: magic or total no longer agree with the header.
            add("protected info", all(p..<(p + 4)), [.protectedSizeMismatch])
            // SEC_CNT type 0x0050: any other type is just hashed, except bit 6 which makes it 0x0010,
            // a SHA-256 TLV of 4 bytes (hashWrongSize, found before the real one).
            add("SEC_CNT type", all((p + 4)..<(p + 6)), [.hashMismatch, .hashWrongSize])
            // SEC_CNT length 4: 0 leaves the 4 value bytes as a zero-length entry (07 00 00 00:
            // type 7, length 0), so only the hash breaks; any larger length crosses the area end.
            add("SEC_CNT length", all((p + 6)..<(p + 8)), [.hashMismatch, .tlvOutOfBounds])
            add("SEC_CNT value", all((p + 8)..<(p + 12)), [.hashMismatch])
        }

        let u = image.unprotectedStart
        add("unprotected info magic", all(u..<(u + 2)), [.badTLVInfoMagic])
        // The total: a larger one walks into erased flash (type/length 0xffff) or leaves < 4
        // bytes; a smaller one cuts an entry (tlvOutOfBounds). It could only end cleanly after
        // SHA256 (40) or KEYHASH (76) (signatureMissing) or at 4 (missingHash), which no single
        // flip of these totals (0x90, 0x96…0x98, 0x150, 0x1d0) reaches; the model says which.
        add("unprotected info total", all((u + 2)..<(u + 4)), [.tlvOutOfBounds])

        for entry in image.unprotectedEntries {
            let h = entry.offset, data = (h + 4)..<(h + 4 + entry.length)
            switch entry.type {
            case 0x10:
                // No SHA-256 TLV any more (0x11/0x12 are other hashes, not accepted here).
                add("SHA256 type", all(h..<(h + 2)), [.missingHash])
                // Any other length is refused when the entry is reached, unless it reaches past
                // the area end first.
                add("SHA256 length", all((h + 2)..<(h + 4)), [.hashWrongSize, .tlvOutOfBounds])
                add("SHA256 value", sample(data), [.hashMismatch])
            case 0x01:
                // KEYHASH becomes an unknown type: the signature after it has no key.
                add("KEYHASH type", all(h..<(h + 2)), [.signatureMissing])
                // Longer than 32: keyHashWrongSize, unless the walk re-synchronised on signature
                // bytes goes out of bounds first (it does, bar 1 in ~2^16); 0: no key is selected
                // and the walk continues inside the key hash.
                add("KEYHASH length", all((h + 2)..<(h + 4)), [.keyHashWrongSize, .tlvOutOfBounds, .signatureMissing])
                // An unknown key: its signature is skipped and no trusted signature remains.
                add("KEYHASH value", sample(data), [.signatureMissing])
            default:
                #expect(Int(entry.type) == Int(key.signatureTLV))
                // Another signature type does not belong to the selected key: skipped.
                add("signature type", all(h..<(h + 2)), [.signatureMissing])
                // Longer: past the area end. Shorter: the walk continues inside the signature
                // (almost always out of bounds); if it stays in bounds, the short signature is
                // the wrong size for its type.
                add("signature length", all((h + 2)..<(h + 4)), [.tlvOutOfBounds, .signatureWrongSize])
                if key == .ecdsaP256 {
                    // DER SEQUENCE tag 0x30: any single flip still parses as one element of the
                    // same length, which is then not a SEQUENCE → does not verify.
                    add("ECDSA DER tag", all(data.lowerBound..<(data.lowerBound + 1)), [.signatureInvalid])
                    // DER length: longer than the TLV, long form, or shorter leaving non-zero
                    // bytes after the element → signatureWrongSize; shorter leaving only zero bytes
                    // → a truncated element that does not verify (the model says which).
                    add("ECDSA DER length", all((data.lowerBound + 1)..<(data.lowerBound + 2)), [.signatureWrongSize, .signatureInvalid])
                    add("ECDSA r/s", sample((data.lowerBound + 2)..<data.upperBound), [.signatureInvalid])
                } else {
                    add("signature", sample(data), [.signatureInvalid])
                }
            }
        }
        return flips
    }

    @Test(arguments: cases)
    func singleBitFlipsAreRejectedForTheRightReason(_ c: BitFlipCase) throws {
        let image = try signedImage(SignOptions(key: c.key, securityCounter: c.securityCounter ? 7 : nil))
        let key = try keyFixture(c.key)
        let policy = policy(trusting: key)
        let sigEntry = try #require(image.entry(c.key.signatureTLV))
        let model = ValidatorReferenceModel(
            key: key, originalSignatureType: c.key.signatureTLV,
            originalSignature: Array(image.bytes[(sigEntry.offset + 4)..<(sigEntry.offset + 4 + sigEntry.length)]))

        let slot = image.bytes + [UInt8](repeating: 0xFF, count: SignOptions.slotSize - image.bytes.count)
        // The unflipped image is valid, for the model too.
        #expect(validate(image.bytes, policy: policy).image?.keyIndex == 0)
        #expect(model.expected(slot) == nil)

        var seenReasons: Set<ImageRejection> = []
        let flips = Self.flips(for: image, key: c.key)
        for flip in flips {
            let corrupted = flipped(slot, flip.offset, bit: flip.bit)
            let result = validate(corrupted, slotSize: corrupted.count, policy: policy)
            let where_ = "\(flip.region): byte \(flip.offset) bit \(flip.bit)"
            guard let reason = result.rejection else {
                Issue.record("accepted with \(where_) flipped")
                continue
            }
            seenReasons.insert(reason)
            #expect(flip.allowed.contains(reason), "\(where_): \(reason) not in \(flip.allowed)")
            #expect(reason == model.expected(corrupted), "\(where_): \(reason), model says \(String(describing: model.expected(corrupted)))")
        }
        // Every argued reason class was exercised by this image.
        var mustSee: Set<ImageRejection> = [
            .badMagic, .hashMismatch, .headerTooSmall, .imageExceedsSlot, .unsupportedFlags, .badTLVInfoMagic,
            .protectedSizeMismatch, .tlvOutOfBounds, .missingHash, .hashWrongSize, .signatureMissing,
            .signatureInvalid,
        ]
        if c.key == .ecdsaP256 { mustSee.insert(.signatureWrongSize) }
        #expect(mustSee.isSubset(of: seenReasons), "not seen: \(mustSee.subtracting(seenReasons))")
    }
}
