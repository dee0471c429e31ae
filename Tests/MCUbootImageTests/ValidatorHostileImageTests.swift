import BootCrypto
import MCUbootImage
import Testing

typealias RawTLV = (type: UInt16, data: [UInt8])

/// Hand-built images (``TestImage``) whose signatures come from Python `cryptography` with the
/// imgtool-made keys, so every TLV can be hostile while the rest is genuine.
struct HostileImage {
    var image = TestImage()

    /// The digest the signatures cover (header + body + protected TLVs; the unprotected area,
    /// where these tests put keys and signatures, does not change it).
    var digest: SHA256.Digest { image.build().digest }

    /// KEYHASH + signature TLVs for `key` over this image's digest.
    func signed(by key: KeyFixture) throws -> [RawTLV] {
        [(0x01, key.keyHash), (key.type.signatureTLV, try signDigest(digest, with: key))]
    }

    func bytes(after tlvs: [RawTLV]) -> [UInt8] {
        var copy = image
        copy.tlvsAfterHash = tlvs
        return copy.build().bytes
    }
}

func corrupt(_ bytes: [UInt8]) -> [UInt8] {
    var copy = bytes
    copy[copy.count / 2] ^= 0x10
    return copy
}

@Suite(
    .enabled(if: imgtoolPath != nil, validatorImgtoolMissing),
    .enabled(if: validatorPythonPath != nil, "no python with `cryptography` next to imgtool (its venv's bin/python)"))
struct ValidatorHostileImageTests {
    // MARK: Security counter

    @Test func securityCounterInTheUnprotectedAreaIsRefused() throws {
        let ed = try keyFixture(.ed25519)
        var h = HostileImage()
        // After the hash, before it, and as a second counter next to a protected one.
        for placement in 0..<3 {
            h.image.protectedTLVs = placement == 2 ? [(UInt16(0x50), le32(7))] : []
            h.image.tlvsBeforeHash = placement == 1 ? [(UInt16(0x50), le32(7))] : []
            let tail: [RawTLV] = placement != 1 ? [(UInt16(0x50), le32(7))] : []
            let bytes = h.bytes(after: try h.signed(by: ed) + tail)
            #expect(validate(bytes, policy: ImagePolicy()).rejection == .securityCounterUnprotected, "placement \(placement)")
            #expect(validate(bytes, policy: policy(trusting: ed)).rejection == .securityCounterUnprotected)
        }
    }

    @Test(arguments: [
        [(0x50, [7, 0, 0])],
        [(0x50, [7, 0, 0, 0, 0])],
        [(0x50, [])],
        [(0x50, le32(7) + le32(0))],
        [(0x50, le32(7)), (0x50, le32(7))],
        [(0x50, le32(7)), (0x40, [UInt8](repeating: 0, count: 12)), (0x50, le32(9))],
    ] as [[RawTLV]])
    func malformedSecurityCounter(_ protected: [RawTLV]) throws {
        var h = HostileImage()
        h.image.protectedTLVs = protected
        let ed = try keyFixture(.ed25519)
        let bytes = h.bytes(after: try h.signed(by: ed))
        #expect(validate(bytes, policy: ImagePolicy()).rejection == .securityCounterMalformed)
        #expect(validate(bytes, policy: policy(trusting: ed)).rejection == .securityCounterMalformed)
    }

    @Test func protectedSecurityCounterIsReported() throws {
        var h = HostileImage()
        h.image.protectedTLVs = [(0xA0, [1, 2, 3]), (0x50, le32(0xDEAD_BEEF))]
        let ed = try keyFixture(.ed25519)
        let result = validate(h.bytes(after: try h.signed(by: ed)), policy: policy(trusting: ed))
        #expect(result.image?.securityCounter == 0xDEAD_BEEF)
        #expect(result.image?.keyIndex == 0)
    }

    // MARK: Key selection

    @Test func keyHashLongerThan32IsRefused() throws {
        let ed = try keyFixture(.ed25519)
        let h = HostileImage()
        let signature = try signDigest(h.digest, with: ed)
        for policy in [ImagePolicy(), policy(trusting: ed)] {
            // 33 bytes whose first 32 are the right hash, before the signature.
            #expect(validate(h.bytes(after: [(0x01, ed.keyHash + [0]), (0x24, signature)]), policy: policy).rejection == .keyHashWrongSize)
            // After a good KEYHASH + signature too: every KEYHASH is checked.
            #expect(
                validate(h.bytes(after: [(0x01, ed.keyHash), (0x24, signature), (0x01, [UInt8](repeating: 0, count: 64))]), policy: policy)
                    .rejection == .keyHashWrongSize)
        }
    }

    @Test(arguments: KeyType.allCases)
    func keyHashPrefixSelectsTheKey(_ type: KeyType) throws {
        // MCUboot compares the KEYHASH's own length of bytes (bootutil_find_key).
        let a = try keyFixture(type), b = try keyFixture(type, 1)
        let h = HostileImage()
        let signature = try signDigest(h.digest, with: a)
        let prefix = h.bytes(after: [(0x01, Array(a.keyHash[0..<8])), (type.signatureTLV, signature)])
        #expect(validate(prefix, policy: policy(trusting: b, a)).image?.keyIndex == 1)
        // A zero-length KEYHASH selects nothing here (MCUboot's zero-byte compare would pick key 0;
        // Lifeboat is deliberately stricter).
        let empty = h.bytes(after: [(0x01, []), (type.signatureTLV, signature)])
        #expect(validate(empty, policy: policy(trusting: a)).rejection == .signatureMissing)
        // A signature with no KEYHASH before it.
        #expect(validate(h.bytes(after: [(type.signatureTLV, signature)]), policy: policy(trusting: a)).rejection == .signatureMissing)
        // A KEYHASH selects for one signature only: a second signature right after it is skipped.
        let twice = h.bytes(after: [(0x01, a.keyHash), (type.signatureTLV, signature), (type.signatureTLV, corrupt(signature))])
        #expect(validate(twice, policy: policy(trusting: a)).image?.keyIndex == 0)
    }

    @Test(arguments: KeyType.allCases)
    func publicKeyTLV(_ type: KeyType) throws {
        let a = try keyFixture(type), b = try keyFixture(type, 1)
        let h = HostileImage()
        let signature = try signDigest(h.digest, with: a)
        #expect(validate(h.bytes(after: [(0x02, a.publicBytes), (type.signatureTLV, signature)]), policy: policy(trusting: b, a)).image?.keyIndex == 1)
        #expect(validate(h.bytes(after: [(0x02, b.publicBytes), (type.signatureTLV, signature)]), policy: policy(trusting: a)).rejection == .signatureMissing)
        // Truncated or extended key bytes are another key.
        #expect(validate(h.bytes(after: [(0x02, Array(a.publicBytes.dropLast())), (type.signatureTLV, signature)]), policy: policy(trusting: a)).rejection == .signatureMissing)
        #expect(validate(h.bytes(after: [(0x02, a.publicBytes + [0]), (type.signatureTLV, signature)]), policy: policy(trusting: a)).rejection == .signatureMissing)
        // A PUBKEY longer than any key (600 bytes) selects nothing, and is not fatal.
        #expect(validate(h.bytes(after: [(0x02, [UInt8](repeating: 0x30, count: 600)), (type.signatureTLV, signature)]), policy: policy(trusting: a)).rejection == .signatureMissing)
    }

    @Test(arguments: KeyType.allCases)
    func signatureOfAnotherTypeThanTheSelectedKeyIsSkipped(_ type: KeyType) throws {
        let a = try keyFixture(type)
        let h = HostileImage()
        let signature = try signDigest(h.digest, with: a)
        for otherType in [0x20, 0x22, 0x23, 0x24] as [UInt16] where otherType != type.signatureTLV {
            #expect(validate(h.bytes(after: [(0x01, a.keyHash), (otherType, signature)]), policy: policy(trusting: a)).rejection == .signatureMissing)
        }
    }

    // MARK: Signature sizes

    struct SizeCase: Sendable, CustomTestStringConvertible {
        var key: KeyType
        var length: Int
        var testDescription: String { "\(key.rawValue) signature of \(length) bytes" }
    }

    static let wrongSizes: [SizeCase] =
        [0, 1, 255, 257, 384, 512].map { SizeCase(key: .rsa2048, length: $0) }
        + [0, 256, 383, 385].map { SizeCase(key: .rsa3072, length: $0) }
        + [0, 32, 63, 65, 128].map { SizeCase(key: .ed25519, length: $0) }
        + [0, 1, 129, 200].map { SizeCase(key: .ecdsaP256, length: $0) }

    /// A matching KEYHASH followed by a signature TLV of a size its type cannot have.
    @Test(arguments: wrongSizes)
    func signatureOfTheWrongSize(_ c: SizeCase) throws {
        let a = try keyFixture(c.key)
        let h = HostileImage()
        let genuine = try signDigest(h.digest, with: a)
        // The genuine signature, cut or extended with zeros (for ECDSA: zeros after the DER element are
        // fine up to 128 bytes, so its cases are all malformed elements or too long).
        let bytes = Array((genuine + [UInt8](repeating: 0, count: max(0, c.length - genuine.count)))[0..<c.length])
        let image = h.bytes(after: [(0x01, a.keyHash), (c.key.signatureTLV, bytes)])
        #expect(validate(image, policy: policy(trusting: a)).rejection == .signatureWrongSize)
        // Without a selected key the same TLV is skipped, not judged.
        #expect(validate(h.bytes(after: [(c.key.signatureTLV, bytes)]), policy: policy(trusting: a)).rejection == .signatureMissing)
        #expect(validate(image, policy: ImagePolicy()).image != nil)
    }

    @Test func ecdsaTrailingBytes() throws {
        let a = try keyFixture(.ecdsaP256)
        let h = HostileImage()
        let der = try signDigest(h.digest, with: a)
        #expect(der.count >= 70 && der.count <= 72 && der[0] == 0x30 && Int(der[1]) + 2 == der.count)
        func check(_ signature: [UInt8]) -> Result<ValidatedImage, ImageRejection> {
            validate(h.bytes(after: [(0x01, a.keyHash), (0x22, signature)]), policy: policy(trusting: a))
        }
        #expect(check(der).image?.keyIndex == 0)
        // Zero padding, as imgtool --pad-sig writes (to 72), and up to MCUboot's 128-byte buffer.
        #expect(check(der + [UInt8](repeating: 0, count: 72 - der.count)).image?.keyIndex == 0)
        #expect(check(der + [UInt8](repeating: 0, count: 128 - der.count)).image?.keyIndex == 0)
        // Non-zero bytes after the element.
        #expect(check(der + [1]).rejection == .signatureWrongSize)
        #expect(check(der + [0, 0, 0x80]).rejection == .signatureWrongSize)
        #expect(check(der + [UInt8](repeating: 0, count: 127 - der.count) + [1]).rejection == .signatureWrongSize)
        // The element cut short: its length runs past the TLV.
        #expect(check(Array(der.dropLast())).rejection == .signatureWrongSize)
        // A DER length one longer, swallowing a zero padding byte: a well-formed element of the
        // right size that is not a valid signature (the SEQUENCE has a stray byte): it does not verify.
        var short = der + [0]
        short[1] += 1
        #expect(check(short).rejection == .signatureInvalid)
    }

    // MARK: Several signatures: the last one by a trusted key decides

    @Test(arguments: KeyType.allCases)
    func lastTrustedSignatureDecides(_ type: KeyType) throws {
        let a = try keyFixture(type), b = try keyFixture(type, 1), other = try keyFixture(type.other)
        let h = HostileImage()
        let good = try h.signed(by: a)
        let bad = [good[0], (good[1].type, corrupt(good[1].data))]
        let byB = try h.signed(by: b)
        let byOther = try h.signed(by: other)

        // Valid then invalid, by the same trusted key: the last verification decides.
        #expect(validate(h.bytes(after: good + bad), policy: policy(trusting: a)).rejection == .signatureInvalid)
        // Invalid then valid: accepted.
        #expect(validate(h.bytes(after: bad + good), policy: policy(trusting: a)).image?.keyIndex == 0)
        // Valid by A, then a valid one by a key not trusted: skipped, A's verdict stands.
        #expect(validate(h.bytes(after: good + byB), policy: policy(trusting: a)).image?.keyIndex == 0)
        // Valid by A, then an invalid one by an untrusted key: skipped too.
        let badB = [byB[0], (byB[1].type, corrupt(byB[1].data))]
        #expect(validate(h.bytes(after: good + badB), policy: policy(trusting: a)).image?.keyIndex == 0)
        // Two trusted keys: the last one's index, or its failure.
        #expect(validate(h.bytes(after: good + byB), policy: policy(trusting: a, b)).image?.keyIndex == 1)
        #expect(validate(h.bytes(after: byB + good), policy: policy(trusting: a, b)).image?.keyIndex == 0)
        #expect(validate(h.bytes(after: good + badB), policy: policy(trusting: a, b)).rejection == .signatureInvalid)
        // Two trusted keys of different types.
        #expect(validate(h.bytes(after: good + byOther), policy: policy(trusting: a, other)).image?.keyIndex == 1)
        #expect(validate(h.bytes(after: byOther + bad), policy: policy(trusting: other, a)).rejection == .signatureInvalid)
    }
}
