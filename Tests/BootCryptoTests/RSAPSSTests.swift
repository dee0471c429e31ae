import BootCrypto
import Foundation
import Testing

// RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) verification: Wycheproof, a vector signed the way
// imgtool signs, and hostile inputs (wrong lengths, values ≥ n, unsupported keys, truncated DER).

// MARK: - Helpers (file-private: other BootCrypto test files have their own)

private func rsaBytes(hex: String) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(hex.utf8.count / 2)
    var high: UInt8? = nil
    for c in hex.utf8 {
        let v: UInt8
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
        default: continue
        }
        if let h = high {
            out.append(h << 4 | v)
            high = nil
        } else {
            high = v
        }
    }
    return out
}

private func rsaDigest(_ message: [UInt8]) -> [UInt8] {
    message.withUnsafeBytes { SHA256.hash($0) }.withUnsafeBytes { Array($0) }
}

private func pkcs1Key(_ der: [UInt8]) throws(RSAError) -> RSAPublicKey {
    try der.withUnsafeBytes { raw in Result { () throws(RSAError) in try RSAPublicKey(pkcs1: raw) } }.get()
}

private func spkiKey(_ der: [UInt8]) throws(RSAError) -> RSAPublicKey {
    try der.withUnsafeBytes { raw in
        Result { () throws(RSAError) in try RSAPublicKey(subjectPublicKeyInfo: raw) }
    }.get()
}

private func pkcs1Error(_ der: [UInt8]) -> RSAError? {
    do { _ = try pkcs1Key(der); return nil } catch { return error }
}

private func spkiError(_ der: [UInt8]) -> RSAError? {
    do { _ = try spkiKey(der); return nil } catch { return error }
}

private func pssVerify(
    digest: [UInt8], signature: [UInt8], key: RSAPublicKey, saltLength: Int = 32
) -> Bool {
    digest.withUnsafeBytes { d in
        signature.withUnsafeBytes { s in
            RSAPSS.verify(digest: d, signature: s, publicKey: key, saltLength: saltLength)
        }
    }
}

/// DER TLV with a minimal length (test builder for hostile keys).
private func derTLV(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [tag]
    let n = content.count
    if n < 0x80 {
        out.append(UInt8(n))
    } else if n < 0x100 {
        out += [0x81, UInt8(n)]
    } else {
        out += [0x82, UInt8(n >> 8), UInt8(n & 0xFF)]
    }
    return out + content
}

/// A DER INTEGER for a non-negative big-endian magnitude (adds the 0x00 sign byte when needed).
private func derUnsigned(_ magnitude: [UInt8]) -> [UInt8] {
    var m = Array(magnitude.drop(while: { $0 == 0 }))
    if m.isEmpty { m = [0] }
    if m[0] & 0x80 != 0 { m.insert(0, at: 0) }
    return derTLV(0x02, m)
}

private func pkcs1DER(modulus: [UInt8], exponent: [UInt8] = [0x01, 0x00, 0x01]) -> [UInt8] {
    derTLV(0x30, derUnsigned(modulus) + derUnsigned(exponent))
}

private let rsaEncryptionOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]

private func spkiDER(pkcs1: [UInt8], algorithm: [UInt8] = rsaEncryptionOID + [0x05, 0x00]) -> [UInt8] {
    derTLV(0x30, derTLV(0x30, algorithm) + derTLV(0x03, [0x00] + pkcs1))
}

/// A pseudorandom odd modulus magnitude of `bits` bits (top bit set); deterministic.
private func fakeModulus(bits: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    var out = (0..<((bits + 7) / 8)).map { _ -> UInt8 in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
    let topBit = UInt8(1) << UInt8((bits - 1) % 8)
    out[0] = (out[0] & (topBit | (topBit &- 1))) | topBit
    out[out.count - 1] |= 1
    return out
}

// MARK: - Wycheproof

private struct WycheproofPSSFile: Decodable {
    let numberOfTests: Int
    let testGroups: [Group]
    struct Group: Decodable {
        let keySize: Int
        let sha: String
        let mgf: String
        let mgfSha: String
        let sLen: Int
        let publicKeyAsn: String
        let publicKeyDer: String
        let tests: [Case]
    }
    struct Case: Decodable {
        let tcId: Int
        let comment: String
        let msg: String
        let sig: String
        let result: String
    }
}

private func loadWycheproof(_ name: String) throws -> WycheproofPSSFile {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/wycheproof/\(name)")
    return try JSONDecoder().decode(WycheproofPSSFile.self, from: Data(contentsOf: url))
}

// MARK: - A vector signed like imgtool signs

/// Generated with Python `cryptography` 50.0.2:
/// `key.sign(message, PSS(mgf=MGF1(SHA256()), salt_length=32), SHA256())`, the public key exported
/// as PKCS#1 DER (what `imgtool getpub` embeds). The verifier is given SHA256(message), as MCUboot
/// gives it the image hash.
private struct SignedVector: Sendable, CustomTestStringConvertible {
    let bits: Int
    let publicKey: [UInt8]
    let signature: [UInt8]
    var testDescription: String { "RSA-\(bits)" }
}

private let imgtoolMessage = Array("Lifeboat RSA-PSS vector: imgtool-style PSS(MGF1(SHA256), salt_length=32)".utf8)
private let imgtoolDigestHex = "6d7fc0923d0a72f9e9197bfe9d112ea79ce72dca75b280e0180c1127501b8cdb"

private let signedVectors: [SignedVector] = [
    SignedVector(
        bits: 2048,
        publicKey: rsaBytes(
            hex:
            "3082010a0282010100ae419952d4083fb8892ae1bbae81c9a4eaf44b81e3adc14a13314a7cd14b0457126a85d5425888" +
            "d52b5f02aa522ce441f4956137e14686de41688648cbe4517f264439f6aa04fb46a6d48f5f64f49d6b5bf9e3264824af" +
            "afedc283772d15c4f69bcbf5aebb201d27ec388d8dbc513ff6b53e0782df35a805b466ded8f934dfbb052ae1c74e28df" +
            "eea2ed755240783f6d0bf28d8a18a6af8611d05c8cabaa0c8a49292d5da13c62209e07d6c7383bc3566f13bcdf043134" +
            "58635aab5b2063d4eb05a41e2e7b4f6a68294f86fd765ee8db17e6d45f86a9e645c9980bcca36073085aa22eabc86e82" +
            "8630e70365d673050ca83576493be322af26c1df2189816d730203010001"),
        signature: rsaBytes(
            hex:
            "a6c58ebd87754946d186ad68d5ef601d9e53121d23f2d2c569bdd2baa126f5fda3012af3c32723a872dc10975fbfe480" +
            "b4a7a08599bb14b7d3e2b84c39899d246e797a7766f95fab15c69a36abef192536f5bb407a8edf72072682c26366ec52" +
            "415cbea5c2dd9ce68086b142eee6ca35bbc293900c6b07dbff35e67c729a3f0a2c71f573f84166f2ad94e607739d0d0a" +
            "d3c93c89efa350674b59931683cfa7932c59eef80cee112e2c259dfdf35e4564fad057bad63cf3a3c6073d305408cacb" +
            "80d3ac0bfad222d3f4412c95cbfe513141546e435c222e8e0293b73efb534478efc6146982f4733fbf98b2564825870c" +
            "c8d7006668a6b23783bf76a95c1070c8")),
    SignedVector(
        bits: 3072,
        publicKey: rsaBytes(
            hex:
            "3082018a0282018100cd950635111b103a1a64aaacaa72f0379a3353a560b12edcdaed7c5009709e96686274d72010ef" +
            "afb9783e6b3822bc83af9423c7641e1406c54d5c4d32830ab31829c9fa3f39482da8af0552ec2a91688d60b56c640ea5" +
            "79c9b08cc8dc59ea945b2fa4f778fb7623b87bbb000e7c758888620c6f63cff3272a6a0b1c25a660787b4bf55a4eaa8e" +
            "bb8f655fe845e0e027d3dc5358a27a799353b5f7c2f192d32212003fda7cfb052407373d2e3322c85c01b9259fb01eac" +
            "12668aad03d3af1bd3cfc882da878405b460180492966ecc1ac9ef54ef6a42aa534a9bd9f691b2171d105b458941134d" +
            "27a8c03e7c704088f258909fc9f96a5b007fd797697b5fb6dea80a5f92d0b4168fc3eca4e07ea8b6c2708c2549b35dcc" +
            "04d927f3c8fa1476f13679794e5b376e339b058141c8a1272384a91d684e8b700e69c9b454a9bff8d99bcd3dddd4ba5f" +
            "b92a591cc6a906cf38b8bcd618d6c6e748a30facb99710e12900a5c8189936066d569da32066a083b35373ab74217458" +
            "2826882a29828943390203010001"),
        signature: rsaBytes(
            hex:
            "053822745770fbb2a548bc52296f3c372914f965465038b46a0b1ea54ba8c1206898e8d0af922d7aaca11ee4ef8f9b56" +
            "78ca8e14ecbab06645d2cf4c2a80d51cb93bee5ee2e093b5c2c4b18bbd21c1fc2598a9df717ec25af1115dd13d29d146" +
            "58f64c043fa0b57505aa09c83542a404b30a679d35fbc48e4c83a5cf2997966e35719d7eb7ef60e5a46885ab147b6d97" +
            "7c6ed2aadb043ba68b43dbe8bb5711b9021ae6b3fc0f33aa8655c33685ec2c551e8586e45792666203dcfd755f6cbcba" +
            "9ed619947df2ebfa07d2b0b2ce6552e49c2d4c273a81bedd7880a8cb9ff2e8d2db2b80d97e3b25c6447729062659a857" +
            "558b8c045b9c8c6e9d88cb4e6c52d31bd61054d2690a47e6e1595ac9739c4a86b3fc88f88b757864d3b25bb9ac26ee25" +
            "b6c23aaab82bafde54f6e37c4a3209a671aeaf68dfa54fa3e69921c07f1b41f35eb1d18fa361cb9a186661e8723690ab" +
            "1b6f4c68abe241e0cb26a794de6f71f2d3828994cc61958f0ab8e89cd303e9e072e8db3d603e6805cc8c195986b4a4c3")),
]

@Suite struct RSAPSSTests {
    // MARK: Wycheproof

    @Test(arguments: [
        ("rsa_pss_2048_sha256_mgf1_32_test.json", 2048),
        ("rsa_pss_3072_sha256_mgf1_32_test.json", 3072),
    ])
    func wycheproof(file: String, keySize: Int) throws {
        let vectors = try loadWycheproof(file)
        var counts: [String: (total: Int, passed: Int)] = [:]
        var tests = 0
        for group in vectors.testGroups {
            #expect(group.keySize == keySize)
            #expect(group.sha == "SHA-256" && group.mgf == "MGF1" && group.mgfSha == "SHA-256" && group.sLen == 32)
            let fromPKCS1 = try pkcs1Key(rsaBytes(hex: group.publicKeyAsn))
            let fromSPKI = try spkiKey(rsaBytes(hex: group.publicKeyDer))
            #expect(fromPKCS1 == fromSPKI, "publicKeyAsn and publicKeyDer give different moduli")
            #expect(fromPKCS1.modulusBits == keySize)
            #expect(fromPKCS1.modulusByteCount == keySize / 8)
            for test in group.tests {
                tests += 1
                let digest = rsaDigest(rsaBytes(hex: test.msg))
                let signature = rsaBytes(hex: test.sig)
                let accepted = pssVerify(digest: digest, signature: signature, key: fromPKCS1)
                let acceptedSPKI = pssVerify(digest: digest, signature: signature, key: fromSPKI)
                // A bootloader accepts nothing borderline: "acceptable" must be rejected too.
                let expected = test.result == "valid"
                #expect(accepted == expected, "tcId \(test.tcId) (\(test.result)): \(test.comment)")
                #expect(acceptedSPKI == accepted)
                var entry = counts[test.result, default: (0, 0)]
                entry.total += 1
                if accepted == expected { entry.passed += 1 }
                counts[test.result] = entry
            }
        }
        #expect(tests == vectors.numberOfTests)
        let summary = counts.keys.sorted().map { "\($0) \(counts[$0]!.passed)/\(counts[$0]!.total)" }
        print("RSA-PSS Wycheproof \(file): \(tests) tests; " + summary.joined(separator: ", "))
    }

    // MARK: A vector from Python cryptography (imgtool's signing call)

    @Test(arguments: signedVectors)
    fileprivate func imgtoolStyleSignature(_ vector: SignedVector) throws {
        let key = try pkcs1Key(vector.publicKey)
        let digest = rsaDigest(imgtoolMessage)
        #expect(digest == rsaBytes(hex: imgtoolDigestHex))
        #expect(key.modulusBits == vector.bits)
        #expect(key.publicExponent == 65537)
        #expect(vector.signature.count == key.modulusByteCount)
        #expect(pssVerify(digest: digest, signature: vector.signature, key: key))
        // The same key wrapped as SubjectPublicKeyInfo.
        let wrapped = try spkiKey(spkiDER(pkcs1: vector.publicKey))
        #expect(wrapped == key)
        #expect(pssVerify(digest: digest, signature: vector.signature, key: wrapped))
        // Any other salt length is refused: MCUboot's PSS_SLEN is fixed at 32.
        for salt in [0, 20, 31, 33, 64] {
            #expect(!pssVerify(digest: digest, signature: vector.signature, key: key, saltLength: salt))
        }
    }

    @Test(arguments: signedVectors)
    fileprivate func flippedBitsAreRejected(_ vector: SignedVector) throws {
        let key = try pkcs1Key(vector.publicKey)
        let digest = rsaDigest(imgtoolMessage)
        // Every bit of the digest.
        for bit in 0..<(8 * digest.count) {
            var d = digest
            d[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(!pssVerify(digest: d, signature: vector.signature, key: key), "digest bit \(bit)")
        }
        // Every bit of the signature (a flip may push it ≥ n, which must also be false).
        for bit in 0..<(8 * vector.signature.count) {
            var s = vector.signature
            s[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(!pssVerify(digest: digest, signature: s, key: key), "signature bit \(bit)")
        }
    }

    @Test(arguments: signedVectors)
    fileprivate func hostileLengthsAndValues(_ vector: SignedVector) throws {
        let key = try pkcs1Key(vector.publicKey)
        let digest = rsaDigest(imgtoolMessage)
        let sig = vector.signature
        let k = key.modulusByteCount
        // Signature lengths: only exactly k bytes, even when the value would be the same.
        #expect(!pssVerify(digest: digest, signature: [0] + sig, key: key))
        #expect(!pssVerify(digest: digest, signature: sig + [0], key: key))
        #expect(!pssVerify(digest: digest, signature: Array(sig.dropFirst()), key: key))
        #expect(!pssVerify(digest: digest, signature: Array(sig.dropLast()), key: key))
        #expect(!pssVerify(digest: digest, signature: [], key: key))
        #expect(!pssVerify(digest: digest, signature: [UInt8](repeating: 0, count: 2 * k), key: key))
        // Digest lengths: only 32.
        #expect(!pssVerify(digest: Array(digest.dropLast()), signature: sig, key: key))
        #expect(!pssVerify(digest: digest + [0], signature: sig, key: key))
        #expect(!pssVerify(digest: [], signature: sig, key: key))
        // Salt lengths that make no sense must not trap.
        for salt in [-1, -32, Int.min, Int.max, k, k - 33, k - 34, k - 35] {
            #expect(!pssVerify(digest: digest, signature: sig, key: key, saltLength: salt))
        }
        // Values: 0, 1, n − 1, n, n + 1, and all ones (≥ n) — each k bytes long.
        let modulus = Array(vector.publicKey.suffix(k + 5).prefix(k))  // PKCS#1: ... 02 82 xx xx 00 | n | 02 03 01 00 01
        #expect(modulus[0] & 0x80 != 0)
        var nMinus1 = modulus
        nMinus1[k - 1] -= 1  // n is odd
        var nPlus1 = modulus
        nPlus1[k - 1] += 1  // n is odd: no carry
        let zero = [UInt8](repeating: 0, count: k)
        var one = zero
        one[k - 1] = 1
        for value in [zero, one, nMinus1, modulus, nPlus1, [UInt8](repeating: 0xFF, count: k)] {
            #expect(!pssVerify(digest: digest, signature: value, key: key))
        }
    }

    // MARK: Keys

    @Test(arguments: [512, 1024, 1536, 2040, 2047, 2056, 3071, 3080, 4096, 8192])
    func unsupportedModulusSizesAreRefused(bits: Int) {
        let der = pkcs1DER(modulus: fakeModulus(bits: bits))
        #expect(pkcs1Error(der) == .unsupportedModulusSize)
        #expect(spkiError(spkiDER(pkcs1: der)) == .unsupportedModulusSize)
    }

    @Test(arguments: [2048, 3072])
    func supportedSizesParse(bits: Int) throws {
        let key = try pkcs1Key(pkcs1DER(modulus: fakeModulus(bits: bits)))
        #expect(key.modulusBits == bits)
        #expect(key.modulusByteCount == bits / 8)
    }

    @Test func evenModulusIsRefused() {
        var n = fakeModulus(bits: 2048)
        n[n.count - 1] &= 0xFE
        #expect(pkcs1Error(pkcs1DER(modulus: n)) == .evenModulus)
    }

    @Test(arguments: [[0x03], [0x01, 0x00, 0x03], [0x01, 0x00, 0x00, 0x01], [0x00], [0x01], [0x02, 0x00, 0x01]] as [[UInt8]])
    func otherExponentsAreRefused(exponent: [UInt8]) {
        #expect(pkcs1Error(pkcs1DER(modulus: fakeModulus(bits: 2048), exponent: exponent)) == .unsupportedExponent)
    }

    @Test func malformedDERIsRefused() throws {
        let n = fakeModulus(bits: 2048)
        let good = pkcs1DER(modulus: n)
        _ = try pkcs1Key(good)
        // Trailing bytes after the key, inside and outside the SEQUENCE.
        #expect(pkcs1Error(good + [0x00]) == .malformed(.trailingData))
        let innerExtra = derTLV(0x30, derUnsigned(n) + derUnsigned([1, 0, 1]) + [0x05, 0x00])
        #expect(pkcs1Error(innerExtra) == .malformed(.trailingData))
        // Non-minimal exponent (leading zero) and negative modulus.
        let paddedExponent = derTLV(0x30, derUnsigned(n) + derTLV(0x02, [0x00, 0x01, 0x00, 0x01]))
        #expect(pkcs1Error(paddedExponent) == .malformed(.badInteger))
        let negative = derTLV(0x30, derTLV(0x02, n) + derUnsigned([1, 0, 1]))
        #expect(pkcs1Error(negative) == .malformed(.negativeInteger))
        // Missing exponent; wrong outer tag.
        #expect(pkcs1Error(derTLV(0x30, derUnsigned(n))) == .malformed(.truncated))
        #expect(pkcs1Error([0x31] + good.dropFirst()) == .malformed(.unexpectedTag))
        // Every truncation of a PKCS#1 key and of an SPKI is refused, and nothing traps.
        for length in 0..<good.count {
            #expect(pkcs1Error(Array(good.prefix(length))) != nil)
        }
        let spki = spkiDER(pkcs1: good)
        _ = try spkiKey(spki)
        for length in 0..<spki.count {
            #expect(spkiError(Array(spki.prefix(length))) != nil)
        }
        // Each form is refused by the other parser.
        #expect(pkcs1Error(spki) != nil)
        #expect(spkiError(good) != nil)
    }

    @Test func spkiAlgorithmIsChecked() {
        let pkcs1 = pkcs1DER(modulus: fakeModulus(bits: 2048))
        // rsaEncryption without its NULL parameters.
        #expect(spkiError(spkiDER(pkcs1: pkcs1, algorithm: rsaEncryptionOID)) == .unsupportedAlgorithm)
        // id-RSASSA-PSS (1.2.840.113549.1.1.10), and id-ecPublicKey.
        let pssOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A]
        #expect(spkiError(spkiDER(pkcs1: pkcs1, algorithm: pssOID + [0x05, 0x00])) == .unsupportedAlgorithm)
        let ecOID: [UInt8] = [0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]
        #expect(spkiError(spkiDER(pkcs1: pkcs1, algorithm: ecOID + [0x05, 0x00])) == .unsupportedAlgorithm)
        // Parameters other than NULL, or extra elements.
        #expect(spkiError(spkiDER(pkcs1: pkcs1, algorithm: rsaEncryptionOID + [0x05, 0x01, 0x00])) == .unsupportedAlgorithm)
        #expect(spkiError(spkiDER(pkcs1: pkcs1, algorithm: rsaEncryptionOID + [0x05, 0x00, 0x05, 0x00])) == .unsupportedAlgorithm)
        // A BIT STRING with unused bits.
        let badBits = derTLV(0x30, derTLV(0x30, rsaEncryptionOID + [0x05, 0x00]) + derTLV(0x03, [0x01] + pkcs1))
        #expect(spkiError(badBits) == .malformed(.badBitString))
    }
}
