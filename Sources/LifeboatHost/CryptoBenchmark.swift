import BootCrypto
import Crypto
import Foundation
import _CryptoExtras

/// `lifeboat bench crypto`: Lifeboat's portable verifiers against swift-crypto (BoringSSL) in the
/// same process, same inputs. Rates are measured over at least `seconds` of work each.
public struct CryptoBenchmark {
    public var seconds: Double

    public init(seconds: Double = 0.5) { self.seconds = seconds }

    public struct Row: Sendable {
        public var name: String
        public var unit: String
        public var lifeboat: Double
        public var swiftCrypto: Double
        /// False for the host-only SHA-256 engine: the project's goals are about portable code.
        public var portable = true
        public var ratio: Double { swiftCrypto > 0 ? lifeboat / swiftCrypto : 0 }
    }

    /// Calls `body` in batches until `seconds` have passed; returns operations per second.
    func rate(_ batch: Int = 16, _ body: () -> Bool) -> Double {
        var count = 0
        var ok = true
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            for _ in 0..<batch { ok = body() && ok }
            count += batch
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < seconds
        precondition(ok, "a benchmark verification failed: the benchmark inputs are wrong")
        return Double(count) / elapsed
    }

    public func run(progress: (String) -> Void = { _ in }) throws -> [Row] {
        var rows: [Row] = []
        // SHA-256 over 1 MiB buffers.
        let buffer = [UInt8](repeating: 0xA5, count: 1 << 20)
        progress("SHA-256")
        // Each digest feeds an opaque sink so the optimizer cannot drop the work.
        let ours = rate(1) { blackHole(buffer.withUnsafeBytes { BootCrypto.SHA256.hash($0) }[0]) }
        let theirs = rate(1) { blackHole(Array(Crypto.SHA256.hash(data: buffer))[0]) }
        rows.append(Row(name: "SHA-256", unit: "MB/s", lifeboat: ours * 1.048576, swiftCrypto: theirs * 1.048576))
        // The host engine the power-cut sweep hashes with, fed as the validator feeds it (256-byte reads).
        let engine = HostSHA256.engine
        if !engine.isPortable {
            let host = rate(1) {
                var sha = BootCrypto.SHA256(engine: engine)
                buffer.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        sha.update(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 256)]))
                        offset += 256
                    }
                }
                return blackHole(sha.finalize()[0])
            }
            rows.append(Row(name: "SHA-256 host engine", unit: "MB/s", lifeboat: host * 1.048576, swiftCrypto: theirs * 1.048576, portable: false))
        }

        let message = Array("Lifeboat benchmark image".utf8)
        let digest = Array(Crypto.SHA256.hash(data: message))

        progress("ECDSA P-256")
        let ecKey = P256.Signing.PrivateKey()
        let ecSignature = try ecKey.signature(for: message)
        let ecDER = Array(ecSignature.derRepresentation)
        let ecPublic = try Array(ecKey.publicKey.derRepresentation).withUnsafeBytes { try P256PublicKey(subjectPublicKeyInfo: $0) }
        let ecDigest = Crypto.SHA256.hash(data: message)
        rows.append(Row(
            name: "ECDSA P-256 verify", unit: "verify/s",
            lifeboat: rate { digest.withUnsafeBytes { d in ecDER.withUnsafeBytes { s in ECDSAP256.verify(digest: d, derSignature: s, publicKey: ecPublic) } } },
            swiftCrypto: rate { ecKey.publicKey.isValidSignature(ecSignature, for: ecDigest) }))

        progress("Ed25519")
        let edKey = Curve25519.Signing.PrivateKey()
        let edSignature = Array(try edKey.signature(for: digest))
        let edPublic = try Array(edKey.publicKey.rawRepresentation).withUnsafeBytes { try Ed25519PublicKey(rawRepresentation: $0) }
        rows.append(Row(
            name: "Ed25519 verify", unit: "verify/s",
            lifeboat: rate { edSignature.withUnsafeBytes { s in digest.withUnsafeBytes { m in Ed25519.verify(signature: s, message: m, publicKey: edPublic) } } },
            swiftCrypto: rate { edKey.publicKey.isValidSignature(edSignature, for: digest) }))

        for bits in [2048, 3072] {
            progress("RSA-\(bits)")
            let rsaKey = try _RSA.Signing.PrivateKey(keySize: .init(bitCount: bits))
            let rsaSignature = try rsaKey.signature(for: message, padding: .PSS)
            let raw = Array(rsaSignature.rawRepresentation)
            let rsaPublic = try Array(rsaKey.publicKey.pkcs1DERRepresentation).withUnsafeBytes { try RSAPublicKey(pkcs1: $0) }
            rows.append(Row(
                name: "RSA-\(bits) PSS verify", unit: "verify/s",
                lifeboat: rate { raw.withUnsafeBytes { s in digest.withUnsafeBytes { d in RSAPSS.verify(digest: d, signature: s, publicKey: rsaPublic) } } },
                swiftCrypto: rate { rsaKey.publicKey.isValidSignature(rsaSignature, for: ecDigest, padding: .PSS) }))
        }
        return rows
    }
}

/// Consumes a value where the optimizer cannot see; always true.
@inline(never)
func blackHole(_ value: UInt8) -> Bool {
    benchmarkSink &+= value
    return true
}

nonisolated(unsafe) var benchmarkSink: UInt8 = 0
