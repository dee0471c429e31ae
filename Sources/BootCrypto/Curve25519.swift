/// The arithmetic under Ed25519 verification, on the same 256-bit Montgomery code as P-256
/// (``Modulus256``): the field GF(p) with p = 2^255 − 19, the group order L, and the twisted
/// Edwards curve −x² + y² = 1 + d·x²·y² (RFC 8032 §5.1) in extended coordinates.
///
/// Built for size, not speed: no radix-2^51 field code, no precomputed tables, one addition
/// formula that is complete on this curve (d is not a square), so there are no special cases to
/// get wrong. Every value is public (key, signature, digest): nothing is constant time.
enum Curve25519 {
    /// p = 2^255 − 19. R² mod p = 2^512 mod p = 4·19² = 1444.
    static let prime = Modulus256(
        m: Number256([
            0xffff_ffed, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0x7fff_ffff,
        ]),
        m0inv: UInt(truncatingIfNeeded: 0x86bc_a1af_286b_ca1b as UInt64),
        rSquared: Number256(small: 1444))

    /// L = 2^252 + 27742317777372353535851937790883648493, the order of the base point.
    static let order = Modulus256(
        m: Number256([
            0x5cf5_d3ed, 0x5812_631a, 0xa2f7_9cd6, 0x14de_f9de, 0, 0, 0, 0x1000_0000,
        ]),
        m0inv: UInt(truncatingIfNeeded: 0xd2b5_1da3_1254_7e1b as UInt64),
        rSquared: Number256([
            0x449c_0f01, 0xa406_11e3, 0x6885_9347, 0xd00e_1ba7, 0x17f5_be65, 0xceec_73d2, 0x7c30_9a3d, 0x0399_411b,
        ]))

    /// The 32 bytes at `offset` as a scalar, or nil unless it is below L (RFC 8032 §5.1.7 refuses
    /// S ≥ L: that keeps signatures non-malleable).
    static func canonicalScalar(_ bytes: UnsafeRawBufferPointer, offset: Int) -> Number256? {
        let value = Number256(littleEndian: bytes, offset: offset)
        return value.isLess(than: order.m) ? value : nil
    }

    /// A 64-byte SHA-512 digest, read as a little-endian 512-bit number, reduced mod L.
    ///
    /// With h = lo + hi·2^256 and R = 2^256: toMont(lo) + toMont(hi)·R² (one more Montgomery
    /// product) is h·R mod L, and a product with 1 leaves Montgomery form. Four multiplications.
    static func reduce(_ digest: SHA512.Digest) -> Number256 {
        digest.withUnsafeBytes { raw in
            let lo = Number256(littleEndian: raw, offset: 0)
            let hi = Number256(littleEndian: raw, offset: 32)
            // lo, hi < R and R² mod L < L, so each product is below L·R, as multiply requires.
            let h = order.add(order.montgomery(lo), order.multiply(order.montgomery(hi), order.rSquared))
            return order.multiply(h, Number256(small: 1))
        }
    }

    /// True when the 32 bytes at `offset`, with the sign bit (bit 255) cleared, are below p: a
    /// canonical encoding of a y coordinate.
    static func isCanonicalEncoding(_ bytes: UnsafeRawBufferPointer, offset: Int) -> Bool {
        var y = Number256(littleEndian: bytes, offset: offset)
        y.words[Number256.wordCount - 1] &= UInt.max >> 1
        return y.isLess(than: prime.m)
    }
}

extension Curve25519 {
    /// An element of GF(2^255 − 19) in Montgomery form (x·2^256 mod p), fully reduced.
    struct FieldElement: Equatable, Sendable {
        var montgomery: Number256

        @inline(__always)
        init(montgomery: Number256) { self.montgomery = montgomery }

        /// The element with canonical value `value`, or nil unless `value` < p.
        init?(canonical value: Number256) {
            guard value.isLess(than: prime.m) else { return nil }
            self.montgomery = prime.montgomery(value)
        }

        @inline(__always)
        static var zero: FieldElement { FieldElement(montgomery: .zero) }

        /// 1 in Montgomery form: 2^256 mod p = 38.
        @inline(__always)
        static var one: FieldElement { FieldElement(montgomery: Number256(small: 38)) }

        /// d = −121665/121666, in Montgomery form.
        static var d: FieldElement {
            FieldElement(montgomery: Number256([
                0xdf47_e9fa, 0x80ed_8bfe, 0xafc6_2973, 0x10a1_8777, 0xbc18_8690, 0xe593_9207, 0x729f_c526, 0x2c82_2b5a,
            ]))
        }

        /// 2d, in Montgomery form (the addition formula's k).
        static var twoD: FieldElement {
            FieldElement(montgomery: Number256([
                0xbe8f_d3f4, 0x01db_17fd, 0x5f8c_52e7, 0x2143_0eef, 0x7831_0d20, 0xcb27_240f, 0xe53f_8a4d, 0x5904_56b4,
            ]))
        }

        /// √−1 = 2^((p−1)/4), in Montgomery form.
        static var sqrtMinusOne: FieldElement {
            FieldElement(montgomery: Number256([
                0xfe2b_db04, 0x3b58_07d4, 0xb51b_e9ed, 0x03f5_90fd, 0x3362_02d1, 0x6d6e_16bf, 0xd6c7_1ba8, 0x7577_6b0b,
            ]))
        }

        /// The canonical value in [0, p).
        var canonical: Number256 { prime.multiply(montgomery, Number256(small: 1)) }

        @inline(__always)  // see Number256.isZero
        var isZero: Bool { montgomery.isZero }

        static func == (a: FieldElement, b: FieldElement) -> Bool { a.montgomery == b.montgomery }

        static func * (a: FieldElement, b: FieldElement) -> FieldElement {
            FieldElement(montgomery: prime.multiply(a.montgomery, b.montgomery))
        }

        static func + (a: FieldElement, b: FieldElement) -> FieldElement {
            FieldElement(montgomery: prime.add(a.montgomery, b.montgomery))
        }

        static func - (a: FieldElement, b: FieldElement) -> FieldElement {
            FieldElement(montgomery: prime.subtract(a.montgomery, b.montgomery))
        }

        static prefix func - (a: FieldElement) -> FieldElement { zero - a }

        @inline(__always)
        func squared() -> FieldElement { self * self }

        /// The multiplicative inverse (0 for 0).
        func inverse() -> FieldElement { FieldElement(montgomery: prime.fermatInverse(montgomery)) }

        /// self^((p − 5)/8) = self^(2^252 − 3), the exponent of the square root (RFC 8032 §5.1.3).
        func powerPMinus5Over8() -> FieldElement {
            FieldElement(montgomery: prime.power(montgomery, Number256([
                0xffff_fffd, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0x0fff_ffff,
            ])))
        }
    }
}

extension Curve25519 {
    /// A point in extended coordinates (X : Y : Z : T) with x = X/Z, y = Y/Z, x·y = T/Z
    /// (Hisil, Wong, Carter, Dawson 2008). The identity is (0 : 1 : 1 : 0).
    struct Point: Sendable {
        var x: FieldElement
        var y: FieldElement
        var z: FieldElement
        var t: FieldElement

        @inline(__always)
        static var identity: Point { Point(x: .zero, y: .one, z: .one, t: .zero) }

        /// The base point B = (x, 4/5) with x even, in Montgomery form.
        static var basepoint: Point {
            Point(
                x: FieldElement(montgomery: Number256([
                    0x3f9d_a287, 0xe2ca_bc55, 0x2396_e489, 0x9ca5_9856, 0xade4_b5b7, 0x9879_936b, 0x7e60_77d0, 0x759e_2370,
                ])),
                y: FieldElement(montgomery: Number256([
                    0x3333_334a, 0x3333_3333, 0x3333_3333, 0x3333_3333, 0x3333_3333, 0x3333_3333, 0x3333_3333, 0x3333_3333,
                ])),
                z: .one,
                t: FieldElement(montgomery: Number256([
                    0x994a_e86c, 0x4f08_96aa, 0xb612_506e, 0xe3b7_ad11, 0xf183_c492, 0x46c7_a922, 0xfeb3_930d, 0x5e18_1c59,
                ])))
        }

        /// The point encoded in the 32 bytes at `offset` (RFC 8032 §5.1.3), or nil when y is not
        /// canonical, no x satisfies the curve equation, or x = 0 comes with the sign bit set.
        init?(decoding bytes: UnsafeRawBufferPointer, offset: Int) {
            var value = Number256(littleEndian: bytes, offset: offset)
            let top = Number256.wordCount - 1
            let sign = value.words[top] >> UInt(UInt.bitWidth - 1) == 1
            value.words[top] &= UInt.max >> 1
            guard let y = FieldElement(canonical: value) else { return nil }
            // x² = u/v with u = y² − 1, v = d·y² + 1; candidate x = u·v³·(u·v⁷)^((p−5)/8).
            let y2 = y.squared()
            let u = y2 - .one
            let v = FieldElement.d * y2 + .one
            let v3 = v.squared() * v
            var x = u * v3 * (u * v3.squared() * v).powerPMinus5Over8()
            let vx2 = v * x.squared()
            if vx2 == u {
                // x is a square root of u/v.
            } else if vx2 == -u {
                x = x * .sqrtMinusOne
            } else {
                return nil
            }
            if x.isZero && sign { return nil }
            if (x.canonical.words[0] & 1 == 1) != sign { x = -x }
            self.init(x: x, y: y, z: .one, t: x * y)
        }

        @inline(__always)
        init(x: FieldElement, y: FieldElement, z: FieldElement, t: FieldElement) {
            self.x = x
            self.y = y
            self.z = z
            self.t = t
        }

        /// −P = (−X : Y : Z : −T).
        var negated: Point { Point(x: -x, y: y, z: z, t: -t) }

        /// True when 8·P is the identity (P in the small subgroup): only the identity and the point
        /// of order 2 have x = 0, and a multiple of 8 cannot be the latter on a curve of order 8·L.
        var hasSmallOrder: Bool {
            var file = Registers.File(repeating: .zero)
            Registers.load(self, into: &file, at: Registers.x)
            Words.with(&file) { base in
                let registers = Registers(base: base)
                registers.double()
                registers.double()
                registers.double()
            }
            return file[Registers.x].isZero
        }

        /// The 32-byte encoding: y, little-endian, with x's low bit in bit 255 (one inversion).
        var encoded: InlineArray<32, UInt8> {
            let zInverse = z.inverse()
            var bytes = (y * zInverse).canonical.littleEndianBytes
            bytes[31] |= UInt8(truncatingIfNeeded: (x * zInverse).canonical.words[0] & 1) << 7
            return bytes
        }

        /// [s]B + [k]P for scalars below L (2^253), by Shamir's trick: 253 doublings and, per
        /// bit position, one addition of B, P or B + P.
        static func basepointTimes(_ s: Number256, plus k: Number256, times p: Point) -> Point {
            var file = Registers.File(repeating: .zero)
            Registers.load(basepoint, into: &file, at: Registers.b)
            Registers.load(p, into: &file, at: Registers.p)
            Registers.load(basepoint, into: &file, at: Registers.x)
            Words.with(&file) { base in
                let registers = Registers(base: base)
                registers.addPoint(Registers.p)
                for i in 0..<4 { registers.copy(Registers.sum + i, Registers.x + i) }  // B + P
                registers.store(Registers.x, .zero)  // the identity (0 : 1 : 1 : 0)
                registers.store(Registers.y, FieldElement.one.montgomery)
                registers.store(Registers.z, FieldElement.one.montgomery)
                registers.store(Registers.t, .zero)
                var i = 252
                while i >= 0 {
                    registers.double()
                    switch (s.bit(i), k.bit(i)) {
                    case (true, true): registers.addPoint(Registers.sum)
                    case (true, false): registers.addPoint(Registers.b)
                    case (false, true): registers.addPoint(Registers.p)
                    case (false, false): break
                    }
                    i -= 1
                }
            }
            return Point(
                x: FieldElement(montgomery: file[Registers.x]), y: FieldElement(montgomery: file[Registers.y]),
                z: FieldElement(montgomery: file[Registers.z]), t: FieldElement(montgomery: file[Registers.t]))
        }
    }
}

extension Curve25519 {
    /// The registers of Ed25519's point arithmetic (see ``FieldRegisters``): p, the accumulator's
    /// X, Y, Z, T, the three addends B, P and B + P (four registers each), 2d, and six
    /// temporaries.
    struct Registers: FieldRegisters {
        typealias File = InlineArray<24, Number256>
        static let x = 1, y = 2, z = 3, t = 4
        static let b = 5, p = 9, sum = 13
        static let twoD = 17
        static let t0 = 18, t1 = 19, t2 = 20, t3 = 21, t4 = 22, t5 = 23

        let base: UnsafeMutablePointer<UInt>

        @inline(__always)
        var m0inv: UInt { prime.m0inv }

        /// A file's modulus and 2d registers, and `point` in the four from `register`.
        static func load(_ point: Point, into file: inout File, at register: Int) {
            file[0] = prime.m
            file[twoD] = FieldElement.twoD.montgomery
            file[register] = point.x.montgomery
            file[register + 1] = point.y.montgomery
            file[register + 2] = point.z.montgomery
            file[register + 3] = point.t.montgomery
        }

        /// The accumulator doubled in place (dbl-2008-hwcd with a = −1: 4M + 4S). With
        /// A = X², B = Y², C = 2Z², E = (X + Y)² − A − B and G = B − A, the formula's
        /// (E·F, G·H, F·G, E·H) has F = G − C and H = −A − B; this computes the same point
        /// times −1, with F' = C − G and H' = A + B, which needs no negation.
        @inline(never)
        func double() {
            let x = Self.x, y = Self.y, z = Self.z, t = Self.t
            let a = Self.t0, b = Self.t1, c = Self.t2, s = Self.t3, e = Self.t4, g = Self.t5
            mul(a, x, x)
            mul(b, y, y)
            mul(s, z, z)
            add(c, s, s)
            add(s, x, y)
            mul(e, s, s)
            sub(e, e, a)
            sub(e, e, b)
            sub(g, b, a)
            sub(c, c, g)  // F'
            add(a, a, b)  // H'
            mul(x, e, c)
            mul(y, g, a)
            mul(z, c, g)
            mul(t, e, a)
        }

        /// The accumulator plus the point in the four registers from `point`, in place
        /// (add-2008-hwcd-3, 8M plus one by 2d): complete on this curve, so it also doubles and
        /// adds the identity or a point's negation.
        @inline(never)
        func addPoint(_ point: Int) {
            let x = Self.x, y = Self.y, z = Self.z, t = Self.t
            let x2 = point, y2 = point + 1, z2 = point + 2, t2 = point + 3
            let a = Self.t0, b = Self.t1, c = Self.t2, d = Self.t3, u = Self.t4, v = Self.t5
            sub(u, y, x)
            sub(v, y2, x2)
            mul(a, u, v)  // A = (Y1 − X1)(Y2 − X2)
            add(u, y, x)
            add(v, y2, x2)
            mul(b, u, v)  // B = (Y1 + X1)(Y2 + X2)
            mul(u, t, Self.twoD)
            mul(c, u, t2)  // C = T1·2d·T2
            mul(u, z, z2)
            add(d, u, u)  // D = 2·Z1·Z2
            sub(u, b, a)  // E
            add(b, b, a)  // H
            sub(v, d, c)  // F
            add(d, d, c)  // G
            mul(x, u, v)
            mul(y, d, b)
            mul(z, v, d)
            mul(t, u, b)
        }
    }
}
