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
/// infinity. Its arithmetic runs on ``P256Registers``; this type is how a point enters and
/// leaves them.
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

    /// 2·self.
    func doubled() -> P256JacobianPoint {
        P256Registers.run(self, addend: nil) { $0.double() }
    }

    /// self + an affine point.
    func adding(_ other: P256AffinePoint) -> P256JacobianPoint {
        P256Registers.run(self, addend: other) { $0.addAffine(P256Registers.addend) }
    }

    /// The same point with Z = 1 (or infinity unchanged): one field inversion.
    func normalized() -> P256JacobianPoint {
        guard !isInfinity else { return self }
        let zInverse = z.inverse()
        let zInverse2 = zInverse.squared()
        return P256JacobianPoint(x: x * zInverse2, y: y * zInverse2 * zInverse, z: .one)
    }

    /// The affine point (nil for infinity).
    var affine: P256AffinePoint? {
        guard !isInfinity else { return nil }
        let n = normalized()
        return P256AffinePoint(x: n.x, y: n.y)
    }
}

/// The working memory of P-256's point arithmetic: numbered field elements (Montgomery form) in
/// one block of words, and the formulas written as operations on register numbers.
///
/// Why registers: every field operation on values copied both 32-byte operands, the modulus and
/// the result (four `memcpy` calls around each multiplication, 1.25 M of the 7.16 M instructions
/// of a verification on Cortex-M4). Here each operation is a call with four addresses into this
/// block and nothing is copied.
///
/// Register 0 holds p, 1–3 the accumulator's X, Y, Z, then three affine addends (x, y), then
/// six temporaries.
struct P256Registers: FieldRegisters {
    typealias File = InlineArray<16, Number256>
    static let x = 1, y = 2, z = 3
    /// The affine addends: `addend` (tests and one-off sums), and the Shamir loop's G, Q, G + Q.
    static let addend = 4, g = 4, q = 6, sum = 8
    static let t0 = 10, t1 = 11, t2 = 12, t3 = 13, t4 = 14, t5 = 15

    let base: UnsafeMutablePointer<UInt>

    /// −p⁻¹ mod 2^wordbits is 1 (p ≡ −1 mod 2^96).
    @inline(__always)
    var m0inv: UInt { 1 }

    /// Sets the accumulator to infinity.
    @inline(__always)
    func setInfinity() { store(Self.z, .zero) }

    /// The accumulator doubled in place (dbl-2001-b, a = −3; 3M + 5S). Infinity (Z = 0) stays
    /// infinity: Z3 = 2·Y·Z.
    @inline(never)
    func double() {
        let x = Self.x, y = Self.y, z = Self.z
        let delta = Self.t0, gamma = Self.t1, beta = Self.t2, alpha = Self.t3, a = Self.t4, b = Self.t5
        mul(delta, z, z)
        mul(gamma, y, y)
        mul(beta, x, gamma)
        sub(a, x, delta)
        add(b, x, delta)
        mul(alpha, a, b)
        add(a, alpha, alpha)
        add(alpha, a, alpha)  // alpha = 3·(X − δ)(X + δ)
        add(a, y, z)
        mul(z, a, a)
        sub(z, z, gamma)
        sub(z, z, delta)  // Z3 = (Y + Z)² − γ − δ
        add(beta, beta, beta)
        add(beta, beta, beta)  // 4β
        mul(x, alpha, alpha)
        sub(x, x, beta)
        sub(x, x, beta)  // X3 = α² − 8β
        mul(delta, gamma, gamma)
        add(delta, delta, delta)
        add(delta, delta, delta)
        add(delta, delta, delta)  // 8γ²
        sub(beta, beta, x)
        mul(y, alpha, beta)
        sub(y, y, delta)  // Y3 = α·(4β − X3) − 8γ²
    }

    /// The accumulator plus the affine point in registers `point`, `point + 1`, in place
    /// (add-2007-bl with Z2 = 1: 7M + 4S), complete: an accumulator at infinity takes the
    /// addend, P + P doubles and P + (−P) gives infinity. Those cases are reachable from hostile
    /// input (Wycheproof's "EdgeCaseShamirMultiplication"), so they are explicit branches.
    @inline(never)
    func addAffine(_ point: Int) {
        let x = Self.x, y = Self.y, z = Self.z, px = point, py = point + 1
        if isZero(z) {
            copy(x, px)
            copy(y, py)
            store(z, P256FieldElement.one.montgomery)
            return
        }
        let z1z1 = Self.t0, h = Self.t1, a = Self.t2, r = Self.t3, i = Self.t4, v = Self.t5
        mul(z1z1, z, z)
        mul(h, px, z1z1)
        sub(h, h, x)  // H = U2 − X1
        mul(a, py, z)
        mul(r, a, z1z1)
        sub(r, r, y)
        add(r, r, r)  // r = 2·(S2 − Y1)
        if isZero(h) {
            // Same x: the same point (double it) or its negation (the sum is infinity).
            if isZero(r) { double() } else { setInfinity() }
            return
        }
        add(a, h, h)
        mul(i, a, a)  // I = (2H)²
        mul(a, h, i)  // J = H·I
        mul(v, x, i)  // V = X1·I
        mul(x, r, r)
        sub(x, x, a)
        sub(x, x, v)
        sub(x, x, v)  // X3 = r² − J − 2V
        sub(v, v, x)
        mul(i, r, v)  // r·(V − X3)
        mul(v, y, a)
        add(v, v, v)  // 2·Y1·J
        sub(y, i, v)  // Y3
        add(a, z, z)
        mul(z, a, h)  // Z3 = 2·Z1·H
    }

    /// Runs `body` on registers holding p, `point` as the accumulator and `addend` (if any) in
    /// ``addend``, and returns the accumulator.
    static func run(
        _ point: P256JacobianPoint, addend: P256AffinePoint?, _ body: (P256Registers) -> Void
    ) -> P256JacobianPoint {
        var file = P256Registers.File(repeating: .zero)
        file[0] = Modulus256.p256Prime.m
        file[x] = point.x.montgomery
        file[y] = point.y.montgomery
        file[z] = point.z.montgomery
        if let addend {
            file[Self.addend] = addend.x.montgomery
            file[Self.addend + 1] = addend.y.montgomery
        }
        Words.with(&file) { body(P256Registers(base: $0)) }
        return accumulator(of: file)
    }

    /// The point in a file's accumulator registers.
    @inline(__always)
    static func accumulator(of file: File) -> P256JacobianPoint {
        P256JacobianPoint(
            x: P256FieldElement(montgomery: file[x]), y: P256FieldElement(montgomery: file[y]),
            z: P256FieldElement(montgomery: file[z]))
    }
}

/// u1·G + u2·Q, the one scalar multiplication ECDSA verification needs, by Shamir's trick: one
/// chain of 256 doublings and, per bit position, one addition of G, Q or G + Q (precomputed and
/// made affine, so every addition is a mixed one). Short rather than table-driven: no
/// precomputed multiples, nothing on the heap, one block of registers on the stack.
enum P256Multiplication {
    /// u1·G + u2·Q for scalars below n (either may be zero) and a validated point Q.
    @inline(never)  // inlined into the verifier: nRF52840 image 144 B larger, armv6m 2.9 KB
    static func generatorTimes(_ u1: Number256, plus u2: Number256, times q: P256AffinePoint) -> P256JacobianPoint {
        let generator = P256AffinePoint.generator
        // G + Q, or nil when Q = −G: then adding it is a no-op.
        let sum = P256JacobianPoint(generator).adding(q).affine
        var file = P256Registers.File(repeating: .zero)
        file[0] = Modulus256.p256Prime.m
        file[P256Registers.g] = generator.x.montgomery
        file[P256Registers.g + 1] = generator.y.montgomery
        file[P256Registers.q] = q.x.montgomery
        file[P256Registers.q + 1] = q.y.montgomery
        if let sum {
            file[P256Registers.sum] = sum.x.montgomery
            file[P256Registers.sum + 1] = sum.y.montgomery
        }
        // The accumulator starts at infinity (Z = 0: the file is zero).
        Words.with(&file) {
            let registers = P256Registers(base: $0)
            var i = 255
            while i >= 0 {
                registers.double()
                switch (u1.bit(i), u2.bit(i)) {
                case (true, true): if sum != nil { registers.addAffine(P256Registers.sum) }
                case (true, false): registers.addAffine(P256Registers.g)
                case (false, true): registers.addAffine(P256Registers.q)
                case (false, false): break
                }
                i -= 1
            }
        }
        return P256Registers.accumulator(of: file)
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
