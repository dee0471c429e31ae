import BootCrypto
import MCUbootImage
import Crypto
import Foundation
import _CryptoExtras

/// The signature algorithms MCUboot images use, named as imgtool names them.
public enum KeyType: String, CaseIterable, Sendable {
    case ecdsaP256 = "ecdsa-p256"
    case ed25519 = "ed25519"
    case rsa2048 = "rsa-2048"
    case rsa3072 = "rsa-3072"
}

/// A key file that could not be used, with the reason.
public struct KeyFileError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A private signing key, loaded from the PEM files imgtool writes (`imgtool keygen`: PKCS#8
/// `BEGIN PRIVATE KEY` for every type; SEC1 `BEGIN EC PRIVATE KEY` and PKCS#1 `BEGIN RSA PRIVATE
/// KEY` are read too).
public enum SigningKey {
    case ecdsaP256(P256.Signing.PrivateKey)
    case ed25519(Curve25519.Signing.PrivateKey)
    case rsa(_RSA.Signing.PrivateKey, bits: Int)

    public var type: KeyType {
        switch self {
        case .ecdsaP256: .ecdsaP256
        case .ed25519: .ed25519
        case .rsa(_, let bits): bits == 3072 ? .rsa3072 : .rsa2048
        }
    }

    /// The public half, in the forms MCUboot and imgtool use.
    public var publicKey: PublicKey {
        switch self {
        case .ecdsaP256(let k): PublicKey(type: .ecdsaP256, mcubootBytes: Array(k.publicKey.derRepresentation))
        case .ed25519(let k): PublicKey(type: .ed25519, mcubootBytes: PublicKey.ed25519SPKIPrefix + Array(k.publicKey.rawRepresentation))
        case .rsa(let k, _): PublicKey(type: type, mcubootBytes: Array(k.publicKey.pkcs1DERRepresentation))
        }
    }

    /// A new random key of `type`.
    public static func generate(_ type: KeyType) throws -> SigningKey {
        switch type {
        case .ecdsaP256: return .ecdsaP256(P256.Signing.PrivateKey())
        case .ed25519: return .ed25519(Curve25519.Signing.PrivateKey())
        case .rsa2048: return .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048), bits: 2048)
        case .rsa3072: return .rsa(try _RSA.Signing.PrivateKey(keySize: .init(bitCount: 3072)), bits: 3072)
        }
    }

    /// PKCS#8 PEM (`BEGIN PRIVATE KEY`), the form `imgtool keygen` writes and reads.
    public var pemRepresentation: String {
        switch self {
        case .ecdsaP256(let k): return k.pemRepresentation
        case .ed25519(let k):
            // PKCS#8 OneAsymmetricKey for Ed25519 (RFC 8410 §7): version 0, id-Ed25519, CurvePrivateKey.
            let der: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
                + Array(k.rawRepresentation)
            return PEM.encode(der, label: "PRIVATE KEY")
        case .rsa(let k, _):
            // swift-crypto writes PKCS#1; wrap it in PKCS#8 as imgtool does.
            let pkcs1 = PEM.decode(k.pemRepresentation)?.der ?? []
            let algorithm: [UInt8] = [0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00]
            let body = DER.integer0 + algorithm + DER.tlv(0x04, pkcs1)
            return PEM.encode(DER.tlv(0x30, body), label: "PRIVATE KEY")
        }
    }

    /// Loads a private key PEM file.
    public static func load(path: String) throws -> SigningKey {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw KeyFileError("\(path): cannot read the key file")
        }
        return try parse(pem: text, path: path)
    }

    public static func parse(pem text: String, path: String = "key") throws -> SigningKey {
        guard let pem = PEM.decode(text) else { throw KeyFileError("\(path): not a PEM file") }
        switch pem.label {
        case "PRIVATE KEY":
            switch try PKCS8.algorithm(of: pem.der, path: path) {
            case .ecdsaP256:
                return .ecdsaP256(try P256.Signing.PrivateKey(derRepresentation: pem.der))
            case .ed25519:
                guard pem.der.count == 48, pem.der[14] == 0x04, pem.der[15] == 0x20 else {
                    throw KeyFileError("\(path): malformed Ed25519 PKCS#8 key")
                }
                return .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: pem.der[16..<48]))
            case .rsa2048, .rsa3072:
                let key = try _RSA.Signing.PrivateKey(derRepresentation: pem.der)
                return try rsa(key, path: path)
            }
        case "EC PRIVATE KEY":
            return .ecdsaP256(try P256.Signing.PrivateKey(pemRepresentation: text))
        case "RSA PRIVATE KEY":
            return try rsa(try _RSA.Signing.PrivateKey(pemRepresentation: text), path: path)
        case "PUBLIC KEY", "RSA PUBLIC KEY":
            throw KeyFileError("\(path): this is a public key; signing needs the private key")
        default:
            throw KeyFileError("\(path): unsupported PEM block '\(pem.label)'")
        }
    }

    static func rsa(_ key: _RSA.Signing.PrivateKey, path: String) throws -> SigningKey {
        let bits = key.keySizeInBits
        guard bits == 2048 || bits == 3072 else {
            throw KeyFileError("\(path): RSA-\(bits) is not supported by MCUboot images (use 2048 or 3072)")
        }
        return .rsa(key, bits: bits)
    }

    /// The signature TLV of an image hashed to `digest` over `payload` (header + body + protected
    /// TLVs), as imgtool makes it: Ed25519 signs the digest; ECDSA and RSA-PSS sign the payload
    /// (hashing it with SHA-256, which gives the same digest).
    public func signature(payload: [UInt8], digest: [UInt8]) throws -> [UInt8] {
        switch self {
        case .ecdsaP256(let k): return Array(try k.signature(for: payload).derRepresentation)
        case .ed25519(let k): return Array(try k.signature(for: digest))
        case .rsa(let k, _): return Array(try k.signature(for: payload, padding: .PSS).rawRepresentation)
        }
    }
}

/// A public key as MCUboot stores it in the bootloader (`bootutil_keys`) and as imgtool hashes it
/// for the KEYHASH TLV: SubjectPublicKeyInfo DER for ECDSA and Ed25519, PKCS#1 `RSAPublicKey` DER
/// for RSA.
public struct PublicKey: Equatable, Sendable {
    public var type: KeyType
    public var mcubootBytes: [UInt8]

    /// SPKI header of an Ed25519 key (RFC 8410): SEQUENCE { SEQUENCE { id-Ed25519 }, BIT STRING }.
    static let ed25519SPKIPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// SHA-256 of the key bytes: the KEYHASH TLV (imgtool `getpubhash`).
    public var keyHash: [UInt8] { Array(Crypto.SHA256.hash(data: mcubootBytes)) }

    /// `BEGIN PUBLIC KEY` (SubjectPublicKeyInfo), what `imgtool getpub -e pem` writes.
    public var pemRepresentation: String {
        switch type {
        case .ecdsaP256, .ed25519: return PEM.encode(mcubootBytes, label: "PUBLIC KEY")
        case .rsa2048, .rsa3072:
            let algorithm: [UInt8] = [0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00]
            return PEM.encode(DER.tlv(0x30, algorithm + DER.tlv(0x03, [0] + mcubootBytes)), label: "PUBLIC KEY")
        }
    }

    /// Loads a public key (`BEGIN PUBLIC KEY`, `BEGIN RSA PUBLIC KEY`) or the public half of a
    /// private key file.
    public static func load(path: String) throws -> PublicKey {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw KeyFileError("\(path): cannot read the key file")
        }
        return try parse(pem: text, path: path)
    }

    public static func parse(pem text: String, path: String = "key") throws -> PublicKey {
        guard let pem = PEM.decode(text) else { throw KeyFileError("\(path): not a PEM file") }
        switch pem.label {
        case "PUBLIC KEY":
            let type = try PKCS8.algorithm(ofSPKI: pem.der, path: path)
            switch type {
            case .ecdsaP256:
                _ = try P256.Signing.PublicKey(derRepresentation: pem.der)
                return PublicKey(type: type, mcubootBytes: pem.der)
            case .ed25519:
                guard pem.der.count == 44, Array(pem.der[0..<12]) == ed25519SPKIPrefix else {
                    throw KeyFileError("\(path): malformed Ed25519 public key")
                }
                return PublicKey(type: type, mcubootBytes: pem.der)
            case .rsa2048, .rsa3072:
                return try rsa(try _RSA.Signing.PublicKey(derRepresentation: pem.der), path: path)
            }
        case "RSA PUBLIC KEY":
            return try rsa(try _RSA.Signing.PublicKey(pemRepresentation: text), path: path)
        default:
            return try SigningKey.parse(pem: text, path: path).publicKey
        }
    }
}

extension PublicKey {
    static func rsa(_ key: _RSA.Signing.PublicKey, path: String) throws -> PublicKey {
        let bits = key.keySizeInBits
        guard bits == 2048 || bits == 3072 else {
            throw KeyFileError("\(path): RSA-\(bits) is not supported by MCUboot images (use 2048 or 3072)")
        }
        return PublicKey(type: bits == 3072 ? .rsa3072 : .rsa2048, mcubootBytes: Array(key.pkcs1DERRepresentation))
    }
}

/// PEM armour (RFC 7468).
enum PEM {
    static func decode(_ text: String) -> (label: String, der: [UInt8])? {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN ") && $0.hasSuffix("-----") }) else { return nil }
        let label = String(lines[begin].dropFirst(11).dropLast(5))
        guard let end = lines[(begin + 1)...].firstIndex(of: "-----END \(label)-----") else { return nil }
        let body = lines[(begin + 1)..<end].joined()
        guard let data = Data(base64Encoded: body) else { return nil }
        return (label, Array(data))
    }

    static func encode(_ der: [UInt8], label: String) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var index = base64.startIndex
        while index < base64.endIndex {
            let next = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<next]))
            index = next
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Just enough DER writing for key files.
enum DER {
    static let integer0: [UInt8] = [0x02, 0x01, 0x00]

    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [tag]
        let n = content.count
        if n < 0x80 {
            out.append(UInt8(n))
        } else if n < 0x100 {
            out += [0x81, UInt8(n)]
        } else if n < 0x10000 {
            out += [0x82, UInt8(n >> 8), UInt8(n & 0xFF)]
        } else {
            out += [0x83, UInt8(n >> 16), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
        }
        return out + content
    }
}

/// The algorithm of a PKCS#8 private key or an SPKI public key, read with BootCrypto's DERReader.
enum PKCS8 {
    static let ecPublicKey: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]
    static let prime256v1: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
    static let ed25519: [UInt8] = [0x2B, 0x65, 0x70]
    static let rsaEncryption: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]

    /// PrivateKeyInfo: SEQUENCE { INTEGER version, AlgorithmIdentifier, OCTET STRING, … }.
    static func algorithm(of der: [UInt8], path: String) throws -> KeyType {
        try der.withUnsafeBytes { raw in
            var identifier: DERReader
            do throws(DERError) {
                var outer = DERReader(raw)
                var info = try outer.readSequence()
                _ = try info.read(tag: 0x02)
                identifier = try info.readSequence()
            } catch {
                throw KeyFileError("\(path): not a PKCS#8 private key (\(error))")
            }
            return try classify(&identifier, path: path)
        }
    }

    /// SubjectPublicKeyInfo: SEQUENCE { AlgorithmIdentifier, BIT STRING }.
    static func algorithm(ofSPKI der: [UInt8], path: String) throws -> KeyType {
        try der.withUnsafeBytes { raw in
            var identifier: DERReader
            do throws(DERError) {
                var outer = DERReader(raw)
                var info = try outer.readSequence()
                identifier = try info.readSequence()
            } catch {
                throw KeyFileError("\(path): not a SubjectPublicKeyInfo public key (\(error))")
            }
            return try classify(&identifier, path: path)
        }
    }

    static func classify(_ identifier: inout DERReader, path: String) throws -> KeyType {
        let oid: [UInt8]
        do { oid = Array(try identifier.read(tag: 0x06)) } catch { throw KeyFileError("\(path): no algorithm identifier") }
        switch oid {
        case ecPublicKey:
            let curve = (try? identifier.read(tag: 0x06)).map { Array($0) }
            guard curve == prime256v1 else { throw KeyFileError("\(path): only the P-256 curve is supported for ECDSA") }
            return .ecdsaP256
        case ed25519: return .ed25519
        case rsaEncryption: return .rsa2048  // refined from the modulus by the caller
        default: throw KeyFileError("\(path): unsupported key algorithm")
        }
    }
}

extension PublicKey {
    /// The key as a Swift constant for the firmware's trusted-key table.
    public func swiftSource(name: String) -> String {
        let kind: String = switch type {
        case .ecdsaP256: ".ecdsaP256"
        case .ed25519: ".ed25519"
        case .rsa2048: ".rsa2048"
        case .rsa3072: ".rsa3072"
        }
        var lines = ["// \(type.rawValue) public key, generated by `lifeboat keys public --format swift`.",
                     "// KEYHASH (SHA-256): \(keyHash.map { String(format: "%02x", $0) }.joined())",
                     "let \(name) = TrustedKey(kind: \(kind), bytes: ["]
        for start in stride(from: 0, to: mcubootBytes.count, by: 12) {
            let row = mcubootBytes[start..<min(start + 12, mcubootBytes.count)]
            lines.append("    " + row.map { String(format: "0x%02x,", $0) }.joined(separator: " "))
        }
        lines.append("])")
        return lines.joined(separator: "\n")
    }
}

extension PublicKey {
    /// The key as the portable validator takes it.
    public var trustedKey: TrustedKey {
        let kind: TrustedKey.Kind = switch type {
        case .ecdsaP256: .ecdsaP256
        case .ed25519: .ed25519
        case .rsa2048: .rsa2048
        case .rsa3072: .rsa3072
        }
        return TrustedKey(kind: kind, bytes: mcubootBytes)
    }
}
