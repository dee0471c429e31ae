import BootCrypto
import Testing

struct Ed25519KnownAnswer: CustomTestStringConvertible, Sendable {
    let name: String
    let publicKey: String
    let message: String
    let signature: String
    var testDescription: String { name }
}

/// RFC 8032 §7.1, TEST 1–3 and TEST SHA(abc) (the message is SHA-512("abc")); the signatures
/// were re-derived from the secret keys with Python's `cryptography`.
let ed25519RFC8032Vectors: [Ed25519KnownAnswer] = [
    Ed25519KnownAnswer(
        name: "TEST 1 (empty message)",
        publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        message: "",
        signature:
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    ),
    Ed25519KnownAnswer(
        name: "TEST 2 (one byte)",
        publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        message: "72",
        signature:
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
    ),
    Ed25519KnownAnswer(
        name: "TEST 3 (two bytes)",
        publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        message: "af82",
        signature:
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
    ),
    Ed25519KnownAnswer(
        name: "TEST SHA(abc)",
        publicKey: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        message:
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        signature:
            "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"
    ),
]

/// An imgtool-style signature: Python `cryptography` (which imgtool uses) signed the SHA-256
/// digest of a 1000-byte "image" `(i·7 + 3) mod 256` with a fresh key, exported as
/// SubjectPublicKeyInfo DER like `imgtool getpub --encoding der`.
enum ImgtoolStyleVector {
    static let image: [UInt8] = (0..<1000).map { UInt8(($0 * 7 + 3) % 256) }
    static let digest = "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371"
    static let subjectPublicKeyInfo =
        "302a300506032b65700321006410b112075592c016ac00839e8a60930682ded335a76ef982a10007a0f6bfe4"
    static let signature =
        "57a16dad07dcea25d2477e99f0a986b94342214aa225af6a46d0ea9b20d6df6e2c53851d0fe91685ae1b8632cfda4370652beebbf3668f0015e2fc1e8218f20c"
}

@Suite struct Ed25519Tests {
    @Test(arguments: ed25519RFC8032Vectors)
    func rfc8032(_ vector: Ed25519KnownAnswer) throws {
        let key = try ed25519Key(raw: ed25519Bytes(vector.publicKey))
        #expect(ed25519Verify(signature: ed25519Bytes(vector.signature), message: ed25519Bytes(vector.message), key: key))
    }

    @Test func spanOverloadMatches() throws {
        let vector = ed25519RFC8032Vectors[2]
        let key = try ed25519Key(raw: ed25519Bytes(vector.publicKey))
        let signature = ed25519Bytes(vector.signature)
        let message = ed25519Bytes(vector.message)
        let good = Ed25519.verify(signature: signature.span, message: message.span, publicKey: key)
        let short: [UInt8] = [0xaf]
        let bad = Ed25519.verify(signature: signature.span, message: short.span, publicKey: key)
        #expect(good)
        #expect(!bad)
    }

    /// MCUboot's Ed25519 path: the message is the image's 32-byte SHA-256 digest.
    @Test func imgtoolStyleSignatureOverSHA256Digest() throws {
        let digest = ImgtoolStyleVector.image.withUnsafeBytes { SHA256.hash($0) }
        let digestBytes = digest.withUnsafeBytes { Array($0) }
        #expect(ed25519Hex(digestBytes) == ImgtoolStyleVector.digest)
        let key = try ed25519Key(der: ed25519Bytes(ImgtoolStyleVector.subjectPublicKeyInfo))
        let signature = ed25519Bytes(ImgtoolStyleVector.signature)
        #expect(ed25519Verify(signature: signature, message: digestBytes, key: key))
        // Signing the digest is not signing the image.
        #expect(!ed25519Verify(signature: signature, message: ImgtoolStyleVector.image, key: key))
        var otherImage = ImgtoolStyleVector.image
        otherImage[500] ^= 1
        let otherDigest = otherImage.withUnsafeBytes { SHA256.hash($0) }.withUnsafeBytes { Array($0) }
        #expect(!ed25519Verify(signature: signature, message: otherDigest, key: key))
    }

    /// Every single-bit change of R or S is refused.
    @Test func flippedSignatureBits() throws {
        let vector = ed25519RFC8032Vectors[2]
        let key = try ed25519Key(raw: ed25519Bytes(vector.publicKey))
        let message = ed25519Bytes(vector.message)
        let signature = ed25519Bytes(vector.signature)
        var accepted = 0
        for bit in 0..<(64 * 8) {
            var flipped = signature
            flipped[bit / 8] ^= 1 << (bit % 8)
            if ed25519Verify(signature: flipped, message: message, key: key) { accepted += 1 }
        }
        #expect(accepted == 0)
    }

    @Test func flippedMessageBits() throws {
        let vector = ed25519RFC8032Vectors[3]
        let key = try ed25519Key(raw: ed25519Bytes(vector.publicKey))
        let message = ed25519Bytes(vector.message)
        let signature = ed25519Bytes(vector.signature)
        var accepted = 0
        for bit in 0..<(message.count * 8) {
            var flipped = message
            flipped[bit / 8] ^= 1 << (bit % 8)
            if ed25519Verify(signature: signature, message: flipped, key: key) { accepted += 1 }
        }
        #expect(accepted == 0)
        // Appending or dropping a byte changes the message too.
        #expect(!ed25519Verify(signature: signature, message: message + [0], key: key))
        #expect(!ed25519Verify(signature: signature, message: Array(message.dropLast()), key: key))
    }

    /// A flipped key bit either gives no key at all or a key the signature does not verify under.
    @Test func flippedKeyBits() throws {
        let vector = ed25519RFC8032Vectors[0]
        let raw = ed25519Bytes(vector.publicKey)
        let message = ed25519Bytes(vector.message)
        let signature = ed25519Bytes(vector.signature)
        var accepted = 0
        var refusedKeys = 0
        for bit in 0..<(32 * 8) {
            var flipped = raw
            flipped[bit / 8] ^= 1 << (bit % 8)
            guard let key = try? ed25519Key(raw: flipped) else {
                refusedKeys += 1
                continue
            }
            if ed25519Verify(signature: signature, message: message, key: key) { accepted += 1 }
        }
        #expect(accepted == 0)
        #expect(refusedKeys > 0 && refusedKeys < 256)  // about half of all y have no x
    }

    @Test(arguments: [0, 1, 32, 63, 65, 128])
    func wrongSignatureLength(_ length: Int) throws {
        let vector = ed25519RFC8032Vectors[0]
        let key = try ed25519Key(raw: ed25519Bytes(vector.publicKey))
        var signature = ed25519Bytes(vector.signature)
        while signature.count < length { signature.append(0) }
        signature = Array(signature.prefix(length))
        #expect(!ed25519Verify(signature: signature, message: [], key: key))
    }

    /// S + L is the same scalar modulo L; RFC 8032 requires refusing it (malleability).
    @Test func sPlusOrderIsRefused() throws {
        let vector = ed25519RFC8032Vectors[0]
        let key = try ed25519Key(raw: ed25519Bytes(vector.publicKey))
        var signature = ed25519Bytes(vector.signature)
        let order = ed25519Bytes("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
        var carry = 0
        for i in 0..<32 {
            let sum = Int(signature[32 + i]) + Int(order[i]) + carry
            signature[32 + i] = UInt8(sum & 0xFF)
            carry = sum >> 8
        }
        #expect(carry == 0)
        #expect(!ed25519Verify(signature: signature, message: [], key: key))
    }

    /// R with y replaced by y + p (when that still fits 255 bits) encodes the same point
    /// non-canonically; so does x = 0 with the sign bit set. Neither may verify. Here the
    /// signature's R is replaced wholesale, so this only checks that nothing traps and all fail.
    @Test func nonCanonicalREncodingsAreRefused() throws {
        let vector = ed25519RFC8032Vectors[0]
        let key = try ed25519Key(raw: ed25519Bytes(vector.publicKey))
        let signature = ed25519Bytes(vector.signature)
        let encodings = [
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // y = p
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // y = p + 1 ≡ 1
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",  // y = 2^255 − 1
            "0100000000000000000000000000000000000000000000000000000000000080",  // identity, sign set
        ]
        for r in encodings {
            let forged = ed25519Bytes(r) + signature[32...]
            #expect(!ed25519Verify(signature: forged, message: [], key: key))
        }
    }
}

/// Hostile input never traps: random keys decode or are refused, random signatures (with S
/// forced below L so the whole verification runs) fail. Deterministic generator, fixed seed.
@Suite struct Ed25519HostileInputTests {
    struct SplitMix64 {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
    }

    @Test func randomKeysAndSignatures() throws {
        var rng = SplitMix64(state: 25519)
        var decoded = 0
        for _ in 0..<512 {
            if (try? ed25519Key(raw: rng.bytes(32))) != nil { decoded += 1 }
        }
        #expect(decoded > 150 && decoded < 360)  // about half of all y have an x

        let key = try ed25519Key(raw: ed25519Bytes(ed25519RFC8032Vectors[0].publicKey))
        for _ in 0..<128 {
            var signature = rng.bytes(64)
            signature[63] &= 0x0f  // S < 2^252 < L
            #expect(!ed25519Verify(signature: signature, message: rng.bytes(32), key: key))
        }
    }
}

@Suite struct Ed25519PublicKeyTests {
    @Test func rawAndSubjectPublicKeyInfoAgree() throws {
        let der = ed25519Bytes(ImgtoolStyleVector.subjectPublicKeyInfo)
        let fromDER = try ed25519Key(der: der)
        let fromRaw = try ed25519Key(raw: Array(der[12...]))
        #expect(ed25519RawBytes(fromDER) == ed25519RawBytes(fromRaw))
        #expect(ed25519RawBytes(fromDER) == Array(der[12...]))
    }

    @Test(arguments: [0, 31, 33, 64])
    func wrongRawLength(_ length: Int) {
        #expect(throws: Ed25519Error.badKeyLength) { try ed25519Key(raw: [UInt8](repeating: 0x11, count: length)) }
    }

    @Test(arguments: [
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // y = p
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // y = p + 1
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",  // y = 2^255 − 1, sign set
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",  // y = p − 1 with sign set...
    ])
    func nonCanonicalOrSmallOrderKeys(_ hex: String) {
        // y = p − 1 is canonical (the point (0, −1), order 2) but x = 0 with the sign bit is not.
        #expect(throws: Ed25519Error.self) { try ed25519Key(raw: ed25519Bytes(hex)) }
    }

    @Test func nonCanonicalYIsNamed() {
        #expect(throws: Ed25519Error.nonCanonicalEncoding) {
            try ed25519Key(raw: ed25519Bytes("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"))
        }
    }

    @Test func yWithoutXIsNotOnCurve() {
        // y = 2: (y² − 1)/(d·y² + 1) is not a square modulo p.
        #expect(throws: Ed25519Error.notOnCurve) {
            try ed25519Key(raw: ed25519Bytes("0200000000000000000000000000000000000000000000000000000000000000"))
        }
        // x = 0 (y = 1) with the sign bit set.
        #expect(throws: Ed25519Error.notOnCurve) {
            try ed25519Key(raw: ed25519Bytes("0100000000000000000000000000000000000000000000000000000000000080"))
        }
    }

    /// The eight points of order dividing 8, in their canonical encodings.
    @Test(arguments: [
        "0100000000000000000000000000000000000000000000000000000000000000",  // identity
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // (0, −1), order 2
        "0000000000000000000000000000000000000000000000000000000000000000",  // order 4
        "0000000000000000000000000000000000000000000000000000000000000080",  // order 4
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  // order 8
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",  // order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  // order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",  // order 8
    ])
    func smallOrderKeysAreRefused(_ hex: String) {
        #expect(throws: Ed25519Error.smallOrder) { try ed25519Key(raw: ed25519Bytes(hex)) }
    }

    @Test func malformedSubjectPublicKeyInfo() {
        let good = ed25519Bytes(ImgtoolStyleVector.subjectPublicKeyInfo)
        let key = Array(good[12...])
        // Trailing byte after the SEQUENCE.
        #expect(throws: Ed25519Error.malformedSubjectPublicKeyInfo) { try ed25519Key(der: good + [0]) }
        // Truncated.
        #expect(throws: Ed25519Error.malformedSubjectPublicKeyInfo) { try ed25519Key(der: Array(good.dropLast())) }
        #expect(throws: Ed25519Error.malformedSubjectPublicKeyInfo) { try ed25519Key(der: []) }
        // BIT STRING with unused bits.
        var unused = good
        unused[11] = 0x01
        #expect(throws: Ed25519Error.malformedSubjectPublicKeyInfo) { try ed25519Key(der: unused) }
        // Key of 31 bytes, lengths adjusted.
        let short = [0x30, 0x29, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x20, 0x00] + key.prefix(31)
        #expect(throws: Ed25519Error.badKeyLength) { try ed25519Key(der: short) }
        // X25519's OID (1.3.101.110).
        var x25519 = good
        x25519[8] = 0x6e
        #expect(throws: Ed25519Error.wrongAlgorithm) { try ed25519Key(der: x25519) }
        // id-Ed25519 with a NULL parameter (RFC 8410: parameters MUST be absent).
        let withNull = [0x30, 0x2c, 0x30, 0x07, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x05, 0x00, 0x03, 0x21, 0x00] + key
        #expect(throws: Ed25519Error.wrongAlgorithm) { try ed25519Key(der: withNull) }
        // The raw key alone is not a SubjectPublicKeyInfo.
        #expect(throws: Ed25519Error.malformedSubjectPublicKeyInfo) { try ed25519Key(der: key) }
    }
}
