import BootCrypto
import Foundation
import Testing

/// A known-good signature (Wycheproof tcId 1: empty message) to mutate.
private enum Base {
    static let key = p256Bytes(
        hex: "0404aaec73635726f213fb8a9e64da3b8632e41495a944d0045b522eba7240fad587d9315798aaa3a5ba01775787ced05eaaf7b4e09fc81d6d1aa546e8365d525d"
    )
    static let spki = p256Bytes(
        hex: "3059301306072a8648ce3d020106082a8648ce3d0301070342000404aaec73635726f213fb8a9e64da3b8632e41495a944d0045b522eba7240fad587d9315798aaa3a5ba01775787ced05eaaf7b4e09fc81d6d1aa546e8365d525d"
    )
    static let signature = p256Bytes(
        hex: "3045022100b292a619339f6e567a305c951c0dcbcc42d16e47f219f9e98e76e09d8770b34a02200177e60492c5a8242f76f07bfe3661bde59ec2a17ce5bd2dab2abebdf89a62e2"
    )
    static let digest = p256SHA256([])
    // Offsets of r's and s's magnitudes inside `signature`.
    static let rRange = 5..<37
    static let sRange = 39..<71
}

/// n, the group order, and p, the field prime, big-endian.
private let orderHex = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"
private let primeHex = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"

/// DER `SEQUENCE { INTEGER r, INTEGER s }` from two big-endian magnitudes (minimal encoding).
private func derSignature(r: [UInt8], s: [UInt8]) -> [UInt8] {
    func integer(_ magnitude: [UInt8]) -> [UInt8] {
        var m = Array(magnitude.drop { $0 == 0 })
        if m.isEmpty || m[0] & 0x80 != 0 { m.insert(0, at: 0) }
        return [0x02, UInt8(m.count)] + m
    }
    let body = integer(r) + integer(s)
    return [0x30, UInt8(body.count)] + body
}

@Suite struct ECDSAP256Tests {
    let key: P256PublicKey

    init() throws { key = try p256Key(uncompressed: Base.key) }

    @Test func baseVectorVerifies() throws {
        #expect(ecdsaVerify(digest: Base.digest, signature: Base.signature, key: key))
        #expect(try p256Key(spki: Base.spki) == key)
    }

    @Test(arguments: 0..<256)
    func flippedBitInR(_ bit: Int) {
        var signature = Base.signature
        signature[Base.rRange.lowerBound + bit / 8] ^= UInt8(1 << (bit % 8))
        #expect(!ecdsaVerify(digest: Base.digest, signature: signature, key: key))
    }

    @Test(arguments: 0..<256)
    func flippedBitInS(_ bit: Int) {
        var signature = Base.signature
        signature[Base.sRange.lowerBound + bit / 8] ^= UInt8(1 << (bit % 8))
        #expect(!ecdsaVerify(digest: Base.digest, signature: signature, key: key))
    }

    @Test(arguments: 0..<256)
    func flippedBitInDigest(_ bit: Int) {
        var digest = Base.digest
        digest[bit / 8] ^= UInt8(1 << (bit % 8))
        #expect(!ecdsaVerify(digest: digest, signature: Base.signature, key: key))
    }

    /// A flipped coordinate bit almost always leaves the curve (refused at parse time); when the
    /// result is a valid key, it must not verify the signature.
    @Test(arguments: 8..<520)
    func flippedBitInKey(_ bit: Int) {
        var raw = Base.key
        raw[bit / 8] ^= UInt8(1 << (bit % 8))
        if let other = try? p256Key(uncompressed: raw) {
            #expect(!ecdsaVerify(digest: Base.digest, signature: Base.signature, key: other))
        }
    }

    @Test func flippedBitsAnywhereInTheSignature() {
        for bit in 0..<(Base.signature.count * 8) {
            var signature = Base.signature
            signature[bit / 8] ^= UInt8(1 << (bit % 8))
            #expect(!ecdsaVerify(digest: Base.digest, signature: signature, key: key), "bit \(bit)")
        }
    }

    @Test func trailingBytesAreRefused() {
        for tail in [[0x00], [0x00, 0x00], [0x01], [0x30, 0x00]] as [[UInt8]] {
            #expect(!ecdsaVerify(digest: Base.digest, signature: Base.signature + tail, key: key))
        }
        // Trailing bytes inside the SEQUENCE (its length grown to cover them).
        var inside = Base.signature + [0x00, 0x00]
        inside[1] += 2
        #expect(!ecdsaVerify(digest: Base.digest, signature: inside, key: key))
        // A third INTEGER inside the SEQUENCE.
        var third = Base.signature + [0x02, 0x01, 0x01]
        third[1] += 3
        #expect(!ecdsaVerify(digest: Base.digest, signature: third, key: key))
    }

    @Test func truncatedSignaturesAreRefused() {
        for length in 0..<Base.signature.count {
            #expect(!ecdsaVerify(digest: Base.digest, signature: Array(Base.signature[..<length]), key: key))
        }
    }

    @Test func wrongDigestLengthIsRefused() {
        #expect(!ecdsaVerify(digest: Array(Base.digest.dropLast()), signature: Base.signature, key: key))
        #expect(!ecdsaVerify(digest: Base.digest + [0], signature: Base.signature, key: key))
        #expect(!ecdsaVerify(digest: [0] + Base.digest, signature: Base.signature, key: key))
    }

    @Test func outOfRangeScalarsAreRefused() {
        let r = Array(Base.signature[Base.rRange])
        let s = Array(Base.signature[Base.sRange])
        #expect(ecdsaVerify(digest: Base.digest, signature: derSignature(r: r, s: s), key: key))
        let zero = [UInt8](repeating: 0, count: 32)
        let n = p256Bytes(hex: orderHex)
        let p = p256Bytes(hex: primeHex)
        let ones = [UInt8](repeating: 0xff, count: 32)
        for bad in [zero, n, p, ones] {
            #expect(!ecdsaVerify(digest: Base.digest, signature: derSignature(r: bad, s: s), key: key))
            #expect(!ecdsaVerify(digest: Base.digest, signature: derSignature(r: r, s: bad), key: key))
        }
        // 33 significant bytes.
        let big = [0x01] + r
        #expect(!ecdsaVerify(digest: Base.digest, signature: derSignature(r: big, s: s), key: key))
        #expect(!ecdsaVerify(digest: Base.digest, signature: derSignature(r: r, s: big), key: key))
        // r + n and s + n are the same residues but not in range.
        func plusN(_ x: [UInt8]) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: 33)
            var carry = 0
            for i in (0..<32).reversed() {
                let sum = Int(x[i]) + Int(n[i]) + carry
                out[i + 1] = UInt8(sum & 0xff)
                carry = sum >> 8
            }
            out[0] = UInt8(carry)
            return out
        }
        #expect(!ecdsaVerify(digest: Base.digest, signature: derSignature(r: plusN(r), s: s), key: key))
        #expect(!ecdsaVerify(digest: Base.digest, signature: derSignature(r: r, s: plusN(s)), key: key))
    }

    @Test func derElementLength() {
        #expect(ecdsaElementLength(Base.signature) == Base.signature.count)
        #expect(ecdsaElementLength(Base.signature + [0, 0, 0]) == Base.signature.count)
        #expect(ecdsaElementLength([]) == nil)
        #expect(ecdsaElementLength([0x30]) == nil)
        #expect(ecdsaElementLength([0x30, 0x05, 0x00]) == nil)  // runs past the end
        #expect(ecdsaElementLength([0x30, 0x80, 0x00, 0x00]) == nil)  // indefinite length
        #expect(ecdsaElementLength([0x30, 0x81, 0x05, 1, 2, 3, 4, 5]) == nil)  // non-minimal length
        #expect(ecdsaElementLength([0x1f, 0x01, 0x00]) == nil)  // multi-byte tag
        #expect(ecdsaElementLength([0x30, 0x00, 0xff]) == 2)
        #expect(ecdsaElementLength(Array(Base.signature.dropLast())) == nil)
    }

    /// imgtool signs the payload (header + body + protected TLVs) with ECDSA-SHA256, so the
    /// signature verifies against SHA-256(payload), the image hash MCUboot passes in.
    @Test func imgtoolPaddedSignature() throws {
        let key = try p256Key(spki: P256ImgtoolVector.spki)
        let digest = p256SHA256(P256ImgtoolVector.payload)
        let padded = P256ImgtoolVector.paddedSignature
        #expect(padded.count == 72)
        // As stored: the zero padding is trailing data, refused.
        #expect(!ecdsaVerify(digest: digest, signature: padded, key: key))
        // The caller strips it deliberately.
        let length = try #require(ecdsaElementLength(padded))
        #expect(length == 70)
        #expect(padded[length...].allSatisfy { $0 == 0 })
        #expect(ecdsaVerify(digest: digest, signature: Array(padded[..<length]), key: key))
        var otherDigest = digest
        otherDigest[31] ^= 1
        #expect(!ecdsaVerify(digest: otherDigest, signature: Array(padded[..<length]), key: key))
    }
}

/// Python `cryptography` (the library imgtool signs with), from the venv `tools/setup-python`
/// makes (`.build/venv`) or `$LIFEBOAT_PYTHON`; nil when absent.
let p256CryptographyPython: String? = {
    let fm = FileManager.default
    var candidates: [String] = []
    if let env = ProcessInfo.processInfo.environment["LIFEBOAT_PYTHON"] { candidates.append(env) }
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    candidates.append(packageRoot.appendingPathComponent(".build/venv/bin/python").path)
    return candidates.first { fm.isExecutableFile(atPath: $0) }
}()

@Suite(.enabled(if: p256CryptographyPython != nil, "no venv python (run tools/setup-python or set LIFEBOAT_PYTHON)"))
struct ECDSAP256CryptographyInteropTests {
    /// Fresh keys and messages signed by `cryptography` right now: each must verify, with the
    /// key given as SPKI (imgtool's format) and as a raw point.
    @Test func freshSignaturesVerify() throws {
        let script = """
            import os
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import ec
            for i in range(40):
                k = ec.generate_private_key(ec.SECP256R1())
                msg = os.urandom(i * 7)
                sig = k.sign(msg, ec.ECDSA(hashes.SHA256()))
                pub = k.public_key()
                spki = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
                raw = pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
                print(msg.hex(), sig.hex(), spki.hex(), raw.hex())
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: p256CryptographyPython!)
        process.arguments = ["-c", script]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 40)
        for line in lines {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            try #require(fields.count == 4)
            let message = p256Bytes(hex: fields[0])
            let signature = p256Bytes(hex: fields[1])
            let key = try p256Key(spki: p256Bytes(hex: fields[2]))
            #expect(try p256Key(uncompressed: p256Bytes(hex: fields[3])) == key)
            #expect(ecdsaVerify(digest: p256SHA256(message), signature: signature, key: key), "\(line)")
            #expect(!ecdsaVerify(digest: p256SHA256(message + [0]), signature: signature, key: key))
        }
    }
}
