import BootCrypto
import Foundation
import Testing

/// Wycheproof `ed25519_test.json` (EddsaVerify): every group's key is given raw (`publicKey.pk`)
/// and as SubjectPublicKeyInfo DER (`publicKeyDer`); each test is a message, a signature and a
/// verdict. A bootloader accepts nothing borderline, so `acceptable` must fail like `invalid`.
struct WycheproofEd25519File: Decodable {
    struct Group: Decodable {
        struct PublicKey: Decodable { let pk: String }
        struct Test: Decodable {
            let tcId: Int
            let comment: String
            let msg: String
            let sig: String
            let result: String
            let flags: [String]
        }
        let publicKey: PublicKey
        let publicKeyDer: String
        let tests: [Test]
    }
    let numberOfTests: Int
    let testGroups: [Group]

    static func load() throws -> WycheproofEd25519File {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/wycheproof/ed25519_test.json")
        return try JSONDecoder().decode(WycheproofEd25519File.self, from: Data(contentsOf: url))
    }
}

@Suite struct Ed25519WycheproofTests {
    @Test func allVectors() throws {
        let file = try WycheproofEd25519File.load()
        var counts: [String: (total: Int, asExpected: Int)] = [:]
        var seen = 0
        for group in file.testGroups {
            let raw = try ed25519Key(raw: ed25519Bytes(group.publicKey.pk))
            let der = try ed25519Key(der: ed25519Bytes(group.publicKeyDer))
            #expect(ed25519RawBytes(raw) == ed25519RawBytes(der))
            #expect(ed25519RawBytes(raw) == ed25519Bytes(group.publicKey.pk))

            for test in group.tests {
                seen += 1
                let message = ed25519Bytes(test.msg)
                let signature = ed25519Bytes(test.sig)
                let expected = test.result == "valid"
                let viaRaw = ed25519Verify(signature: signature, message: message, key: raw)
                let viaDER = ed25519Verify(signature: signature, message: message, key: der)
                #expect(viaRaw == expected, "tcId \(test.tcId) (\(test.result), \(test.flags)): \(test.comment)")
                #expect(viaDER == viaRaw)
                var count = counts[test.result, default: (0, 0)]
                count.total += 1
                if viaRaw == expected { count.asExpected += 1 }
                counts[test.result] = count
            }
        }
        #expect(seen == file.numberOfTests)
        let summary = counts.keys.sorted().map { "\($0) \(counts[$0]!.asExpected)/\(counts[$0]!.total)" }
        print("Wycheproof ed25519_test.json: \(seen) vectors; " + summary.joined(separator: ", "))
        // The shipped file (0.9rc5) has 88 valid and 63 invalid vectors and no acceptable ones.
        #expect(counts["valid"]?.total == 88)
        #expect(counts["invalid"]?.total == 63)
    }
}
