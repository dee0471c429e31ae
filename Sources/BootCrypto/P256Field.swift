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
        self.montgomery = Self.multiply(value, Self.rSquared)
    }

    /// The canonical value in [0, p).
    var canonical: P256Limbs {
        Self.multiply(montgomery, P256Limbs(1, 0, 0, 0))
    }

    var isZero: Bool { montgomery.isZero }

    static func * (a: P256FieldElement, b: P256FieldElement) -> P256FieldElement {
        P256FieldElement(montgomery: multiply(a.montgomery, b.montgomery))
    }

    func squared() -> P256FieldElement {
        P256FieldElement(montgomery: Self.square(montgomery))
    }

    // MARK: - Montgomery arithmetic specialised to p

    @inline(__always)
    private static func addWithCarry(_ x: UInt64, _ y: UInt64, _ carry: UInt64) -> (UInt64, UInt64) {
        P256Limbs.addWithCarry(x, y, carry)
    }

    /// One Montgomery reduction step: t = (t + q·p) / 2^64 with q = t0, over the accumulator
    /// t0…t4 plus a top bit t5. Because of p's shape it needs one multiplication, not four:
    ///   t0 + q·(2^64 − 1) = q·2^64            (word 0 vanishes, q carries into word 1)
    ///   q + q·(2^32 − 1)  = q·2^32            (word 1 gains q << 32, word 2 gains q >> 32)
    ///   p2 = 0                                (word 2: nothing else)
    ///   q·p3, p3 = 0xFFFFFFFF00000001          (words 3 and 4: one 64×64 multiply)
    @inline(__always)
    private static func reduceStep(
        _ t0: inout UInt64, _ t1: inout UInt64, _ t2: inout UInt64, _ t3: inout UInt64, _ t4: inout UInt64,
        _ t5: UInt64
    ) {
        let q = t0
        var c: UInt64
        let s1: UInt64, s2: UInt64, s3: UInt64, s4: UInt64
        (s1, c) = addWithCarry(t1, q << 32, 0)
        (s2, c) = addWithCarry(t2, q >> 32, c)
        let (h, l) = q.multipliedFullWidth(by: 0xffff_ffff_0000_0001)
        (s3, c) = addWithCarry(t3, l, c)
        (s4, c) = addWithCarry(t4, h, c)
        t0 = s1
        t1 = s2
        t2 = s3
        t3 = s4
        t4 = t5 &+ c
    }

    /// (t0…t3 + 2^256·t4) mod p for a value below 2p.
    @inline(__always)
    private static func finalSubtract(_ t: P256Limbs, _ t4: UInt64) -> P256Limbs {
        let (reduced, borrow) = t.subtractingReportingBorrow(prime)
        return (t4 != 0 || !borrow) ? reduced : t
    }

    /// a·b·2^−256 mod p (operand scanning, interleaved reduction: 16 + 4 multiplies).
    static func multiply(_ a: P256Limbs, _ b: P256Limbs) -> P256Limbs {
        var t0: UInt64 = 0, t1: UInt64 = 0, t2: UInt64 = 0, t3: UInt64 = 0, t4: UInt64 = 0
        for i in 0..<4 {
            let bi = i == 0 ? b.l0 : i == 1 ? b.l1 : i == 2 ? b.l2 : b.l3
            var c: UInt64
            (c, t0) = P256Limbs.multiplyAdd(a.l0, bi, t0, 0)
            (c, t1) = P256Limbs.multiplyAdd(a.l1, bi, t1, c)
            (c, t2) = P256Limbs.multiplyAdd(a.l2, bi, t2, c)
            (c, t3) = P256Limbs.multiplyAdd(a.l3, bi, t3, c)
            let (s4, t5) = addWithCarry(t4, c, 0)
            t4 = s4
            reduceStep(&t0, &t1, &t2, &t3, &t4, t5)
        }
        return finalSubtract(P256Limbs(t0, t1, t2, t3), t4)
    }

    /// a²·2^−256 mod p: the 512-bit square with each cross product computed once (6 + 4
    /// multiplies), then the low half reduced (4 multiplies) and the high half added.
    static func square(_ a: P256Limbs) -> P256Limbs {
        var c: UInt64
        var r1: UInt64, r2: UInt64, r3: UInt64, r4: UInt64, r5: UInt64, r6: UInt64
        // Cross products a_i·a_j, i < j.
        (c, r1) = P256Limbs.multiplyAdd(a.l0, a.l1, 0, 0)
        (c, r2) = P256Limbs.multiplyAdd(a.l0, a.l2, 0, c)
        (r4, r3) = P256Limbs.multiplyAdd(a.l0, a.l3, 0, c)
        (c, r3) = P256Limbs.multiplyAdd(a.l1, a.l2, r3, 0)
        (r5, r4) = P256Limbs.multiplyAdd(a.l1, a.l3, r4, c)
        (r6, r5) = P256Limbs.multiplyAdd(a.l2, a.l3, r5, 0)
        // Doubled.
        let r7 = r6 >> 63
        r6 = (r6 << 1) | (r5 >> 63)
        r5 = (r5 << 1) | (r4 >> 63)
        r4 = (r4 << 1) | (r3 >> 63)
        r3 = (r3 << 1) | (r2 >> 63)
        r2 = (r2 << 1) | (r1 >> 63)
        r1 = r1 << 1
        // Plus the squares a_i².
        let (h0, r0) = a.l0.multipliedFullWidth(by: a.l0)
        let (h1, l1) = a.l1.multipliedFullWidth(by: a.l1)
        let (h2, l2) = a.l2.multipliedFullWidth(by: a.l2)
        let (h3, l3) = a.l3.multipliedFullWidth(by: a.l3)
        var t0 = r0, t1: UInt64, t2: UInt64, t3: UInt64
        var u4: UInt64, u5: UInt64, u6: UInt64, u7: UInt64
        (t1, c) = addWithCarry(r1, h0, 0)
        (t2, c) = addWithCarry(r2, l1, c)
        (t3, c) = addWithCarry(r3, h1, c)
        (u4, c) = addWithCarry(r4, l2, c)
        (u5, c) = addWithCarry(r5, h2, c)
        (u6, c) = addWithCarry(r6, l3, c)
        u7 = r7 &+ h3 &+ c  // a² < 2^512: no carry out
        // Reduce the low half: (low + m·p) / 2^256 ≤ p.
        var t4: UInt64 = 0
        for _ in 0..<4 {
            reduceStep(&t0, &t1, &t2, &t3, &t4, 0)
        }
        // Add the high half (< p, since a < p): the sum is below 2p.
        (t0, c) = addWithCarry(t0, u4, 0)
        (t1, c) = addWithCarry(t1, u5, c)
        (t2, c) = addWithCarry(t2, u6, c)
        (t3, c) = addWithCarry(t3, u7, c)
        return finalSubtract(P256Limbs(t0, t1, t2, t3), t4 &+ c)
    }

    static func + (a: P256FieldElement, b: P256FieldElement) -> P256FieldElement {
        P256FieldElement(montgomery: a.montgomery.adding(b.montgomery, modulo: prime))
    }

    static func - (a: P256FieldElement, b: P256FieldElement) -> P256FieldElement {
        P256FieldElement(montgomery: a.montgomery.subtracting(b.montgomery, modulo: prime))
    }

    static prefix func - (a: P256FieldElement) -> P256FieldElement { zero - a }

    func doubled() -> P256FieldElement { self + self }
}
