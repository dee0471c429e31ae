/// Why a P-256 public key was refused.
public enum P256Error: Error, Equatable, Sendable {
    /// Malformed DER, a wrong length, trailing bytes, or a point that is not `0x04 ‖ X ‖ Y`.
    case badEncoding
    /// The SubjectPublicKeyInfo algorithm is not id-ecPublicKey (1.2.840.10045.2.1).
    case unsupportedAlgorithm
    /// id-ecPublicKey with a curve other than prime256v1 (1.2.840.10045.3.1.7), or with explicit
    /// or absent curve parameters.
    case unsupportedCurve
    /// A compressed (0x02/0x03) or hybrid (0x06/0x07) point; MCUboot and imgtool use uncompressed.
    case unsupportedPointFormat
    /// A coordinate is not below the field prime p (a non-canonical encoding).
    case coordinateOutOfRange
    /// (X, Y) does not satisfy y² = x³ − 3x + b.
    case notOnCurve
}
