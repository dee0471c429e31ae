/// ECDSA signature verification on P-256 (FIPS 186-5 §6.4.2) over a 32-byte digest, the way
/// MCUboot checks an `ECDSA_SIG` TLV (0x22) against the image SHA-256.
///
/// The signature is the DER structure imgtool writes, parsed strictly:
///
/// ```
/// 30 LL                 SEQUENCE, nothing after it
///    02 LL r…           INTEGER r, minimal, non-negative, 1 ≤ r ≤ n−1 (≤ 32 significant bytes)
///    02 LL s…           INTEGER s, same rules
///                       nothing else inside the SEQUENCE
/// ```
///
/// imgtool may pad the signature TLV with zero bytes to a fixed length, and MCUboot's TinyCrypt
/// decoder ignores whatever follows the SEQUENCE. This verifier does not: trailing bytes make the
/// signature invalid. A caller that wants to accept imgtool's padding strips it deliberately with
/// ``derElementLength(_:)`` (and may check that what it strips is zeros).
///
/// Every failure, whatever its cause, is `false`: nothing traps on hostile input, and no
/// allocation happens.
public enum ECDSAP256 {
    /// Size of the digest this verifier takes (SHA-256).
    public static let digestByteCount = 32

    /// True when `derSignature` is a valid ECDSA P-256 signature of `digest` (exactly 32 bytes,
    /// taken as a big-endian integer; no truncation is needed for a 256-bit order) under
    /// `publicKey`.
    public static func verify(
        digest: UnsafeRawBufferPointer, derSignature: UnsafeRawBufferPointer, publicKey: P256PublicKey
    ) -> Bool {
        guard digest.count == digestByteCount,
            let e = Number256(bigEndian: digest),
            let (r, s) = parseSignature(derSignature)
        else { return false }
        // e mod n: 2^256 < 2n, so one subtraction suffices.
        let (eReduced, borrow) = e.subtractingReportingBorrow(Modulus256.p256Order.m)
        return verify(e: borrow ? e : eReduced, r: r, s: s, q: publicKey.point)
    }

    /// The total length (header and contents) of the DER element at the start of `bytes`, or nil
    /// when it is malformed (multi-byte tag, indefinite or non-minimal length) or runs past the
    /// end. For a zero-padded imgtool signature TLV this is the length of the signature proper.
    public static func derElementLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let tag = bytes.first, tag & 0x1F != 0x1F else { return nil }
        var reader = DERReader(bytes)
        do throws(DERError) {
            _ = try reader.read(tag: tag)
        } catch {
            return nil
        }
        return reader.position
    }

    /// (r, s) from the strict DER encoding, each already checked to lie in [1, n−1].
    static func parseSignature(_ der: UnsafeRawBufferPointer) -> (Number256, Number256)? {
        let rBytes: UnsafeRawBufferPointer
        let sBytes: UnsafeRawBufferPointer
        do throws(DERError) {
            var outer = DERReader(der)
            var sequence = try outer.readSequence()
            try outer.expectEnd()
            rBytes = try sequence.readUnsignedInteger()
            sBytes = try sequence.readUnsignedInteger()
            try sequence.expectEnd()
        } catch {
            return nil
        }
        guard let r = Number256(bigEndian: rBytes), let s = Number256(bigEndian: sBytes),
            isValidScalar(r), isValidScalar(s)
        else { return nil }
        return (r, s)
    }

    /// True when 1 ≤ `value` ≤ n − 1 (the range ECDSA requires of r and s).
    static func isValidScalar(_ value: Number256) -> Bool {
        !value.isZero && value.isLess(than: Modulus256.p256Order.m)
    }

    /// The verification equation for range-checked r, s and e < n: with w = s⁻¹ mod n,
    /// R = (e·w)·G + (r·w)·Q must not be infinity and x(R) mod n must equal r.
    static func verify(e: Number256, r: Number256, s: Number256, q: P256AffinePoint) -> Bool {
        let order = Modulus256.p256Order
        let w = order.inverse(order.montgomery(s))  // s⁻¹·2^256
        // Montgomery products with one operand in Montgomery form give plain results.
        let u1 = order.multiply(e, w)
        let u2 = order.multiply(r, w)
        let point = P256Multiplication.generatorTimes(u1, plus: u2, times: q)
        guard !point.isInfinity else { return false }

        // x(R) = X/Z² is in [0, p); x(R) mod n == r means x(R) == r, or x(R) == r + n when that is
        // still below p. Compare X with candidate·Z² to skip the field inversion.
        let zz = point.z.squared()
        guard let rField = P256FieldElement(canonical: r) else { return false }
        if rField * zz == point.x { return true }
        let (rPlusN, carry) = r.addingReportingCarry(order.m)
        guard !carry, let rPlusNField = P256FieldElement(canonical: rPlusN) else { return false }
        return rPlusNField * zz == point.x
    }
}
