import BootCrypto
import Testing

/// Every Wycheproof ECDSA P-256 / SHA-256 vector. A bootloader accepts nothing borderline: only
/// `valid` verifies; `invalid` and `acceptable` (BER encodings, extreme values) are refused.
@Suite struct ECDSAP256WycheproofTests {
    @Test func allVectors() throws {
        let file = try P256WycheproofFile.load()
        var validAccepted = 0, validTotal = 0
        var rejected = 0, rejectTotal = 0
        var tests = 0
        for group in file.testGroups {
            #expect(group.sha == "SHA-256")
            #expect(group.publicKey.curve == "secp256r1")
            let raw = p256Bytes(hex: group.publicKey.uncompressed)
            let spki = p256Bytes(hex: group.publicKeyDer)
            let fromPoint = try? p256Key(uncompressed: raw)
            let fromSPKI = try? p256Key(spki: spki)
            #expect(fromPoint == fromSPKI, "both encodings of one key parse to the same key")
            guard let key = fromPoint else {
                // An invalid key must not verify anything; nothing more to check in this group.
                continue
            }
            for test in group.tests {
                tests += 1
                let digest = p256SHA256(p256Bytes(hex: test.msg))
                let ok = ecdsaVerify(digest: digest, signature: p256Bytes(hex: test.sig), key: key)
                if test.result == "valid" {
                    validTotal += 1
                    if ok { validAccepted += 1 }
                    #expect(ok, "tcId \(test.tcId) (\(test.comment)) should verify")
                } else {
                    rejectTotal += 1
                    if !ok { rejected += 1 }
                    #expect(!ok, "tcId \(test.tcId) (\(test.comment), \(test.result)) should be refused")
                }
            }
        }
        #expect(tests == file.numberOfTests)
        print("ECDSA P-256 Wycheproof: \(validAccepted)/\(validTotal) valid accepted, \(rejected)/\(rejectTotal) invalid+acceptable rejected")
    }
}
