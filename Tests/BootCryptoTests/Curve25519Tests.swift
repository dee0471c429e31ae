@testable import BootCrypto
import Testing

/// The arithmetic under Ed25519, checked against values computed with Python integers.
@Suite struct Ed25519CurveArithmeticTests {
    private func digest(_ hex: String) -> SHA512.Digest {
        ed25519Bytes(hex).withUnsafeBytes { SHA512.Digest(copying: $0)! }
    }

    private func bytes(_ scalar: Curve25519.Scalar) -> [UInt8] {
        (0..<32).map { UInt8(truncatingIfNeeded: scalar.limbs[$0 / 8] >> (8 * UInt64($0 % 8))) }
    }

    @Test(arguments: [
        // SHA-512("") and SHA-512("abc") as 512-bit little-endian numbers, and 2^512 − 1.
        ("cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
         "9ef5a0ea93678eb78d69b33367e129543b0d8520122c42e7dfe9d1977f6c3a0c"),
        ("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
         "d15dbef29abf1ff29f9cf91c4b75ee0bb1012cb031d9605d684e841df034de0b"),
        (String(repeating: "ff", count: 64), "000f9c44e31106a447938568a71b0ed065bef517d273ecce3d9a307c1b419903"),
        (String(repeating: "00", count: 64), String(repeating: "00", count: 32)),
        // L itself, and L − 1, padded to 512 bits.
        ("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010" + String(repeating: "00", count: 32),
         String(repeating: "00", count: 32)),
        ("ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010" + String(repeating: "00", count: 32),
         "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"),
    ])
    func scalarReduction(_ wide: String, _ reduced: String) {
        #expect(ed25519Hex(bytes(Curve25519.Scalar(reducing: digest(wide)))) == reduced)
    }

    @Test func canonicalScalarBound() {
        let order = ed25519Bytes("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
        var below = order
        below[0] -= 1
        #expect(below.withUnsafeBytes { Curve25519.Scalar(canonical: $0, offset: 0) } != nil)
        #expect(order.withUnsafeBytes { Curve25519.Scalar(canonical: $0, offset: 0) } == nil)
        #expect([UInt8](repeating: 0xff, count: 32).withUnsafeBytes { Curve25519.Scalar(canonical: $0, offset: 0) } == nil)
        #expect([UInt8](repeating: 0, count: 32).withUnsafeBytes { Curve25519.Scalar(canonical: $0, offset: 0) } != nil)
    }

    /// Σ digit[i]·2^i must give back the scalar, every digit odd or zero and within the window.
    @Test(arguments: [15, 63])
    func slidingWindowDigitsSumToScalar(_ maxDigit: Int) {
        for seed in 0..<64 {
            let wide = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 17 &+ ($0 >> 3) &* seed) }
            let scalar = Curve25519.Scalar(reducing: wide.withUnsafeBytes { SHA512.Digest(copying: $0)! })
            let digits = scalar.slidingWindow(maxDigit: maxDigit)
            // Rebuild the value in 4 × 64-bit limbs with signed carries.
            var acc = [Int64](repeating: 0, count: 260)
            for i in 0..<256 {
                let d = Int(digits[i])
                #expect(d == 0 || (d & 1 == 1 && abs(d) <= maxDigit))
                acc[i] = Int64(d)
            }
            var bits = [UInt8](repeating: 0, count: 260)
            var carry: Int64 = 0
            for i in 0..<260 {
                let v = acc[i] + carry
                bits[i] = UInt8(v & 1)
                carry = (v - Int64(bits[i])) / 2
            }
            #expect(carry == 0)
            let expected = (0..<256).map { UInt8((scalar.limbs[$0 / 64] >> UInt64($0 % 64)) & 1) }
            #expect(Array(bits[0..<256]) == expected)
        }
    }

    @Test func fieldInverseAndSquareRootOfMinusOne() {
        let i = Curve25519.FieldElement.sqrtMinusOne
        #expect((i * i).equals(-Curve25519.FieldElement.one))
        var x = Curve25519.FieldElement(123_456_789, 987_654_321, 42, 7, 1 << 50)
        for _ in 0..<20 {
            #expect((x * x.inverted()).equals(.one))
            x = x.squared() + .one
        }
        #expect(Curve25519.FieldElement.zero.inverted().isZero)
    }

    /// Values at and just above p encode as their canonical residues.
    @Test func canonicalEncoding() {
        let m = Curve25519.FieldElement.mask
        let p = Curve25519.FieldElement(m - 18, m, m, m, m)
        #expect(p.isZero)
        let pPlusOne = Curve25519.FieldElement(m - 17, m, m, m, m)
        #expect(pPlusOne.equals(.one))
        let twoToThe255 = Curve25519.FieldElement(m + 1, m, m, m, m).carried()  // 2^255 ≡ 19
        #expect(ed25519Hex(Array(twoToThe255.encoded.span.withUnsafeBytes { Array($0) }))
            == "13" + String(repeating: "00", count: 31))
    }

    @Test func basepointIsOnCurveAndHasPrimeOrder() {
        let b = Curve25519.ExtendedPoint.basepoint
        let encoded = b.projective.encoded.span.withUnsafeBytes { Array($0) }
        #expect(ed25519Hex(encoded) == "5866666666666666666666666666666666666666666666666666666666666666")
        #expect(!b.hasSmallOrder)
        // [L]B = identity: [S]B + [k]P with k = 0, S = L − 1 gives −B.
        let lMinusOne = ed25519Bytes("ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
        let s = lMinusOne.withUnsafeBytes { Curve25519.Scalar(canonical: $0, offset: 0)! }
        let zero = Curve25519.Scalar(limbs: [0, 0, 0, 0])
        let minusB = Curve25519.doubleScalarMultiplyBasepoint(zero, b, s)
        var expected = encoded
        expected[31] |= 0x80  // −B: same y, x negated (B's x is even, so −B's is odd)
        #expect(minusB.encoded.span.withUnsafeBytes { Array($0) } == expected)
    }

    /// The constant table of [1]B, [3]B, …, [15]B matches multiples computed from B.
    @Test func basepointTableMatchesComputedMultiples() {
        let computed = Curve25519.oddMultiples(of: .basepoint)
        for i in 0..<8 {
            let c = computed[i]
            let t = Curve25519.basepointOddMultiple(i)
            let zInverse = c.Z.inverted()
            #expect((c.yPlusX * zInverse).equals(t.yPlusX))
            #expect((c.yMinusX * zInverse).equals(t.yMinusX))
            #expect((c.T2d * zInverse).equals(t.xy2d))
        }
    }
}
