import Foundation
import LifeboatHost
import MCUbootImage
import Testing

/// `lifeboat image sign` against imgtool: the same bytes for the deterministic cases, and images
/// imgtool verifies for every key type.
@Suite(.enabled(if: pythonTool("imgtool") != nil, "needs imgtool (run tools/setup-python, or tools/test)"))
struct ImageSignInteropTests {
    let imgtool = pythonTool("imgtool")!

    struct Case: CustomTestStringConvertible, Sendable {
        var key: KeyType?
        var arguments: [String]
        var testDescription: String { "\(key?.rawValue ?? "hash-only") \(arguments.joined(separator: " "))" }
    }

    static let deterministicCases: [Case] = [nil, KeyType.ed25519].flatMap { key in
        [[], ["--pad-header"], ["--pad-header", "--security-counter", "7"], ["--pad-header", "--pad", "--confirm"],
         ["--pad-header", "--pad"], ["--pad-header", "--align", "8", "--pad", "--confirm", "--max-sectors", "64"],
         ["--pad-header", "--overwrite-only", "--pad"], ["--pad-header", "--public-key-format", "full"]].map { Case(key: key, arguments: $0) }
    }

    /// Runs `lifeboat image sign` through the library with the same options the CLI parses.
    func lifeboatSign(_ input: [UInt8], key: String?, arguments: [String]) throws -> [UInt8] {
        var options = SigningOptions(version: ImageVersion(parsing: "1.2.3+4")!, slotSize: 0x76000)
        options.headerSize = 0x200
        var index = 0
        while index < arguments.count {
            switch arguments[index] {
            case "--pad-header": options.padHeader = true
            case "--pad": options.pad = true
            case "--confirm": options.confirm = true
            case "--overwrite-only": options.overwriteOnly = true
            case "--security-counter": index += 1; options.securityCounter = UInt32(arguments[index])
            case "--align": index += 1; options.align = Int(arguments[index])!
            case "--max-sectors": index += 1; options.maxSectors = Int(arguments[index])!
            case "--public-key-format": index += 1; options.fullPublicKey = arguments[index] == "full"
            default: Issue.record("unknown argument \(arguments[index])")
            }
            index += 1
        }
        return try ImageSigner(options: options, key: try key.map { try SigningKey.load(path: $0) }).sign(input)
    }

    @Test(arguments: deterministicCases)
    func sameBytesAsImgtool(_ c: Case) throws {
        let dir = try TemporaryDirectory()
        var app = applicationBytes(count: 9000, seed: 5)
        if !c.arguments.contains("--pad-header") { app = [UInt8](repeating: 0, count: 0x200) + app }
        try Data(app).write(to: URL(fileURLWithPath: dir.path("app.bin")))
        var keyArguments: [String] = []
        if let type = c.key {
            #expect(try run(imgtool, ["keygen", "-k", dir.path("k.pem"), "-t", type.rawValue]).status == 0)
            keyArguments = ["-k", dir.path("k.pem")]
        }
        let result = try run(imgtool, ["sign"] + keyArguments + ["--version", "1.2.3+4", "--header-size", "0x200", "--slot-size", "0x76000"]
                                 + c.arguments + [dir.path("app.bin"), dir.path("imgtool.bin")])
        #expect(result.status == 0, "\(result.output)")
        let expected = Array(try Data(contentsOf: URL(fileURLWithPath: dir.path("imgtool.bin"))))
        let ours = try lifeboatSign(app, key: c.key == nil ? nil : dir.path("k.pem"), arguments: c.arguments)
        #expect(ours.count == expected.count)
        #expect(ours == expected, "first difference at \(Array(zip(ours, expected)).firstIndex { $0.0 != $0.1 } ?? -1)")
    }

    /// ECDSA and RSA signatures are randomised: imgtool must accept ours, with our keys and its keys.
    @Test(arguments: KeyType.allCases)
    func imgtoolVerifiesOurImages(type: KeyType) throws {
        let dir = try TemporaryDirectory()
        let app = applicationBytes(count: 5000, seed: 9)
        for (label, makeKey) in [("lifeboat key", true), ("imgtool key", false)] {
            let keyPath = dir.path("\(label.hasPrefix("l") ? "ours" : "theirs").pem")
            if makeKey {
                try SigningKey.generate(type).pemRepresentation.write(toFile: keyPath, atomically: true, encoding: .utf8)
            } else {
                #expect(try run(imgtool, ["keygen", "-k", keyPath, "-t", type.rawValue]).status == 0)
            }
            let image = try lifeboatSign(app, key: keyPath, arguments: ["--pad-header", "--security-counter", "3"])
            try Data(image).write(to: URL(fileURLWithPath: dir.path("signed.bin")))
            let verify = try run(imgtool, ["verify", "-k", keyPath, dir.path("signed.bin")])
            #expect(verify.status == 0 && verify.output.contains("Image was correctly validated"), "\(label): \(verify.output)")
            let hash = try run(imgtool, ["getpubhash", "-k", keyPath, "-e", "lang-c"])
            let ours = try PublicKey.load(path: keyPath).keyHash.map { String(format: "0x%02x", $0) }
            #expect(ours.allSatisfy { hash.output.contains($0) })
        }
    }

    @Test func publicKeysMatchImgtoolGetpub() throws {
        let dir = try TemporaryDirectory()
        for type in KeyType.allCases {
            let keyPath = dir.path("\(type.rawValue).pem")
            #expect(try run(imgtool, ["keygen", "-k", keyPath, "-t", type.rawValue]).status == 0)
            let pem = try run(imgtool, ["getpub", "-k", keyPath, "-e", "pem"])
            #expect(try PublicKey.load(path: keyPath).pemRepresentation == pem.output, "\(type)")
        }
    }

    @Test func signingRefusesImagesThatDoNotFit() throws {
        var options = SigningOptions(version: ImageVersion(major: 1, minor: 0, revision: 0), slotSize: 0x4000)
        options.padHeader = true
        #expect {
            try ImageSigner(options: options).sign(applicationBytes(count: 0x4000))
        } throws: { error in
            "\(error)".contains("exceeds the slot size (16384)")
        }
        options.padHeader = false
        #expect {
            try ImageSigner(options: options).sign([1] + applicationBytes(count: 0x300))
        } throws: { error in
            "\(error)".contains("does not start with 512 zero bytes")
        }
    }

    @Test(arguments: [("1.2.3", "1.2.3"), ("1.2.3+9", "1.2.3.9"), ("7", "7.0.0"), ("0.1", "0.1.0")])
    func versionsParseAsImgtoolDoes(text: String, expected: String) {
        #expect(ImageVersion(parsing: text)?.text == expected)
    }

    @Test(arguments: ["", "1.2.3.4", "256.0.0", "1.2.x", "1.2.3+", "-1"])
    func badVersionsAreRefused(text: String) {
        #expect(ImageVersion(parsing: text) == nil)
    }
}
