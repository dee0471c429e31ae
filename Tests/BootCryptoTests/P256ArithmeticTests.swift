@testable import BootCrypto
import Testing

/// Checks of the internals the ECDSA vectors exercise only indirectly.
@Suite struct P256ArithmeticTests {
    static let generator = P256AffinePoint(
        x: P256FieldElement(
            canonical: P256Limbs(0xf4a1_3945_d898_c296, 0x7703_7d81_2deb_33a0, 0xf8bc_e6e5_63a4_40f2, 0x6b17_d1f2_e12c_4247))!,
        y: P256FieldElement(
            canonical: P256Limbs(0xcbb6_4068_37bf_51f5, 0x2bce_3357_6b31_5ece, 0x8ee7_eb4a_7c0f_9e16, 0x4fe3_42e2_fe1a_7f9b))!)

    static func affine(_ p: P256JacobianPoint) -> (P256Limbs, P256Limbs)? {
        guard !p.isInfinity else { return nil }
        // Fermat inverse in the field, test-only: z^(p−2).
        var exponent = P256FieldElement.prime
        exponent.l0 -= 2
        var result = P256FieldElement.one
        for limb in [exponent.l3, exponent.l2, exponent.l1, exponent.l0] {
            for bit in (0..<64).reversed() {
                result = result.squared()
                if (limb >> UInt64(bit)) & 1 == 1 { result = result * p.z }
            }
        }
        let zi2 = result.squared()
        return ((p.x * zi2).canonical, (p.y * zi2 * result).canonical)
    }

    @Test func generatorIsOnTheCurve() {
        #expect(Self.generator.isOnCurve)
        #expect(P256FieldElement.one.canonical == P256Limbs(1, 0, 0, 0))
    }

    @Test func generatorTableHoldsOddMultiples() {
        let g = P256JacobianPoint(Self.generator)
        let twoG = g.doubled()
        var multiple = g
        #expect(P256GeneratorTable.words.count == 8 * P256GeneratorTable.count)
        for i in 0..<P256GeneratorTable.count {
            let entry = P256GeneratorTable.point(i)
            #expect(entry.isOnCurve)
            let expected = Self.affine(multiple)!
            #expect(entry.x.canonical == expected.0 && entry.y.canonical == expected.1, "\(2 * i + 1)·G")
            multiple = multiple.adding(twoG)
        }
    }

    @Test func scalarInverse() {
        for value in [
            P256Limbs(1, 0, 0, 0), P256Limbs(2, 0, 0, 0),
            P256Limbs(0x1234_5678_9abc_def0, 0x0fed_cba9_8765_4321, 0x1111_2222_3333_4444, 0x5555_6666_7777_8888),
            P256Scalar.order.subtractingReportingBorrow(P256Limbs(1, 0, 0, 0)).difference,
        ] {
            let inverse = P256Scalar.montgomeryInverse(value)  // value⁻¹·R
            // value · (value⁻¹·R) · R⁻¹ = 1.
            #expect(P256Scalar.montgomeryMultiply(value, inverse) == P256Limbs(1, 0, 0, 0))
        }
    }

    @Test func nonAdjacentFormReconstructsTheScalar() {
        let n = P256Scalar.order
        let samples = [
            P256Limbs.zero, P256Limbs(1, 0, 0, 0), P256Limbs(0xffff_ffff_ffff_ffff, 0, 0, 0),
            n.subtractingReportingBorrow(P256Limbs(1, 0, 0, 0)).difference,
            P256Limbs(0xaaaa_aaaa_aaaa_aaaa, 0x5555_5555_5555_5555, 0xffff_0000_ffff_0000, 0x8000_0000_0000_0001),
        ]
        for width in [5, 6] {
            for k in samples {
                var digits = InlineArray<257, Int8>(repeating: 0)
                let count = P256Multiplication.nonAdjacentForm(k, width: width, into: &digits)
                // Horner from the top: acc = 2·acc + digit, as a signed big integer in limbs.
                var acc = P256Limbs.zero
                var i = count - 1
                var lastNonZero = Int.max
                while i >= 0 {
                    acc = acc.addingReportingCarry(acc).sum
                    let d = Int(digits[i])
                    if d > 0 {
                        acc = acc.addingReportingCarry(P256Limbs(UInt64(d), 0, 0, 0)).sum
                    } else if d < 0 {
                        acc = acc.subtractingReportingBorrow(P256Limbs(UInt64(-d), 0, 0, 0)).difference
                    }
                    if d != 0 {
                        #expect(d & 1 == 1 && abs(d) < 1 << (width - 1))
                        #expect(lastNonZero - i >= width || lastNonZero == Int.max)
                        lastNonZero = i
                    }
                    i -= 1
                }
                #expect(acc == k)
            }
        }
    }

    /// P + P through the addition formulas (the Shamir edge case) and P + (−P).
    @Test func additionSpecialCases() {
        let g = P256JacobianPoint(Self.generator)
        let twoG = g.doubled()
        #expect(Self.affine(g.adding(g))! == Self.affine(twoG)!)
        #expect(Self.affine(twoG.adding(Self.generator))! == Self.affine(twoG.adding(g))!)
        #expect(Self.affine(g.adding(Self.generator))! == Self.affine(twoG)!)
        #expect(g.adding(g.negated()).isInfinity)
        #expect(g.adding(Self.generator.negated()).isInfinity)
        #expect(P256JacobianPoint.infinity.adding(g).x == g.x)
        #expect(P256JacobianPoint.infinity.doubled().isInfinity)
        // n·G = infinity, through the double-scalar path: (n−1)·G + 1·G.
        let nMinus1 = P256Scalar.order.subtractingReportingBorrow(P256Limbs(1, 0, 0, 0)).difference
        #expect(P256Multiplication.generatorTimes(nMinus1, plus: P256Limbs(1, 0, 0, 0), times: Self.generator).isInfinity)
        #expect(Self.affine(P256Multiplication.generatorTimes(.zero, plus: P256Limbs(2, 0, 0, 0), times: Self.generator))! == Self.affine(twoG)!)
    }
}
