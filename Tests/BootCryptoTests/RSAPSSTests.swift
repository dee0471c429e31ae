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
///
/// The last four keys are edge cases for Montgomery reduction, built in Python from chosen primes
/// (`RSAPrivateNumbers`, e = 65537) and signed the same way: moduli just below 2^k (top limbs all
/// ones, so R − n is tiny) and just above 2^(k−1) (the smallest k-bit moduli).
private struct SignedVector: Sendable, CustomTestStringConvertible {
    let name: String
    let bits: Int
    let message: [UInt8]
    let publicKey: [UInt8]
    let signature: [UInt8]
    var testDescription: String { name }
}

private let imgtoolMessage = Array("Lifeboat RSA-PSS vector: imgtool-style PSS(MGF1(SHA256), salt_length=32)".utf8)
private let edgeMessage = Array("Lifeboat RSA-PSS edge-case modulus".utf8)
private let imgtoolDigestHex = "6d7fc0923d0a72f9e9197bfe9d112ea79ce72dca75b280e0180c1127501b8cdb"

private let signedVectors: [SignedVector] = [
    SignedVector(
        name: "RSA-2048", bits: 2048, message: imgtoolMessage,
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
        name: "RSA-3072", bits: 3072, message: imgtoolMessage,
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
    SignedVector(
        name: "RSA-2048, n = 0xffff…1b, just below 2^2048", bits: 2048, message: edgeMessage,
        publicKey: rsaBytes(
            hex:
            "3082010a0282010100ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
            "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffeff59c00000000000000" +
            "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
            "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
            "00000000000000000000000000000000001001a5008bfe621b0203010001"),
        signature: rsaBytes(
            hex:
            "0cca1613184ce15e9fe2ffa0ebedec49ff79d0022f23c591942b250579f0bfbeeca8ff16265295641bb73daf62a4a89f" +
            "9d54d2b56f423f0495d6a703150bd0894bb863db2ac7f285bd59f162fefe068c25f6aa37684d9e5496e343662d9b3051" +
            "277e85fff1192fb2704c289cb74e9f340dacbacc4a130576388f2120ac7c9fb6ac07cf67b0ef875d0585c6367b113557" +
            "a2c41d1cfa7ee900bedc3f07786a5c6ac29543cb5dbe08242d4d9bf6aebe80bf5f592aa05cd6747b89419e4f3b45b75e" +
            "f69dd983e5a5d1d58895de8d0e8b06e817ed57a45991381d1c8d5ecf91ded0c97d7986b11827ef74ed14ecc781fc2f11" +
            "433eef3eda6a4c625983a2e804ea07ea")),
    SignedVector(
        name: "RSA-2048, n = 0x8000…35, just above 2^2047", bits: 2048, message: edgeMessage,
        publicKey: rsaBytes(
            hex:
            "3082010a0282010100800000000000000000000000000000000000000000000000000000000000000000000000000000" +
            "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
            "0000000000000000000000000000000000000000000000000000000000000000000b504f333f9de69aff1fef98425d84" +
            "d5173e589dcc78852895f14465f88c6f085d9246a91a122b3d9530c8898e1bbade4d307382d2208bc0077fd4f02c55cc" +
            "bda1abf0e45a4ec225e0137d8f1d01333c6d48d80632184a53ac60e70a6c83aa05a44ddf9dcbfca99dcf728cf737206a" +
            "b40cec4d752f72190afa06a486b477c7ee422ff69582b627350203010001"),
        signature: rsaBytes(
            hex:
            "090fa52705a30a097bc2b97ef338622076c10ee8469ad49d0eabab099830aacffc4cad7ffd5955a6a8d5bdc76d4fdaae" +
            "41ca147b1c7108499f18380b317a94f8b66a6c637ebf2621e8d8eb1339fcf4fad706b20322acb54fb7470a6ca6753f08" +
            "eda235518fc227025efbb49a9331c8f1cdba235c988ba9dc8657d57e50a42cb16b26979452ed693a329fa943c3cd8bc9" +
            "31f368e00b2a2d12a1515ab19c3b6f90ebf733cf26833b883a49caa59f5866a2df15bfc80146c5aacb1652b917e33be4" +
            "881c2ba2dc54fdfd607c24b9e31c4f44db2fd974689ff217e539aca6cb83c5fe6a9f8245f0632efca5232898f0e35c1f" +
            "2bc8b19dafbd3ad06f843a6cef497fcb")),
    SignedVector(
        name: "RSA-3072, n = 0xffff…9b, just below 2^3072", bits: 3072, message: edgeMessage,
        publicKey: rsaBytes(
            hex:
            "3082018a0282018100ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
            "fffffffeffffeff08c000000000000000000000000000000000000000000000000000000000000000000000000000000" +
            "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
            "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
            "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
            "001006f700880b1e9b0203010001"),
        signature: rsaBytes(
            hex:
            "675173b9b3ad1ac86ef8c74651fbe532937e09359e76da7ee579f07e99a3eb54ab2935ffcccba8bbda75f1e704955e8e" +
            "7c4f90b3863214419d7006f3454109540f6274b29f820d0e8ceffe3ee7b7dfcbf5a6a22fd4df8c225e1696c32ebb125b" +
            "e25e1007a23fb3da3a51d293000a7c7765ae7d58da49e99f606222cc22ebc9d809d07c9bacc06b2dfab36b0025a58205" +
            "2003f189960a98ce20027ec3779e233fd722ced3cd90cf1a16ec51d4e20d9b0eb8cb9f42aa20367d8209aa69ad7de65a" +
            "2ec4274fc26e037860ff265ffd2a6da6e3bfb5b796ee091a2dd4d260e6ee90ffbbd857f354c60eeb5485c2de5e714544" +
            "90e483ff898d479db7ff74f4d688ae002c3ef53a4ac6121dc39082b603af53b00f171c4c59f5df6cdfa48a5ec993d055" +
            "8dcf3efb7786ca2404951464b9b675347c464edaf385409d57c75d01b26a597c04e8175006aa3f68b2d4a93dbec9d3d5" +
            "8ef2c9a37a22ee507a938a941fbfd83ac8d7118820bc057102c2217f2adc4bd9eb717a6e254824df21d3cacd2d36a1e9")),
    SignedVector(
        name: "RSA-3072, n = 0x8000…c5, just above 2^3071", bits: 3072, message: edgeMessage,
        publicKey: rsaBytes(
            hex:
            "3082018a0282018100800000000000000000000000000000000000000000000000000000000000000000000000000000" +
            "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
            "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
            "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
            "000b504f333f9dec1589e5e0698823695fb1cf907b322eedc71f84a3d4f7f198fc8d028e5e4644d48dd1cfc044ed3761" +
            "0da115c94e26dcd2a59dd28a7bb904744954ae0f29ee34d0b657f39bf1b77ceccf4330a24fd99bd2871e91e41550ea0b" +
            "41a9725b1b045ba8416f9526d527e48ba5c8812a218a9f1d3363d8b4832899697921c9290510bde3f77f2c0307109a61" +
            "92fe9af3fd28de6f5d239374c8f27b30d3f83ceb32e90546a7fc5584683a8e010c2121896d5d6f9bc48fda92baaf18b0" +
            "8c92efae20857d2ac50203010001"),
        signature: rsaBytes(
            hex:
            "371b8142c3a7ed0f7b014ded7a9e059ee90f0f17b35f17eea42ba51c58aa7fe8405c0c358975130a38a854cec1e845ac" +
            "c98a0d432815de18b1cab744abde31aa1669302a868d5b69924a78989ffc45b8606f7a98eda0886acb5835f2117946f4" +
            "8bd174ff0f42820208482651153c6f77b7b75d104b8b5e38f5059548eb38a6664535e2be2259d244ded16fc00d840e2e" +
            "3f33165ece0615fa457b298111b9b6a6c29235658dcab2817719df03a725ed4a0e093f1abc21bc7f4bc1cf62fc2272d1" +
            "33b835a363011a5f44c0ff60de9e7ae0c7a1132d5a09df4f254bea92453531530f64c04e67955ab1b46547b66c853135" +
            "efa54211da617a2f072800b8769003ddb5d4da74a1730854fb6cd7b3facef4e90fe33235d34808084ce088c7e9a907fa" +
            "f69943a809981604678ee3401f60c0321945cae5414842b6ab28a7ae722b17b92b47c0f506ef90213b5a80b9804825f4" +
            "df4b006247049219fc06f742714011c69208c7c726b39d3d89db08a1fbd3e260a2b74e8417bc62b2e418ecbf908a49ad")),
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
        let digest = rsaDigest(vector.message)
        if vector.message == imgtoolMessage {
            #expect(digest == rsaBytes(hex: imgtoolDigestHex))
        }
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
        let digest = rsaDigest(vector.message)
        // Every bit of the digest.
        for bit in 0..<(8 * digest.count) {
            var d = digest
            d[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(!pssVerify(digest: d, signature: vector.signature, key: key), "digest bit \(bit)")
        }
        // Every bit of the first and last 8 bytes of the signature and every 5th bit in between
        // (a flip may push it ≥ n, which must also be false).
        let bitCount = 8 * vector.signature.count
        for bit in 0..<bitCount where bit < 64 || bit >= bitCount - 64 || bit % 5 == 0 {
            var s = vector.signature
            s[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(!pssVerify(digest: digest, signature: s, key: key), "signature bit \(bit)")
        }
    }

    @Test(arguments: signedVectors)
    fileprivate func hostileLengthsAndValues(_ vector: SignedVector) throws {
        let key = try pkcs1Key(vector.publicKey)
        let digest = rsaDigest(vector.message)
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
