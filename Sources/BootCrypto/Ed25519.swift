/// Ed25519 signature verification (RFC 8032 §5.1.7), the `ED25519_verify` MCUboot calls for a
/// signature TLV 0x24. MCUboot signs the image's 32-byte SHA-256 digest as the *message* (not the
/// image itself); `PURE` builds sign the image bytes. Either way the message is whatever bytes
/// the caller passes.
///
/// Strict and cofactorless, like BoringSSL, Go's crypto/ed25519 and swift-crypto:
/// - the signature is exactly 64 bytes, `R ‖ S`;
/// - S must be below L (non-malleable: RFC 8032 §8.4);
/// - k = SHA-512(R ‖ A ‖ M) mod L;
/// - R' = [S]B − [k]A is computed and *encoded*, and the signature verifies only when that
///   encoding equals the 32 bytes of R. A non-canonical R (y ≥ p, or x = 0 with the sign bit
///   set) can never equal a canonical encoding, so it is refused without a separate check.
///
/// No heap: the hash state and four points live on the stack. Built for size on the shared
/// 256-bit Montgomery arithmetic (``Curve25519``): no tables, one complete addition formula.
/// Variable time: every input is public.
public enum Ed25519 {
    /// Bytes in a signature `R ‖ S`.
    public static let signatureByteCount = 64

    /// True when `signature` is a valid Ed25519 signature of `message` under `publicKey`.
    /// Any malformed input (wrong length, S ≥ L, R not a canonical point encoding) gives false.
    public static func verify(
        signature: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer, publicKey: Ed25519PublicKey
    ) -> Bool {
        guard signature.count == signatureByteCount else { return false }
        guard let s = Curve25519.canonicalScalar(signature, offset: 32) else { return false }
        // Cheap early exit; the final comparison would refuse it too.
        guard Curve25519.isCanonicalEncoding(signature, offset: 0) else { return false }

        var sha = SHA512()
        sha.update(UnsafeRawBufferPointer(rebasing: signature[0..<32]))
        publicKey.withUnsafeBytes { sha.update($0) }
        sha.update(message)
        let k = Curve25519.reduce(sha.finalize())

        let rPrime = Curve25519.Point.basepointTimes(s, plus: k, times: publicKey.negatedPoint)
        let encoded = rPrime.encoded
        return encoded.span.withUnsafeBytes { computed in
            ConstantTime.equal(computed, UnsafeRawBufferPointer(rebasing: signature[0..<32]))
        }
    }

    /// True when `signature` is a valid Ed25519 signature of `message` under `publicKey`.
    public static func verify(
        signature: Span<UInt8>, message: Span<UInt8>, publicKey: Ed25519PublicKey
    ) -> Bool {
        signature.withUnsafeBytes { sig in
            message.withUnsafeBytes { msg in verify(signature: sig, message: msg, publicKey: publicKey) }
        }
    }
}
