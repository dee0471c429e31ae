/// An element of the P-256 base field GF(p), kept in Montgomery form (x·2^256 mod p), always
/// fully reduced, so equality and zero tests are plain word comparisons.
struct P256FieldElement: Equatable, Sendable {
    /// The Montgomery representation x·2^256 mod p.
    var montgomery: Number256

    @inline(__always)
    init(montgomery: Number256) { self.montgomery = montgomery }

    @inline(__always)
    static var zero: P256FieldElement { P256FieldElement(montgomery: .zero) }

    /// 1 in Montgomery form (2^256 mod p = 2^224 − 2^192 − 2^96 + 1).
    @inline(__always)
    static var one: P256FieldElement {
        P256FieldElement(montgomery: Number256([1, 0, 0, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_fffe, 0]))
    }

    /// The element with canonical value `value`, or nil unless `value` < p (a coordinate at or above
    /// p is a non-canonical encoding and is refused, never reduced).
    init?(canonical value: Number256) {
        guard value.isLess(than: Modulus256.p256Prime.m) else { return nil }
        self.montgomery = Modulus256.p256Prime.montgomery(value)
    }

    /// The canonical value in [0, p).
    var canonical: Number256 { Modulus256.p256Prime.multiply(montgomery, Number256(small: 1)) }

    @inline(__always)  // see Number256.isZero
    var isZero: Bool { montgomery.isZero }

    static func == (a: P256FieldElement, b: P256FieldElement) -> Bool { a.montgomery == b.montgomery }

    static func * (a: P256FieldElement, b: P256FieldElement) -> P256FieldElement {
        P256FieldElement(montgomery: Modulus256.p256Prime.multiply(a.montgomery, b.montgomery))
    }

    static func + (a: P256FieldElement, b: P256FieldElement) -> P256FieldElement {
        P256FieldElement(montgomery: Modulus256.p256Prime.add(a.montgomery, b.montgomery))
    }

    static func - (a: P256FieldElement, b: P256FieldElement) -> P256FieldElement {
        P256FieldElement(montgomery: Modulus256.p256Prime.subtract(a.montgomery, b.montgomery))
    }

    static prefix func - (a: P256FieldElement) -> P256FieldElement { zero - a }

    @inline(__always)
    func squared() -> P256FieldElement { self * self }

    @inline(__always)
    func doubled() -> P256FieldElement { self + self }

    /// The multiplicative inverse (0 for 0).
    func inverse() -> P256FieldElement { P256FieldElement(montgomery: Modulus256.p256Prime.inverse(montgomery)) }
}

/// A P-256 point in affine coordinates (x, y), Montgomery-form field elements. Never the point at
/// infinity: every value of this type came from a validated public key or is the generator.
struct P256AffinePoint: Equatable, Sendable {
    var x: P256FieldElement
    var y: P256FieldElement

    static func == (a: P256AffinePoint, b: P256AffinePoint) -> Bool { a.x == b.x && a.y == b.y }

    /// The base point G (SEC 2 / FIPS 186-4), in Montgomery form.
    static var generator: P256AffinePoint {
        P256AffinePoint(
            x: P256FieldElement(canonical: Number256([
                0xd898_c296, 0xf4a1_3945, 0x2deb_33a0, 0x7703_7d81, 0x63a4_40f2, 0xf8bc_e6e5, 0xe12c_4247, 0x6b17_d1f2,
            ]))!,
            y: P256FieldElement(canonical: Number256([
                0x37bf_51f5, 0xcbb6_4068, 0x6b31_5ece, 0x2bce_3357, 0x7c0f_9e16, 0x8ee7_eb4a, 0xfe1a_7f9b, 0x4fe3_42e2,
            ]))!)
    }

    /// The curve coefficient b (canonical value), y² = x³ − 3x + b.
    static var b: Number256 {
        Number256([
            0x27d2_604b, 0x3bce_3c3e, 0xcc53_b0f6, 0x651d_06b0, 0x7698_86bc, 0xb3eb_bd55, 0xaa3a_93e7, 0x5ac6_35d8,
        ])
    }

    /// True when y² = x³ − 3x + b.
    var isOnCurve: Bool {
        guard let b = P256FieldElement(canonical: Self.b) else { return false }
        let x3 = x.squared() * x
        let threeX = x.doubled() + x
        return y.squared() == x3 - threeX + b
    }
}

/// A P-256 point in Jacobian coordinates: (X, Y, Z) stands for (X/Z², Y/Z³); Z = 0 is the point at
/// infinity. The formulas are the Explicit-Formulas Database ones for short Weierstrass curves
/// with a = −3 (dbl-2001-b, add-2007-bl, with its Z2 = 1 shortcut for affine addends), completed
/// with the special cases the incomplete formulas get wrong: an input at infinity, P + P and
/// P + (−P). Those are reachable from hostile input (Wycheproof's "EdgeCaseShamirMultiplication"),
/// so they are explicit branches, not assumptions.
struct P256JacobianPoint: Sendable {
    var x: P256FieldElement
    var y: P256FieldElement
    var z: P256FieldElement

    @inline(__always)
    static var infinity: P256JacobianPoint { P256JacobianPoint(x: .one, y: .one, z: .zero) }

    @inline(__always)
    init(x: P256FieldElement, y: P256FieldElement, z: P256FieldElement) {
        self.x = x
        self.y = y
        self.z = z
    }

    @inline(__always)
    init(_ affine: P256AffinePoint) {
        self.init(x: affine.x, y: affine.y, z: .one)
    }

    var isInfinity: Bool { z.isZero }

    /// 2·self (dbl-2001-b, 3M + 5S). Maps infinity to infinity (Z3 = 0) without a branch.
    @inline(never)
    func doubled() -> P256JacobianPoint {
        let delta = z.squared()
        let gamma = y.squared()
        let beta = x * gamma
        let alpha0 = (x - delta) * (x + delta)
        let alpha = alpha0.doubled() + alpha0
        let beta4 = beta.doubled().doubled()
        let x3 = alpha.squared() - beta4.doubled()
        let z3 = (y + z).squared() - gamma - delta
        let gamma8 = gamma.squared().doubled().doubled().doubled()
        let y3 = alpha * (beta4 - x3) - gamma8
        return P256JacobianPoint(x: x3, y: y3, z: z3)
    }

    /// self + other (add-2007-bl, 11M + 5S; 7M + 3S when other's Z is 1), complete.
    @inline(never)
    func adding(_ other: P256JacobianPoint) -> P256JacobianPoint {
        if isInfinity { return other }
        if other.isInfinity { return self }
        let otherIsAffine = other.z == .one
        let z1z1 = z.squared()
        let z2z2 = otherIsAffine ? other.z : other.z.squared()
        let u1 = otherIsAffine ? x : x * z2z2
        let u2 = other.x * z1z1
        let s1 = otherIsAffine ? y : y * other.z * z2z2
        let s2 = other.y * z * z1z1
        let h = u2 - u1
        let r = (s2 - s1).doubled()
        if h.isZero {
            // Same x: either the same point (double it) or its negation (the sum is infinity).
            return r.isZero ? doubled() : .infinity
        }
        let i = h.doubled().squared()
        let j = h * i
        let v = u1 * i
        let x3 = r.squared() - j - v.doubled()
        let y3 = r * (v - x3) - (s1 * j).doubled()
        // (Z1 + Z2)² − Z1Z1 − Z2Z2 = 2·Z1·Z2, which is 2·Z1 when Z2 = 1.
        let z1z2 = otherIsAffine ? z.doubled() : (z + other.z).squared() - z1z1 - z2z2
        return P256JacobianPoint(x: x3, y: y3, z: z1z2 * h)
    }

    /// The same point with Z = 1 (or infinity unchanged): one field inversion.
    func normalized() -> P256JacobianPoint {
        guard !isInfinity else { return self }
        let zInverse = z.inverse()
        let zInverse2 = zInverse.squared()
        return P256JacobianPoint(x: x * zInverse2, y: y * zInverse2 * zInverse, z: .one)
    }
}

/// u1·G + u2·Q, the one scalar multiplication ECDSA verification needs, by Shamir's trick: one
/// chain of 256 doublings and, per bit position, one addition of G, Q or G + Q (precomputed and
/// made affine, so every addition takes the Z2 = 1 shortcut). Short rather than table-driven:
/// no precomputed multiples, nothing on the heap, four points on the stack.
enum P256Multiplication {
    /// u1·G + u2·Q for scalars below n (either may be zero) and a validated point Q.
    static func generatorTimes(_ u1: Number256, plus u2: Number256, times q: P256AffinePoint) -> P256JacobianPoint {
        let g = P256JacobianPoint(.generator)
        let qPoint = P256JacobianPoint(q)
        let sum = g.adding(qPoint).normalized()  // infinity when Q = −G: then adding it is a no-op
        var accumulator = P256JacobianPoint.infinity
        var i = 255
        while i >= 0 {
            accumulator = accumulator.doubled()
            switch (u1.bit(i), u2.bit(i)) {
            case (true, true): accumulator = accumulator.adding(sum)
            case (true, false): accumulator = accumulator.adding(g)
            case (false, true): accumulator = accumulator.adding(qPoint)
            case (false, false): break
            }
            i -= 1
        }
        return accumulator
    }
}

/// P-256's two moduli: the field prime p for coordinates, the group order n for the ECDSA scalars.
extension Modulus256 {
    /// p = 2^256 − 2^224 + 2^192 + 2^96 − 1. p ≡ −1 mod 2^96, so −p⁻¹ is 1 in any word size.
    static let p256Prime = Modulus256(
        m: Number256([0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0, 0, 0, 1, 0xffff_ffff]),
        m0inv: 1,
        rSquared: Number256([3, 0, 0xffff_ffff, 0xffff_fffb, 0xffff_fffe, 0xffff_ffff, 0xffff_fffd, 4]))

    /// n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551.
    static let p256Order = Modulus256(
        m: Number256([
            0xfc63_2551, 0xf3b9_cac2, 0xa717_9e84, 0xbce6_faad, 0xffff_ffff, 0xffff_ffff, 0, 0xffff_ffff,
        ]),
        m0inv: UInt(truncatingIfNeeded: 0xccd1_c8aa_ee00_bc4f as UInt64),
        rSquared: Number256([
            0xbe79_eea2, 0x8324_4c95, 0x49bd_6fa6, 0x4699_799c, 0x2b6b_ec59, 0x2845_b239, 0xf3d9_5620, 0x66e1_2d94,
        ]))
}
