import BootCrypto
import Foundation
import MCUbootImage
import Testing

/// imgtool (from PyPI), found through `$IMGTOOL`, the venv `tools/setup-python` makes
/// (`.build/venv`), or `$PATH`; nil when absent.
let imgtoolPath: String? = {
    let fm = FileManager.default
    var candidates: [String] = []
    if let env = ProcessInfo.processInfo.environment["IMGTOOL"] { candidates.append(env) }
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    candidates.append(packageRoot.appendingPathComponent(".build/venv/bin/imgtool").path)
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        candidates.append("\(dir)/imgtool")
    }
    return candidates.first { fm.isExecutableFile(atPath: $0) }
}()

struct ImgtoolCase: CustomTestStringConvertible, Sendable {
    var keyType: String?  // nil: hash only
    var securityCounter: Bool  // adds a protected TLV area
    var testDescription: String { "\(keyType ?? "hash-only")\(securityCounter ? " + protected SEC_CNT" : "")" }
}

@Suite(.enabled(if: imgtoolPath != nil, "imgtool not found (set IMGTOOL or install it: pip install imgtool)"))
struct ImgtoolInteropTests {
    static let cases: [ImgtoolCase] = [nil, "ed25519", "ecdsa-p256"].flatMap { key in
        [false, true].map { ImgtoolCase(keyType: key, securityCounter: $0) }
    }

    @discardableResult
    func run(_ arguments: [String], in dir: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: imgtoolPath!)
        process.arguments = arguments
        process.currentDirectoryURL = dir
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        try #require(process.terminationStatus == 0, "imgtool \(arguments.joined(separator: " ")) failed: \(text)")
        return text
    }

    @Test(arguments: cases)
    func signedImageInspectsWithImgtoolsHash(_ c: ImgtoolCase) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-imgtool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        var rng = SystemRandomNumberGenerator()
        let payload = (0..<20480).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try Data(payload).write(to: dir.appendingPathComponent("app.bin"))
        var sign = [
            "sign", "--header-size", "0x200", "--slot-size", "0x76000", "--align", "4",
            "--version", c.securityCounter ? "1.2.3+4" : "1.2.3", "--pad-header",
        ]
        if let key = c.keyType {
            try run(["keygen", "-k", "key.pem", "-t", key], in: dir)
            sign += ["--key", "key.pem"]
        }
        if c.securityCounter { sign += ["--security-counter", "7"] }
        try run(sign + ["app.bin", "signed.bin"], in: dir)
        try run(["dumpinfo", "-f", "json", "-o", "dump.json", "signed.bin"], in: dir)

        let signed = [UInt8](try Data(contentsOf: dir.appendingPathComponent("signed.bin")))
        let dump = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("dump.json"))) as? [String: Any])
        let tlvArea = try #require(dump["tlv_area"] as? [String: Any])
        let tlvs = try #require(tlvArea["tlvs"] as? [[String: Any]])
        let hashTLV = try #require(tlvs.first { ($0["type"] as? Int) == 0x10 })
        let imgtoolHash = try #require(hashTLV["data"] as? String)

        let flash = MemoryFlash(holding: signed, size: 0x76000)
        let slot = try #require(inspectImage(in: flash).image, "rejected: \(String(describing: inspectImage(in: flash).rejection))")
        #expect(hex(slot.hash) == imgtoolHash)
        #expect(slot.hash == Array(signed[0..<slot.tlvs.unprotectedArea.lowerBound]).withUnsafeBytes { SHA256.hash($0) })
        #expect(slot.header.headerSize == 0x200)
        #expect(slot.header.imageSize == 20480)
        #expect(Array(signed[0x200..<(0x200 + 20480)]) == payload)
        #expect(slot.occupiedSize == signed.count)
        let expectedVersion = ImageVersion(major: 1, minor: 2, revision: 3, build: c.securityCounter ? 4 : 0)
        #expect(slot.version == expectedVersion)
        #expect(slot.tlvs.protectedArea.isEmpty == !c.securityCounter)
        if c.securityCounter {
            let prot = try #require(tlvArea["tlv_hdr_prot"] as? [String: Any])
            #expect(prot["tlv_tot"] as? Int == Int(slot.header.protectedTLVSize))
        }

        // A flipped body bit in imgtool's output is caught.
        flash.flipBit(at: 0x200 + 1234, bit: 3)
        #expect(inspectImage(in: flash).rejection == .hashMismatch)
    }
}

func hex(_ digest: SHA256.Digest) -> String {
    digest.withUnsafeBytes { raw in raw.map { String(format: "%02x", $0) }.joined() }
}
