import BootCrypto
import FlashKit

/// An image that passed validation.
public struct ValidatedImage: Equatable, Sendable {
    public var image: SlotImage
    /// Index in the policy's trusted keys of the key whose signature verified (nil: hash only).
    public var keyIndex: Int?
    /// The protected SEC_CNT value, when present.
    public var securityCounter: UInt32?

    public var version: ImageVersion { image.version }
}

/// Validates the image in a slot as MCUboot's `bootutil_img_validate` does, and a little stricter.
///
/// 1. Header, TLV areas and the SHA-256 over header + body + protected TLVs (``ImageInspector``).
/// 2. TLVs in order, every length hostile: a KEYHASH (or PUBKEY) selects a trusted key (an unknown
///    key is skipped, not fatal); the signature TLV that follows is verified with that key over
///    the image digest, and the selection is cleared. The verdict is that of the last signature
///    made by a trusted key (MCUboot `bootutil_find_key.c`, `image_validate.c`).
/// 3. SEC_CNT must be protected and 4 bytes; the policy's version and counter floors apply.
public struct ImageValidator: Sendable {
    public var policy: ImagePolicy

    public init(policy: ImagePolicy) { self.policy = policy }

    public func validate<Flash: NORFlash>(_ slot: Flash) throws(ImageRejection) -> ValidatedImage {
        let image = try ImageInspector(sha256: policy.sha256).inspect(slot)
        var selectedKey: Int?
        var lastVerdict: Bool?
        var verifiedKey: Int?
        var securityCounter: UInt32?
        var scratch = InlineArray<512, UInt8>(repeating: 0)

        var entries = image.tlvs.entries(in: slot)
        while let entry = try entries.next() {
            switch entry.type {
            case .securityCounter:
                guard entry.isProtected else { throw .securityCounterUnprotected }
                guard entry.length == 4, securityCounter == nil else { throw .securityCounterMalformed }
                try read(slot, entry, into: &scratch)
                securityCounter = UInt32(scratch[0]) | UInt32(scratch[1]) << 8 | UInt32(scratch[2]) << 16 | UInt32(scratch[3]) << 24
            case .keyHash:
                guard entry.length <= 32 else { throw .keyHashWrongSize }
                try read(slot, entry, into: &scratch)
                selectedKey = scratch.span.withUnsafeBytes { matchKeyHash(UnsafeRawBufferPointer(rebasing: $0[0..<entry.length])) }
            case .publicKey:
                selectedKey = nil
                guard entry.length <= 512 else { continue }
                try read(slot, entry, into: &scratch)
                selectedKey = scratch.span.withUnsafeBytes { matchPublicKey(UnsafeRawBufferPointer(rebasing: $0[0..<entry.length])) }
            case .ecdsaSignature, .ed25519, .rsa2048PSS, .rsa3072PSS:
                defer { selectedKey = nil }
                guard let index = selectedKey, policy.trustedKeys[index].signatureTLV == entry.type else { continue }
                guard entry.length <= Self.maxSignatureLength(entry.type) else { throw .signatureWrongSize }
                try read(slot, entry, into: &scratch)
                let verdict = try scratch.span.withUnsafeBytes { (raw) throws(ImageRejection) -> Bool in
                    try verify(key: policy.trustedKeys[index], signature: UnsafeRawBufferPointer(rebasing: raw[0..<entry.length]), digest: image.hash)
                }
                lastVerdict = verdict
                verifiedKey = verdict ? index : nil
            default:
                continue
            }
        }

        if policy.requireSignature {
            guard let lastVerdict else { throw .signatureMissing }
            guard lastVerdict else { throw .signatureInvalid }
        }
        if let minimum = policy.minimumVersion, image.version.isLower(than: minimum, includingBuild: false) {
            throw .downgrade
        }
        if let minimum = policy.minimumSecurityCounter {
            guard let securityCounter else { throw .securityCounterMissing }
            guard securityCounter >= minimum else { throw .securityCounterTooLow }
        }
        return ValidatedImage(image: image, keyIndex: policy.requireSignature ? verifiedKey : nil, securityCounter: securityCounter)
    }

    static func maxSignatureLength(_ type: TLVType) -> Int {
        switch type {
        case .rsa2048PSS: 256
        case .rsa3072PSS: 384
        case .ed25519: 64
        default: 128  // ECDSA: MCUboot's signature buffer
        }
    }

    private func read<Flash: NORFlash>(_ slot: Flash, _ entry: TLVEntry, into scratch: inout InlineArray<512, UInt8>) throws(ImageRejection) {
        var span = scratch.mutableSpan
        do throws(FlashError) {
            try slot.read(at: entry.offset, into: &span, count: entry.length)
        } catch {
            throw .flash(error)
        }
    }

    // The TLV's bytes are lent as a pointer into the one scratch buffer: passed by value, each
    // helper took its own 512-byte copy on the stack.

    /// The first trusted key whose SHA-256 starts with the KEYHASH's bytes.
    private func matchKeyHash(_ value: UnsafeRawBufferPointer) -> Int? {
        let count = value.count
        guard count > 0 else { return nil }
        for (index, key) in policy.trustedKeys.enumerated() {
            let digest = key.bytes.withUnsafeBytes { SHA256.hash($0) }
            var equal = true
            for i in 0..<count where digest[i] != value[i] { equal = false }
            if equal { return index }
        }
        return nil
    }

    /// The trusted key whose bytes equal the PUBKEY TLV.
    private func matchPublicKey(_ value: UnsafeRawBufferPointer) -> Int? {
        let count = value.count
        for (index, key) in policy.trustedKeys.enumerated() where key.bytes.count == count {
            var equal = true
            for i in 0..<count where key.bytes[i] != value[i] { equal = false }
            if equal { return index }
        }
        return nil
    }

    /// Verifies one signature TLV; throws only for a signature that is malformed for its type.
    private func verify(key: TrustedKey, signature sig: UnsafeRawBufferPointer, digest: SHA256.Digest) throws(ImageRejection) -> Bool {
        let result = digest.withUnsafeBytes { d in
            key.bytes.withUnsafeBytes { keyBytes in
                check(kind: key.kind, keyBytes: keyBytes, signature: sig, digest: d)
            }
        }
        return try result.get()
    }

    func check(
        kind: TrustedKey.Kind, keyBytes: UnsafeRawBufferPointer, signature: UnsafeRawBufferPointer,
        digest: UnsafeRawBufferPointer
    ) -> Result<Bool, ImageRejection> {
        // A key of an algorithm this build leaves out never verifies.
        guard let verifier = policy.signatureAlgorithms.verifier(for: kind) else { return .success(false) }
        return verifier(keyBytes, signature, digest)
    }
}

/// The signature algorithms a build verifies, chosen where the build is configured (the firmware
/// board's source, the host's default): an algorithm that is not chosen is not referenced, so its
/// code and tables are not linked (an nRF52840 boot stage with P-256 only leaves Ed25519 and RSA
/// out). Keys of an algorithm left out never verify.
public struct SignatureAlgorithms: Sendable {
    /// Checks one signature TLV's bytes with a key's bytes over the image digest: `.success(true)`
    /// verified, `.success(false)` not (or an unusable key), `.failure` a malformed signature.
    public typealias Verifier = @Sendable (
        _ key: UnsafeRawBufferPointer, _ signature: UnsafeRawBufferPointer, _ digest: UnsafeRawBufferPointer
    ) -> Result<Bool, ImageRejection>

    public var ecdsaP256: Verifier?
    public var ed25519: Verifier?
    /// RSA-PSS, 2048 and 3072 bits.
    public var rsaPSS: Verifier?

    public init(ecdsaP256: Verifier? = nil, ed25519: Verifier? = nil, rsaPSS: Verifier? = nil) {
        self.ecdsaP256 = ecdsaP256
        self.ed25519 = ed25519
        self.rsaPSS = rsaPSS
    }

    /// Every algorithm (the host and the simulator).
    public static var all: SignatureAlgorithms { SignatureAlgorithms(ecdsaP256: verifyECDSAP256, ed25519: verifyEd25519, rsaPSS: verifyRSAPSS) }
    /// None: images are checked by their SHA-256 TLV only.
    public static var hashOnly: SignatureAlgorithms { SignatureAlgorithms() }
    public static var onlyECDSAP256: SignatureAlgorithms { SignatureAlgorithms(ecdsaP256: verifyECDSAP256) }
    public static var onlyEd25519: SignatureAlgorithms { SignatureAlgorithms(ed25519: verifyEd25519) }
    public static var onlyRSAPSS: SignatureAlgorithms { SignatureAlgorithms(rsaPSS: verifyRSAPSS) }

    func verifier(for kind: TrustedKey.Kind) -> Verifier? {
        switch kind {
        case .ecdsaP256: ecdsaP256
        case .ed25519: ed25519
        case .rsa2048, .rsa3072: rsaPSS
        }
    }

    @Sendable public static func verifyEd25519(
        key keyBytes: UnsafeRawBufferPointer, signature: UnsafeRawBufferPointer, digest: UnsafeRawBufferPointer
    ) -> Result<Bool, ImageRejection> {
        guard signature.count == 64 else { return .failure(.signatureWrongSize) }
        guard let key = try? Ed25519PublicKey(subjectPublicKeyInfo: keyBytes) else { return .success(false) }
        return .success(Ed25519.verify(signature: signature, message: digest, publicKey: key))
    }

    @Sendable public static func verifyECDSAP256(
        key keyBytes: UnsafeRawBufferPointer, signature: UnsafeRawBufferPointer, digest: UnsafeRawBufferPointer
    ) -> Result<Bool, ImageRejection> {
        // imgtool may zero-pad the DER signature to a fixed size; accept only zero padding.
        guard let length = ECDSAP256.derElementLength(signature), length <= signature.count else {
            return .failure(.signatureWrongSize)
        }
        for i in length..<signature.count where signature[i] != 0 { return .failure(.signatureWrongSize) }
        guard let key = try? P256PublicKey(subjectPublicKeyInfo: keyBytes) else { return .success(false) }
        return .success(
            ECDSAP256.verify(digest: digest, derSignature: UnsafeRawBufferPointer(rebasing: signature[0..<length]), publicKey: key))
    }

    @Sendable public static func verifyRSAPSS(
        key keyBytes: UnsafeRawBufferPointer, signature: UnsafeRawBufferPointer, digest: UnsafeRawBufferPointer
    ) -> Result<Bool, ImageRejection> {
        guard let key = try? RSAPublicKey(pkcs1: keyBytes) else { return .success(false) }
        guard signature.count == key.modulusByteCount else { return .failure(.signatureWrongSize) }
        return .success(RSAPSS.verify(digest: digest, signature: signature, publicKey: key))
    }
}
