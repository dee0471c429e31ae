/// An RSA public key for signature verification: a 2048- or 3072-bit modulus and exponent 65537,
/// with the Montgomery constants precomputed so that every verification is 18 modular
/// multiplications and nothing else.
///
/// Two encodings are accepted, both strict DER:
///
/// ```
/// PKCS#1 (RFC 8017 A.1.1), what MCUboot embeds and `imgtool getpub` prints:
///   RSAPublicKey ::= SEQUENCE {
///       modulus           INTEGER,  -- n: exactly 2048 or 3072 bits, odd
///       publicExponent    INTEGER } -- e: 65537
///
/// SubjectPublicKeyInfo (RFC 5280 4.1, RFC 3279 2.3.1), what PEM "PUBLIC KEY" files hold:
///   SEQUENCE {
///       SEQUENCE { OBJECT IDENTIFIER 1.2.840.113549.1.1.1, NULL }
///       BIT STRING { RSAPublicKey } }
/// ```
///
/// Only e = 65537 is supported: it is what imgtool (and every current key generator) produces,
/// and a fixed exponent makes the modular exponentiation a fixed sequence of 16 squarings and one
/// multiplication, with no exponent-dependent loop for an attacker to stretch. Sizes other than
/// 2048 and 3072 bits are refused because MCUboot defines signature TLVs only for those.
///
/// The key is a plain value (≈ 800 bytes, held inline, no heap).
public struct RSAPublicKey: Sendable, Equatable {
    /// The modulus length in bits: 2048 or 3072.
    public let modulusBits: Int

    /// The modulus length in bytes (k in RFC 8017): 256 or 384; also the only valid signature
    /// length, and the length MCUboot requires of the signature TLV.
    public var modulusByteCount: Int { modulusBits / 8 }

    /// The public exponent; always 65537 (see the type's documentation).
    public var publicExponent: Int { 65537 }

    /// 64-bit limbs of the modulus: 32 or 48.
    let limbCount: Int
    /// n, little-endian limbs; limbs from `limbCount` on are zero.
    let modulus: BigNum.Limbs
    /// R² mod n with R = 2^(64·limbCount): converts into Montgomery form.
    let rSquared: BigNum.Limbs
    /// −n⁻¹ mod 2^64.
    let negatedInverse: UInt64

    /// Parses a PKCS#1 `RSAPublicKey` (DER), the form MCUboot embeds in the bootloader.
    public init(pkcs1 der: UnsafeRawBufferPointer) throws(RSAError) {
        let modulusBytes: UnsafeRawBufferPointer
        let exponentBytes: UnsafeRawBufferPointer
        do throws(DERError) {
            var outer = DERReader(der)
            var key = try outer.readSequence()
            try outer.expectEnd()
            modulusBytes = try key.readUnsignedInteger()
            exponentBytes = try key.readUnsignedInteger()
            try key.expectEnd()
        } catch {
            throw .malformed(error)
        }
        try self.init(modulus: modulusBytes, exponent: exponentBytes)
    }

    /// Parses a SubjectPublicKeyInfo (DER) holding an rsaEncryption key, the form of PEM
    /// "PUBLIC KEY" files and of Wycheproof's `publicKeyDer`.
    public init(subjectPublicKeyInfo der: UnsafeRawBufferPointer) throws(RSAError) {
        let algorithm: UnsafeRawBufferPointer
        let parameters: UnsafeRawBufferPointer
        let keyBits: UnsafeRawBufferPointer
        do throws(DERError) {
            var outer = DERReader(der)
            var spki = try outer.readSequence()
            try outer.expectEnd()
            var algorithmIdentifier = try spki.readSequence()
            algorithm = try algorithmIdentifier.read(tag: 0x06)
            // Whatever follows the OID inside AlgorithmIdentifier, checked below as raw bytes.
            parameters = UnsafeRawBufferPointer(
                rebasing: algorithmIdentifier.input[algorithmIdentifier.position...])
            keyBits = try spki.readBitString()
            try spki.expectEnd()
        } catch {
            throw .malformed(error)
        }
        // RFC 3279 2.3.1: the parameters of rsaEncryption MUST be present and NULL (05 00).
        guard Self.isRSAEncryption(algorithm), parameters.count == 2, parameters[0] == 0x05,
            parameters[1] == 0x00
        else {
            throw .unsupportedAlgorithm
        }
        try self.init(pkcs1: keyBits)
    }

    /// 1.2.840.113549.1.1.1 (rsaEncryption), the contents of its DER OBJECT IDENTIFIER.
    private static func isRSAEncryption(_ oid: UnsafeRawBufferPointer) -> Bool {
        let expected: InlineArray<9, UInt8> = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]
        guard oid.count == 9 else { return false }
        for i in 0..<9 where oid[i] != expected[i] { return false }
        return true
    }

    /// Validates the magnitudes of n and e (as DERReader returns them: no sign byte, minimal) and
    /// precomputes the Montgomery constants.
    private init(modulus n: UnsafeRawBufferPointer, exponent e: UnsafeRawBufferPointer) throws(RSAError) {
        // Minimal DER: the first magnitude byte is non-zero, so the byte count fixes the size;
        // the top bit must be set too, or the modulus is a few bits short of 2048/3072.
        guard n.count == 256 || n.count == 384, n[0] & 0x80 != 0 else {
            throw .unsupportedModulusSize
        }
        guard n[n.count - 1] & 1 == 1 else { throw .evenModulus }
        guard e.count == 3, e[0] == 0x01, e[1] == 0x00, e[2] == 0x01 else {
            throw .unsupportedExponent
        }

        let count = n.count / 8
        var modulus = BigNum.Limbs(repeating: 0)
        var rSquared = BigNum.Limbs(repeating: 0)
        var scratch = BigNum.Limbs(repeating: 0)
        var n0inv: UInt64 = 0
        var nSpan = modulus.mutableSpan
        var rrSpan = rSquared.mutableSpan
        var tSpan = scratch.mutableSpan
        nSpan.withUnsafeMutableBufferPointer { nBuffer in
            let np = nBuffer.baseAddress!
            BigNum.load(np, count: count, bigEndian: n)
            n0inv = Montgomery.negatedInverse(np[0])
            rrSpan.withUnsafeMutableBufferPointer { rr in
                tSpan.withUnsafeMutableBufferPointer { t in
                    Montgomery.rSquared(
                        rr.baseAddress!, modulus: UnsafePointer(np), negatedInverse: n0inv,
                        count: count, scratch: t.baseAddress!)
                }
            }
        }
        self.modulusBits = 8 * n.count
        self.limbCount = count
        self.modulus = modulus
        self.rSquared = rSquared
        self.negatedInverse = n0inv
    }

    /// Same modulus (and so the same key: the exponent is always 65537).
    public static func == (lhs: RSAPublicKey, rhs: RSAPublicKey) -> Bool {
        guard lhs.limbCount == rhs.limbCount else { return false }
        for i in 0..<lhs.limbCount where lhs.modulus[i] != rhs.modulus[i] { return false }
        return true
    }
}
