import BootCrypto
import Foundation

/// Bytes from a hex string (test helper; traps on malformed hex, which is a broken fixture).
func p256Bytes(hex: String) -> [UInt8] {
    let chars = Array(hex.utf8)
    precondition(chars.count % 2 == 0, "odd-length hex")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: preconditionFailure("bad hex digit")
        }
    }
    return stride(from: 0, to: chars.count, by: 2).map { nibble(chars[$0]) << 4 | nibble(chars[$0 + 1]) }
}

func p256Hex(_ bytes: [UInt8]) -> String {
    bytes.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined()
}

func p256SHA256(_ message: [UInt8]) -> [UInt8] {
    let digest = message.withUnsafeBytes { SHA256.hash($0) }
    return digest.withUnsafeBytes { Array($0) }
}

func p256Key(uncompressed: [UInt8]) throws -> P256PublicKey {
    try uncompressed.withUnsafeBytes { raw in try P256PublicKey(uncompressed: raw) }
}

func p256Key(spki: [UInt8]) throws -> P256PublicKey {
    try spki.withUnsafeBytes { raw in try P256PublicKey(subjectPublicKeyInfo: raw) }
}

func ecdsaVerify(digest: [UInt8], signature: [UInt8], key: P256PublicKey) -> Bool {
    digest.withUnsafeBytes { d in
        signature.withUnsafeBytes { s in ECDSAP256.verify(digest: d, derSignature: s, publicKey: key) }
    }
}

func ecdsaElementLength(_ bytes: [UInt8]) -> Int? {
    bytes.withUnsafeBytes { ECDSAP256.derElementLength($0) }
}

/// The Wycheproof `ecdsa_secp256r1_sha256_test.json` file (schema ecdsa_verify_schema_v1).
struct P256WycheproofFile: Decodable {
    struct Group: Decodable {
        struct Key: Decodable {
            var curve: String
            var uncompressed: String
        }
        var publicKey: Key
        var publicKeyDer: String
        var sha: String
        var tests: [Test]
    }
    struct Test: Decodable {
        var tcId: Int
        var comment: String
        var msg: String
        var sig: String
        var result: String
        var flags: [String]
    }
    var numberOfTests: Int
    var testGroups: [Group]

    static func load() throws -> P256WycheproofFile {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/wycheproof/ecdsa_secp256r1_sha256_test.json")
        return try JSONDecoder().decode(P256WycheproofFile.self, from: Data(contentsOf: url))
    }
}

/// An imgtool 2.x signature (`imgtool.keys.ecdsa.ECDSA256P1`, `pad_sig = True`, which pads the DER
/// with zeros to 72 bytes) over `payload`, and the key as imgtool embeds it (SPKI DER).
enum P256ImgtoolVector {
    static let spki = p256Bytes(
        hex: "3059301306072a8648ce3d020106082a8648ce3d0301070342000439a325d2077f9027fd7f4789d4404d32a79e248039281a2b6e9982158397f082685473a22d1fe6601eb6fdf896af9c9fba75cfaddd581c59c2f930dcd2108ce8"
    )
    static let payload = Array("Lifeboat imgtool ECDSA P-256 vector: header+body+protected TLVs stand-in\n".utf8)
    static let paddedSignature = p256Bytes(
        hex: "30440220193e5b64897bca3cc1444f962bd201cc2bb0587a60a7a777e5c1e34b491090970220229dab8d0794602d682a9e60850b608e6fecd93453272e292f952ab93afce6670000"
    )
}
