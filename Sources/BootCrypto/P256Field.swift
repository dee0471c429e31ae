/// An element of the P-256 base field GF(p), p = 2^256 − 2^224 + 2^192 + 2^96 − 1, kept in
/// Montgomery form (x·2^256 mod p), always fully reduced, so equality and zero tests are plain
/// limb comparisons.
///
/// p ≡ −1 (mod 2^64), so the Montgomery constant −p⁻¹ mod 2^64 is 1 and each reduction round's
/// quotient word is just the low accumulator word.
struct P256FieldElement: Equatable, Sendable {
    /// The Montgomery representation x·2^256 mod p.
    var montgomery: P256Limbs

    @inline(__always)
    init(montgomery: P256Limbs) { self.montgomery = montgomery }

    /// The field prime p.
    @inline(__always)
    static var prime: P256Limbs {
        P256Limbs(0xffff_ffff_ffff_ffff, 0x0000_0000_ffff_ffff, 0x0000_0000_0000_0000, 0xffff_ffff_0000_0001)
    }

    /// 2^512 mod p: multiplying by it (Montgomery) converts into Montgomery form.
    @inline(__always)
    static var rSquared: P256Limbs {
        P256Limbs(0x0000_0000_0000_0003, 0xffff_fffb_ffff_ffff, 0xffff_ffff_ffff_fffe, 0x0000_0004_ffff_fffd)
    }

    @inline(__always)
    static var zero: P256FieldElement { P256FieldElement(montgomery: .zero) }

    /// 1 in Montgomery form (2^256 mod p).
    @inline(__always)
    static var one: P256FieldElement {
        P256FieldElement(
            montgomery: P256Limbs(
                0x0000_0000_0000_0001, 0xffff_ffff_0000_0000, 0xffff_ffff_ffff_ffff, 0x0000_0000_ffff_fffe))
    }

    /// The curve coefficient b in Montgomery form.
    @inline(__always)
    static var b: P256FieldElement {
        P256FieldElement(
            montgomery: P256Limbs(
                0xd89c_df62_29c4_bddf, 0xacf0_05cd_7884_3090, 0xe5a2_20ab_f721_2ed6, 0xdc30_061d_0487_4834))
    }

    /// The element with canonical value `value`, or nil unless `value` < p (a coordinate at or above
    /// p is a non-canonical encoding and is refused, never reduced).
    init?(canonical value: P256Limbs) {
        guard value.isLess(than: Self.prime) else { return nil }
        self.montgomery = P256Limbs.montgomeryMultiply(value, Self.rSquared, modulus: Self.prime, m0inv: 1)
    }

    /// The canonical value in [0, p).
    var canonical: P256Limbs {
        P256Limbs.montgomeryMultiply(montgomery, P256Limbs(1, 0, 0, 0), modulus: Self.prime, m0inv: 1)
    }

    var isZero: Bool { montgomery.isZero }

    @inline(__always)
    static func * (a: P256FieldElement, b: P256FieldElement) -> P256FieldElement {
        P256FieldElement(
            montgomery: P256Limbs.montgomeryMultiply(a.montgomery, b.montgomery, modulus: prime, m0inv: 1))
    }

    @inline(__always)
    func squared() -> P256FieldElement { self * self }

    @inline(__always)
    static func + (a: P256FieldElement, b: P256FieldElement) -> P256FieldElement {
        P256FieldElement(montgomery: a.montgomery.adding(b.montgomery, modulo: prime))
    }

    @inline(__always)
    static func - (a: P256FieldElement, b: P256FieldElement) -> P256FieldElement {
        P256FieldElement(montgomery: a.montgomery.subtracting(b.montgomery, modulo: prime))
    }

    @inline(__always)
    static prefix func - (a: P256FieldElement) -> P256FieldElement { zero - a }

    @inline(__always)
    func doubled() -> P256FieldElement { self + self }
}
