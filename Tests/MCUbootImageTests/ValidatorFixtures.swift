import BootCrypto
import Foundation
import MCUbootImage
import Synchronization
import Testing

// Shared fixtures of the Validator* suites: imgtool-made keys and signed images (cached per test
// process), a Python `cryptography` signer for hand-built images, and small helpers.

/// The reason every Validator* suite that needs imgtool gives when it is skipped.
let validatorImgtoolMissing: Comment =
    "imgtool not found: run tools/setup-python (it makes .build/venv), or set IMGTOOL=/path/to/imgtool"

/// The Python next to imgtool (same venv), when it can import `cryptography`.
let validatorPythonPath: String? = {
    guard let imgtoolPath else { return nil }
    let python = URL(fileURLWithPath: imgtoolPath).deletingLastPathComponent().appendingPathComponent("python").path
    guard FileManager.default.isExecutableFile(atPath: python) else { return nil }
    guard let (status, _) = try? runTool(python, ["-c", "import cryptography"]), status == 0 else { return nil }
    return python
}()

/// Runs a tool to completion; (exit status, stdout+stderr).
func runTool(_ tool: String, _ arguments: [String], in dir: URL? = nil) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    if let dir { process.currentDirectoryURL = dir }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

struct ValidatorToolError: Error, CustomStringConvertible {
    var description: String
}

/// Runs imgtool; throws with its output when it fails.
@discardableResult
func imgtool(_ arguments: [String], in dir: URL) throws -> String {
    guard let imgtoolPath else { throw ValidatorToolError(description: "imgtool not found") }
    let (status, text) = try runTool(imgtoolPath, arguments, in: dir)
    guard status == 0 else {
        throw ValidatorToolError(description: "imgtool \(arguments.joined(separator: " ")) failed (\(status)): \(text)")
    }
    return text
}

func makeScratchDirectory(_ tag: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-validator-\(tag)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// imgtool's key types, with the matching ``TrustedKey/Kind``.
enum KeyType: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case rsa2048 = "rsa-2048"
    case rsa3072 = "rsa-3072"
    case ecdsaP256 = "ecdsa-p256"
    case ed25519 = "ed25519"

    var kind: TrustedKey.Kind {
        switch self {
        case .rsa2048: .rsa2048
        case .rsa3072: .rsa3072
        case .ecdsaP256: .ecdsaP256
        case .ed25519: .ed25519
        }
    }

    /// The signature TLV imgtool writes for this key.
    var signatureTLV: UInt16 {
        switch self {
        case .rsa2048: 0x20
        case .rsa3072: 0x23
        case .ecdsaP256: 0x22
        case .ed25519: 0x24
        }
    }

    /// Another key type (for "trusted key of another type").
    var other: KeyType {
        switch self {
        case .rsa2048: .ed25519
        case .rsa3072: .ecdsaP256
        case .ecdsaP256: .rsa2048
        case .ed25519: .rsa3072
        }
    }

    var testDescription: String { rawValue }
}

/// A key pair made by `imgtool keygen`: its PEM file and the public bytes MCUboot embeds.
struct KeyFixture: Sendable {
    var type: KeyType
    var pem: URL
    /// `imgtool getpub -e raw`: SPKI DER (ECDSA, Ed25519) or PKCS#1 RSAPublicKey DER (RSA).
    var publicBytes: [UInt8]
    var trusted: TrustedKey { TrustedKey(kind: type.kind, bytes: publicBytes) }
    /// SHA-256 of the public bytes: the KEYHASH TLV value.
    var keyHash: [UInt8] { publicBytes.withUnsafeBytes { Array(SHA256.hash($0).withUnsafeBytes { Array($0) }) } }
}

extension SHA256.Digest {
    var byteArray: [UInt8] { withUnsafeBytes { Array($0) } }
}

/// Two keys of every type (A = index 0 signs, B = index 1 is the "same type, other key"),
/// generated once per test process in a directory that lives as long as the process.
let validatorKeys: Result<[KeyType: [KeyFixture]], ValidatorToolError> = {
    do {
        // Removed when the test process exits (the path is rebuilt from the pid in the handler,
        // which cannot capture).
        let dir = validatorKeysDirectory(pid: getpid())
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: validatorKeysDirectory(pid: getpid())) }
        var keys: [KeyType: [KeyFixture]] = [:]
        for type in KeyType.allCases {
            for name in ["A", "B"] {
                let pem = dir.appendingPathComponent("\(type.rawValue)-\(name).pem")
                try imgtool(["keygen", "-k", pem.path, "-t", type.rawValue], in: dir)
                let raw = dir.appendingPathComponent("\(type.rawValue)-\(name).pub")
                try imgtool(["getpub", "-k", pem.path, "-e", "raw", "-o", raw.path], in: dir)
                let bytes = [UInt8](try Data(contentsOf: raw))
                keys[type, default: []].append(KeyFixture(type: type, pem: pem, publicBytes: bytes))
            }
        }
        return .success(keys)
    } catch let error as ValidatorToolError {
        return .failure(error)
    } catch {
        return .failure(ValidatorToolError(description: "\(error)"))
    }
}()

func validatorKeysDirectory(pid: Int32) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-validator-keys-\(pid)")
}

func keyFixture(_ type: KeyType, _ index: Int = 0) throws -> KeyFixture {
    try #require(try validatorKeys.get()[type]?[index])
}

/// How to sign with imgtool.
struct SignOptions: Hashable, Sendable, CustomTestStringConvertible {
    var key: KeyType? = .ed25519  // nil: hash only
    var keyIndex = 0
    var padHeader = true  // false: the payload starts with 0x200 zero bytes instead
    var securityCounter: UInt32? = nil
    var padConfirm = false  // --pad --confirm (the output is the whole slot)
    var publicKeyFull = false  // --public-key-format full (PUBKEY TLV instead of KEYHASH)
    var padSig = false  // --pad-sig (ECDSA signature zero-padded to 72 bytes)
    var version = "1.2.3+9"
    var payloadSize = 5000

    static let slotSize = 0x20000
    static let headerSize = 0x200

    var testDescription: String {
        var parts = [key?.rawValue ?? "hash-only"]
        if keyIndex != 0 { parts.append("key#\(keyIndex)") }
        parts.append(padHeader ? "--pad-header" : "zero header")
        if let securityCounter { parts.append("--security-counter \(securityCounter)") }
        if padConfirm { parts.append("--pad --confirm") }
        if publicKeyFull { parts.append("--public-key-format full") }
        if padSig { parts.append("--pad-sig") }
        return parts.joined(separator: " ")
    }
}

/// An imgtool output and where its parts are (from the header, checked against imgtool's own
/// layout by the fixture tests).
struct SignedImage: Sendable {
    var options: SignOptions
    var bytes: [UInt8]
    var payload: [UInt8]
    var headerSize: Int { Int(bytes[8]) | Int(bytes[9]) << 8 }
    var protectedSize: Int { Int(bytes[10]) | Int(bytes[11]) << 8 }
    var imageSize: Int { Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24 }
    var protectedStart: Int { headerSize + imageSize }
    var unprotectedStart: Int { protectedStart + protectedSize }
    var unprotectedTotal: Int { Int(bytes[unprotectedStart + 2]) | Int(bytes[unprotectedStart + 3]) << 8 }
    /// One past the last TLV byte (before any `--pad` trailer).
    var end: Int { unprotectedStart + unprotectedTotal }

    /// The unprotected entries: (type, offset of the 4-byte entry header, data length).
    var unprotectedEntries: [(type: UInt16, offset: Int, length: Int)] {
        var out: [(UInt16, Int, Int)] = []
        var at = unprotectedStart + 4
        while at < end {
            let type = UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
            let length = Int(bytes[at + 2]) | Int(bytes[at + 3]) << 8
            out.append((type, at, length))
            at += 4 + length
        }
        return out
    }

    func entry(_ type: UInt16) -> (type: UInt16, offset: Int, length: Int)? {
        unprotectedEntries.first { $0.type == type }
    }
}

/// Signed images, made once per options per test process.
let signedImageCache = Mutex<[SignOptions: SignedImage]>([:])

func signedImage(_ options: SignOptions) throws -> SignedImage {
    if let cached = signedImageCache.withLock({ $0[options] }) { return cached }
    let dir = try makeScratchDirectory("sign")
    defer { try? FileManager.default.removeItem(at: dir) }
    var rng = SystemRandomNumberGenerator()
    let payload = (0..<options.payloadSize).map { _ in UInt8.random(in: 0...255, using: &rng) }
    let input = options.padHeader ? payload : [UInt8](repeating: 0, count: SignOptions.headerSize) + payload
    try Data(input).write(to: dir.appendingPathComponent("app.bin"))
    var args = [
        "sign", "--header-size", "0x200", "--slot-size", "0x20000", "--align", "4", "--version", options.version,
    ]
    if options.padHeader { args.append("--pad-header") }
    if let key = options.key { args += ["--key", try keyFixture(key, options.keyIndex).pem.path] }
    if let counter = options.securityCounter { args += ["--security-counter", String(counter)] }
    if options.padConfirm { args += ["--pad", "--confirm"] }
    if options.publicKeyFull { args += ["--public-key-format", "full"] }
    if options.padSig { args.append("--pad-sig") }
    try imgtool(args + ["app.bin", "signed.bin"], in: dir)
    let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent("signed.bin")))
    let image = SignedImage(options: options, bytes: bytes, payload: payload)
    signedImageCache.withLock { $0[options] = image }
    return image
}

/// Signs a 32-byte image digest the way imgtool signs images (Ed25519 over the digest, ECDSA
/// P-256 DER over the prehashed digest, RSA-PSS with MGF1-SHA256 and a 32-byte salt), with Python
/// `cryptography`; for hand-built images.
func signDigest(_ digest: SHA256.Digest, with key: KeyFixture) throws -> [UInt8] {
    guard let python = validatorPythonPath else { throw ValidatorToolError(description: "python with cryptography not found") }
    let script = """
        import sys
        from cryptography.hazmat.primitives import serialization, hashes
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, utils
        key = serialization.load_pem_private_key(open(sys.argv[1], 'rb').read(), None)
        digest = bytes.fromhex(sys.argv[2])
        if isinstance(key, ed25519.Ed25519PrivateKey):
            sig = key.sign(digest)
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            sig = key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        else:
            sig = key.sign(digest, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), utils.Prehashed(hashes.SHA256()))
        print(sig.hex())
        """
    let (status, text) = try runTool(python, ["-c", script, key.pem.path, hex(digest)])
    guard status == 0 else { throw ValidatorToolError(description: "python signer failed: \(text)") }
    let hexText = text.trimmingCharacters(in: .whitespacesAndNewlines)
    var out: [UInt8] = []
    var index = hexText.startIndex
    while index < hexText.endIndex {
        let next = hexText.index(index, offsetBy: 2)
        out.append(try #require(UInt8(hexText[index..<next], radix: 16)))
        index = next
    }
    return out
}

/// Validates `image` placed at offset 0 of a `slotSize`-byte slot (default: imgtool's 0x20000).
func validate(
    _ image: [UInt8], slotSize: Int = SignOptions.slotSize, erasedValue: UInt8 = 0xFF, policy: ImagePolicy
) -> Result<ValidatedImage, ImageRejection> {
    let flash = MemoryFlash(holding: image, size: slotSize, erasedValue: erasedValue)
    do {
        return .success(try ImageValidator(policy: policy).validate(flash))
    } catch {
        return .failure(error)
    }
}

func policy(trusting keys: KeyFixture...) -> ImagePolicy {
    ImagePolicy(trustedKeys: keys.map(\.trusted))
}

/// Flips bit `bit` of byte `offset` in a copy.
func flipped(_ bytes: [UInt8], _ offset: Int, bit: Int) -> [UInt8] {
    var copy = bytes
    copy[offset] ^= UInt8(1 << bit)
    return copy
}

func u16(_ bytes: [UInt8], _ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
