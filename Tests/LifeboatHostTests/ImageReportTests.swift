import Foundation
import LifeboatHost
import MCUbootImage
import Testing

/// `lifeboat image verify` / `info`: the verdicts and what the report shows.
@Suite struct ImageReportTests {
    static func image(key: SigningKey?, counter: UInt32? = 9, pad: Bool = false) throws -> [UInt8] {
        var options = SigningOptions(version: ImageVersion(major: 4, minor: 5, revision: 6, build: 7), slotSize: 0x20000)
        options.padHeader = true
        options.securityCounter = counter
        options.pad = pad
        options.confirm = pad
        return try ImageSigner(options: options, key: key).sign(applicationBytes(count: 3000, seed: 2))
    }

    @Test(arguments: KeyType.allCases)
    func signedImagesVerifyWithTheirKeyOnly(type: KeyType) throws {
        let key = try SigningKey.generate(type)
        let bytes = try Self.image(key: key)
        let good = try ImageReport(bytes: bytes, keys: [key.publicKey])
        #expect(good.isValid)
        guard case .success(let validated) = good.verdict else { return }
        #expect(validated.keyIndex == 0 && validated.securityCounter == 9)
        let text = good.text(path: "app.bin")
        #expect(text.contains("version 4.5.6+7"))
        #expect(text.contains("signature: valid, by key 1 (\(type.rawValue))"))
        #expect(text.contains("hash:      ok"))

        let other = try ImageReport(bytes: bytes, keys: [try SigningKey.generate(type).publicKey])
        #expect(!other.isValid)
        #expect(other.rejection == "no signature by a trusted key")
        #expect(other.text(path: "app.bin").contains("verdict:   REJECTED: no signature by a trusted key"))
    }

    @Test func withoutKeysOnlyTheHashIsChecked() throws {
        var bytes = try Self.image(key: try SigningKey.generate(.ed25519))
        let report = try ImageReport(bytes: bytes, keys: [])
        #expect(report.isValid)
        #expect(report.text(path: "x").contains("signature: not checked (no key given)"))
        bytes[0x200 + 100] ^= 0x01
        let tampered = try ImageReport(bytes: bytes, keys: [])
        #expect(tampered.rejection == "image hash mismatch")
        #expect(tampered.text(path: "x").contains("hash:      MISMATCH or missing"))
    }

    @Test func paddedImagesShowTheirTrailer() throws {
        let bytes = try Self.image(key: nil, counter: nil, pad: true)
        #expect(bytes.count == 0x20000)
        let report = try ImageReport(bytes: bytes, keys: [], slotSize: 0x20000)
        #expect(report.isValid)
        #expect(report.trailerMagic && report.imageOK == 0x01)
        #expect(report.text(path: "x").contains("trailer:   magic present (padded to the slot), image_ok set (confirmed)"))
        #expect(throws: SigningError.self) { try ImageReport(bytes: bytes, keys: [], slotSize: 0x1000) }
    }

    @Test func jsonCarriesHeaderTLVsAndVerdict() throws {
        let key = try SigningKey.generate(.ecdsaP256)
        let report = try ImageReport(bytes: try Self.image(key: key), keys: [key.publicKey])
        let object = try JSONSerialization.jsonObject(with: Data(try report.json(path: "a.bin").utf8)) as? [String: Any]
        #expect(object?["valid"] as? Bool == true)
        #expect((object?["header"] as? [String: Any])?["version"] as? String == "4.5.6+7")
        let names = (object?["tlvs"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(names == ["SEC_CNT", "SHA256", "KEYHASH", "ECDSA_SIG"])
        #expect(object?["security_counter"] as? Int == 9)
        #expect(object?["signature_key"] as? Int == 1)
    }

    @Test func notAnImage() throws {
        let report = try ImageReport(bytes: [UInt8](repeating: 0x00, count: 100), keys: [])
        #expect(!report.isValid)
        #expect(report.header == nil)
        #expect(report.text(path: "zeros.bin").contains("not an MCUboot image: bad image magic"))
    }
}
