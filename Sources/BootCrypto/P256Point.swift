/// A P-256 point in affine coordinates (x, y), Montgomery-form field elements. Never the point at
/// infinity: every value of this type either came from a validated public key or from the
/// precomputed multiples of the generator.
struct P256AffinePoint: Equatable, Sendable {
    var x: P256FieldElement
    var y: P256FieldElement

    /// True when y² = x³ − 3x + b.
    var isOnCurve: Bool {
        let x2 = x.squared()
        let x3 = x2 * x
        let threeX = x.doubled() + x
        let rhs = x3 - threeX + P256FieldElement.b
        return y.squared() == rhs
    }

    @inline(__always)
    func negated() -> P256AffinePoint { P256AffinePoint(x: x, y: -y) }
}

/// A P-256 point in Jacobian coordinates: (X, Y, Z) stands for (X/Z², Y/Z³); Z = 0 is the point at
/// infinity. The formulas are the Explicit-Formulas Database ones for short Weierstrass curves
/// with a = −3 (dbl-2001-b, add-2007-bl, madd-2007-bl), completed with the special cases the
/// incomplete formulas get wrong: an input at infinity, P + P and P + (−P). Those cases are
/// reachable from hostile input (Wycheproof's "EdgeCaseShamirMultiplication"), so they are handled
/// by explicit branches rather than assumed away.
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
    @inline(never)  // large; one copy keeps the Embedded build small, and a call is noise next to its multiplies
    func doubled() -> P256JacobianPoint {
        let delta = z.squared()
        let gamma = y.squared()
        let beta = x * gamma
        let alpha0 = (x - delta) * (x + delta)
        let alpha = alpha0.doubled() + alpha0
        let beta4 = beta.doubled().doubled()
        let x3 = alpha.squared() - beta4.doubled()
        let z3 = (y + z).squared() - gamma - delta
        let gamma2 = gamma.squared()
        let gamma8 = gamma2.doubled().doubled().doubled()
        let y3 = alpha * (beta4 - x3) - gamma8
        return P256JacobianPoint(x: x3, y: y3, z: z3)
    }

    /// self + other (add-2007-bl, 11M + 5S), complete.
    @inline(never)  // large; one copy keeps the Embedded build small, and a call is noise next to its multiplies
    func adding(_ other: P256JacobianPoint) -> P256JacobianPoint {
        if isInfinity { return other }
        if other.isInfinity { return self }
        let z1z1 = z.squared()
        let z2z2 = other.z.squared()
        let u1 = x * z2z2
        let u2 = other.x * z1z1
        let s1 = y * other.z * z2z2
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
        let z3 = ((z + other.z).squared() - z1z1 - z2z2) * h
        return P256JacobianPoint(x: x3, y: y3, z: z3)
    }

    /// self + other for an affine `other` (madd-2007-bl, 7M + 4S), complete.
    @inline(never)  // large; one copy keeps the Embedded build small, and a call is noise next to its multiplies
    func adding(_ other: P256AffinePoint) -> P256JacobianPoint {
        if isInfinity { return P256JacobianPoint(other) }
        let z1z1 = z.squared()
        let u2 = other.x * z1z1
        let s2 = other.y * z * z1z1
        let h = u2 - x
        let r = (s2 - y).doubled()
        if h.isZero {
            return r.isZero ? doubled() : .infinity
        }
        let hh = h.squared()
        let i = hh.doubled().doubled()
        let j = h * i
        let v = x * i
        let x3 = r.squared() - j - v.doubled()
        let y3 = r * (v - x3) - (y * j).doubled()
        let z3 = (z + h).squared() - z1z1 - hh
        return P256JacobianPoint(x: x3, y: y3, z: z3)
    }

    @inline(__always)
    func negated() -> P256JacobianPoint { P256JacobianPoint(x: x, y: -y, z: z) }
}
