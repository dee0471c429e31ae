extension Curve25519 {
    /// A point in extended twisted Edwards coordinates (Hisil–Wong–Carter–Dawson 2008):
    /// x = X/Z, y = Y/Z, x·y = T/Z.
    struct ExtendedPoint: Sendable {
        var X: FieldElement
        var Y: FieldElement
        var Z: FieldElement
        var T: FieldElement

        static var identity: ExtendedPoint { ExtendedPoint(X: .zero, Y: .one, Z: .one, T: .zero) }

        /// The base point B of RFC 8032 §5.1 (y = 4/5, x even).
        static var basepoint: ExtendedPoint {
            ExtendedPoint(
            X: FieldElement(0x62d608f25d51a, 0x412a4b4f6592a, 0x75b7171a4b31d, 0x1ff60527118fe, 0x216936d3cd6e5),
            Y: FieldElement(0x6666666666658, 0x4cccccccccccc, 0x1999999999999, 0x3333333333333, 0x6666666666666),
            Z: .one,
            T: FieldElement(0x68ab3a5b7dda3, 0x00eea2a5eadbb, 0x2af8df483c27e, 0x332b375274732, 0x67875f0fd78b7))
        }

        /// Decodes a 32-byte point encoding (RFC 8032 §5.1.3) at `bytes[offset ..< offset + 32]`
        /// (bounds checked by the caller), or nil when it is not a point: y ≥ p (non-canonical),
        /// no x with x² = (y² − 1)/(d·y² + 1), or x = 0 with the sign bit set (a second
        /// encoding of a point with x = 0).
        init?(decoding bytes: UnsafeRawBufferPointer, offset: Int) {
            guard FieldElement.isCanonicalEncoding(bytes, offset: offset) else { return nil }
            let y = FieldElement(unsafeBytes: bytes, offset: offset)
            let sign = bytes[offset + 31] &>> 7 == 1

            let yy = y.squared()
            let u = yy - .one                       // y² − 1
            let v = yy * .d + .one                  // d·y² + 1
            let v3 = v.squared() * v
            let v7 = v3.squared() * v
            // x = u·v³·(u·v⁷)^((p − 5)/8): a square root of u/v when one exists.
            var x = u * v3 * (u * v7).pow22523()
            let vxx = v * x.squared()
            if vxx.equals(u) {
                // x is a root.
            } else if vxx.equals(-u) {
                x = x * .sqrtMinusOne
            } else {
                return nil
            }
            let xIsZero = x.isZero
            if xIsZero && sign { return nil }
            if x.isNegative != sign { x = -x }
            self.init(X: x, Y: y, Z: .one, T: x * y)
        }

        init(X: FieldElement, Y: FieldElement, Z: FieldElement, T: FieldElement) {
            self.X = X
            self.Y = Y
            self.Z = Z
            self.T = T
        }

        /// −P = (−X, Y, Z, −T).
        var negated: ExtendedPoint { ExtendedPoint(X: -X, Y: Y, Z: Z, T: -T) }

        var projective: ProjectivePoint { ProjectivePoint(X: X, Y: Y, Z: Z) }

        /// The cached form for repeated additions of this point.
        var niels: ProjectiveNielsPoint {
            ProjectiveNielsPoint(yPlusX: Y + X, yMinusX: Y - X, Z: Z, T2d: T * .d2)
        }

        func doubled() -> ExtendedPoint { projective.doubled().extended }

        /// True when P is the neutral element (X = 0 and Y = Z).
        var isIdentity: Bool { X.isZero && Y.equals(Z) }

        /// True when [8]P is the identity: P lies in the torsion subgroup of order dividing 8.
        var hasSmallOrder: Bool { doubled().doubled().doubled().isIdentity }
    }

    /// (X : Y : Z) with x = X/Z, y = Y/Z: enough for doubling, and what the scalar loop keeps
    /// between steps (the T coordinate is only needed before an addition).
    struct ProjectivePoint: Sendable {
        var X: FieldElement
        var Y: FieldElement
        var Z: FieldElement

        static var identity: ProjectivePoint { ProjectivePoint(X: .zero, Y: .one, Z: .one) }

        /// 2P as a completed point: 4 squarings (dbl-2008-hwcd with a = −1).
        func doubled() -> CompletedPoint {
            let xx = X.squared()
            let yy = Y.squared()
            let zz = Z.squared()
            let zz2 = zz + zz
            let xPlusYSquared = (X + Y).squared()
            let yyPlusXX = yy + xx
            let yyMinusXX = yy - xx
            return CompletedPoint(
                X: xPlusYSquared - yyPlusXX, Y: yyPlusXX, Z: yyMinusXX, T: zz2 - yyMinusXX)
        }

        /// The canonical 32-byte encoding (RFC 8032 §5.1.2): y with the sign of x in bit 255.
        var encoded: InlineArray<32, UInt8> {
            let zInverse = Z.inverted()
            let x = X * zInverse
            let y = Y * zInverse
            var out = y.encoded
            if x.isNegative { out[31] |= 0x80 }
            return out
        }
    }

    /// ((X : Z), (Y : T)) with x = X/Z, y = Y/T: the output of an addition or doubling before
    /// it is converted to whichever form the next step needs.
    struct CompletedPoint: Sendable {
        var X: FieldElement
        var Y: FieldElement
        var Z: FieldElement
        var T: FieldElement

        /// 4 multiplications.
        var extended: ExtendedPoint {
            ExtendedPoint(X: X * T, Y: Y * Z, Z: Z * T, T: X * Y)
        }

        /// 3 multiplications.
        var projective: ProjectivePoint {
            ProjectivePoint(X: X * T, Y: Y * Z, Z: Z * T)
        }

        /// self = self ± q (through the extended form: 8 multiplications).
        @inline(never)
        mutating func add(_ q: ProjectiveNielsPoint, negated: Bool) {
            let p = extended
            self = negated ? p - q : p + q
        }

        /// self = self ± q for an affine q (7 multiplications).
        @inline(never)
        mutating func add(_ q: AffineNielsPoint, negated: Bool) {
            let p = extended
            self = negated ? p - q : p + q
        }
    }

    /// (Y + X, Y − X, Z, 2d·T) of an extended point: addition costs 4 multiplications.
    struct ProjectiveNielsPoint: Sendable {
        var yPlusX: FieldElement
        var yMinusX: FieldElement
        var Z: FieldElement
        var T2d: FieldElement

        /// All-zero limbs (not a point): initial contents of a table about to be filled.
        static var zeroed: ProjectiveNielsPoint {
            ProjectiveNielsPoint(yPlusX: .zero, yMinusX: .zero, Z: .zero, T2d: .zero)
        }

        /// −Q: x ↦ −x swaps Y + X with Y − X and negates T.
        var negated: ProjectiveNielsPoint {
            ProjectiveNielsPoint(yPlusX: yMinusX, yMinusX: yPlusX, Z: Z, T2d: -T2d)
        }
    }

    /// (y + x, y − x, 2d·x·y) of an affine point (Z = 1): addition costs 3 multiplications.
    struct AffineNielsPoint: Sendable {
        var yPlusX: FieldElement
        var yMinusX: FieldElement
        var xy2d: FieldElement

        /// −Q.
        var negated: AffineNielsPoint {
            AffineNielsPoint(yPlusX: yMinusX, yMinusX: yPlusX, xy2d: -xy2d)
        }
    }
}

extension Curve25519.ExtendedPoint {
    typealias CompletedPoint = Curve25519.CompletedPoint
    typealias ProjectiveNielsPoint = Curve25519.ProjectiveNielsPoint
    typealias AffineNielsPoint = Curve25519.AffineNielsPoint

    /// P + Q (add-2008-hwcd-3, a = −1, with k = 2d folded into Q's cached T).
    static func + (p: Self, q: ProjectiveNielsPoint) -> CompletedPoint {
        let pp = (p.Y + p.X) * q.yPlusX
        let mm = (p.Y - p.X) * q.yMinusX
        let tt2d = p.T * q.T2d
        let zz = p.Z * q.Z
        let zz2 = zz + zz
        return CompletedPoint(X: pp - mm, Y: pp + mm, Z: zz2 + tt2d, T: zz2 - tt2d)
    }

    /// P − Q: the addition of −Q = (Y − X, Y + X, Z, −2d·T).
    static func - (p: Self, q: ProjectiveNielsPoint) -> CompletedPoint {
        let pm = (p.Y + p.X) * q.yMinusX
        let mp = (p.Y - p.X) * q.yPlusX
        let tt2d = p.T * q.T2d
        let zz = p.Z * q.Z
        let zz2 = zz + zz
        return CompletedPoint(X: pm - mp, Y: pm + mp, Z: zz2 - tt2d, T: zz2 + tt2d)
    }

    /// P + Q for an affine Q (Z = 1).
    static func + (p: Self, q: AffineNielsPoint) -> CompletedPoint {
        let pp = (p.Y + p.X) * q.yPlusX
        let mm = (p.Y - p.X) * q.yMinusX
        let txy2d = p.T * q.xy2d
        let z2 = p.Z + p.Z
        return CompletedPoint(X: pp - mm, Y: pp + mm, Z: z2 + txy2d, T: z2 - txy2d)
    }

    /// P − Q for an affine Q.
    static func - (p: Self, q: AffineNielsPoint) -> CompletedPoint {
        let pm = (p.Y + p.X) * q.yMinusX
        let mp = (p.Y - p.X) * q.yPlusX
        let txy2d = p.T * q.xy2d
        let z2 = p.Z + p.Z
        return CompletedPoint(X: pm - mp, Y: pm + mp, Z: z2 - txy2d, T: z2 + txy2d)
    }
}
