/// Why an RSA public key was refused.
///
/// Signature verification itself reports only true or false (``RSAPSS/verify(digest:signature:publicKey:saltLength:)``):
/// a bootloader has nothing to do with the reason an image's signature is bad, and a verdict with
/// one success value is harder to glitch into "accepted".
public enum RSAError: Error, Equatable, Sendable {
    /// The DER structure is broken (truncated, non-minimal, wrong tag, trailing bytes, …).
    case malformed(DERError)
    /// A SubjectPublicKeyInfo whose algorithm is not rsaEncryption (1.2.840.113549.1.1.1) with
    /// NULL parameters.
    case unsupportedAlgorithm
    /// The modulus is not exactly 2048 or 3072 bits long (MCUboot's TLVs 0x20 and 0x23).
    case unsupportedModulusSize
    /// The modulus is even, so it is no RSA modulus (and Montgomery arithmetic needs it odd).
    case evenModulus
    /// The public exponent is not 65537, the only one MCUboot's imgtool generates.
    case unsupportedExponent
}
