/// A public key the bootloader trusts: MCUboot's `bootutil_keys[]` entry.
///
/// `bytes` are the key as imgtool hashes it for the KEYHASH TLV and as `imgtool getpub` prints it:
/// SubjectPublicKeyInfo DER for ECDSA P-256 and Ed25519, PKCS#1 `RSAPublicKey` DER for RSA.
/// Firmware gets them as generated constants (`lifeboat keys public --format swift`); the host
/// loads PEM files.
public struct TrustedKey: Sendable {
    public enum Kind: Sendable, Equatable {
        case ecdsaP256, ed25519, rsa2048, rsa3072
    }

    public let kind: Kind
    public let bytes: [UInt8]

    public init(kind: Kind, bytes: [UInt8]) {
        self.kind = kind
        self.bytes = bytes
    }

    /// The signature TLV this key's images carry.
    public var signatureTLV: TLVType {
        switch kind {
        case .ecdsaP256: .ecdsaSignature
        case .ed25519: .ed25519
        case .rsa2048: .rsa2048PSS
        case .rsa3072: .rsa3072PSS
        }
    }
}
