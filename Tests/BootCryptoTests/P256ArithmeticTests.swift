@testable import BootCrypto
import Testing

/// Checks of the internals the ECDSA vectors exercise only indirectly. Expected values were
/// computed with Python's integers (`pow(x, -1, p)`, affine addition mod p).
@Suite struct P256ArithmeticTests {
    static let generator = P256AffinePoint.generator

    static func affine(_ p: P256JacobianPoint) -> (Number256, Number256)? {
        guard !p.isInfinity else { return nil }
        let n = p.normalized()
        return (n.x.canonical, n.y.canonical)
    }

    static func field(_ w: InlineArray<8, UInt32>) -> P256FieldElement { P256FieldElement(canonical: Number256(w))! }

    @Test func generatorIsOnTheCurve() {
        #expect(Self.generator.isOnCurve)
        #expect(P256FieldElement.one.canonical == Number256(small: 1))
        #expect(P256FieldElement(canonical: Number256(small: 1))! == .one)
        #expect(P256FieldElement(canonical: Modulus256.p256Prime.m) == nil)
    }

    @Test func fieldArithmeticMatchesIntegers() {
        let a = Self.field([0x52e6_b438, 0xf2a7_4de4, 0x269e_0d37, 0x6513_270e, 0xa6a3_a450, 0x0c5c_7fd0, 0x128b_2f33, 0xd23f_0824])
        let b = Self.field([0x892f_902b, 0x1818_e811, 0x5d9d_c9f8, 0x9531_985d, 0x0ed9_0475, 0xe8e2_5d94, 0x81e7_4ef5, 0x36f6_75cc])
        #expect((a * b).canonical == Number256([0x58be_0737, 0xe3a7_9ea9, 0x3856_7705, 0x80c2_fafb, 0xd956_0238, 0xdc2e_c5ca, 0xa9cc_1a6b, 0x8a07_38a0]))
        #expect((a + b).canonical == Number256([0xdc16_4464, 0x0ac0_35f5, 0x843b_d730, 0xfa44_bf6a, 0xb57c_a8c5, 0xf53e_dd64, 0x9472_7e27, 0x0935_7df1]))
        #expect((a - b).canonical == Number256([0xc9b7_240d, 0xda8e_65d2, 0xc900_433f, 0xcfe1_8eb0, 0x97ca_9fda, 0x237a_223c, 0x90a3_e03d, 0x9b48_9257]))
        #expect((b - a).canonical == Number256([0x3648_dbf2, 0x2571_9a2d, 0x36ff_bcc0, 0x301e_7150, 0x6835_6025, 0xdc85_ddc3, 0x6f5c_1fc3, 0x64b7_6da7]))
        #expect(a * a.inverse() == .one)
        #expect(P256FieldElement.zero.inverse() == .zero)
    }

    @Test func scalarMultiplicationMatchesIntegers() {
        let order = Modulus256.p256Order
        let a = Number256([0x0999_50d8, 0x1600_a35a, 0x6f03_675a, 0x6b0d_549b, 0x11e2_0b8f, 0x3d9c_1724, 0x1738_f7d9, 0x8d11_6ece])
        let b = Number256([0x6cad_4a26, 0x0f21_ddb6, 0xd3ac_94af, 0x90c1_92cf, 0x1fb1_7c23, 0xf28c_105d, 0x3926_3059, 0xa170_b338])
        // Montgomery(a)·b·R⁻¹ = a·b.
        #expect(order.multiply(order.montgomery(a), b) == Number256([0x4f16_84d3, 0x55fd_fdd7, 0x26ea_6ca7, 0x096c_ed4a, 0xd9e7_5788, 0x685e_4b4e, 0x51e0_328a, 0xffa7_ceb7]))
    }

    @Test func scalarInverse() {
        let order = Modulus256.p256Order
        for value in [
            Number256(small: 1), Number256(small: 2),
            Number256([0x9abc_def0, 0x1234_5678, 0x8765_4321, 0x0fed_cba9, 0x3333_4444, 0x1111_2222, 0x7777_8888, 0x5555_6666]),
            order.m.subtractingReportingBorrow(Number256(small: 1)).difference,
        ] {
            let inverse = order.inverse(order.montgomery(value))  // value⁻¹·R
            // value · (value⁻¹·R) · R⁻¹ = 1.
            #expect(order.multiply(value, inverse) == Number256(small: 1))
        }
    }

    @Test func bytesRoundTrip() {
        let bytes: [UInt8] = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let number = bytes.withUnsafeBytes { Number256(bigEndian: $0) }!
        #expect(number.bigEndianBytes() == bytes)
        #expect([UInt8](repeating: 1, count: 33).withUnsafeBytes { Number256(bigEndian: $0) } == nil)
        #expect([UInt8]([0x01, 0x02]).withUnsafeBytes { Number256(bigEndian: $0) } == Number256(small: 0x0102))
    }

    /// u1·G + u2·Q against the integer computation.
    @Test func doubleScalarMultiplication() {
        let q = P256AffinePoint(
            x: Self.field([0xf9da_d812, 0xf9f9_21e9, 0x5b64_9cc9, 0xb2f7_3394, 0x8b3a_9122, 0x6691_87e1, 0x0ee9_e34a, 0x26ef_cebd]),
            y: Self.field([0x5872_d0e6, 0xbf40_7074, 0x744b_6f31, 0xe705_5205, 0x704d_d25a, 0x0d15_0c67, 0x9cc7_bb33, 0x9023_8bde]))
        #expect(q.isOnCurve)
        let u1 = Number256([0xa09f_76b5, 0x953f_48f1, 0xf29d_0da9, 0x0fd6_30f1, 0x93bd_04cf, 0x95e6_0af5, 0x658c_da14, 0x0cb1_e29c])
        let u2 = Number256([0xf9eb_dacc, 0x3898_d190, 0x0bec_d7b0, 0x8e81_973e, 0xdbc4_96cb, 0x2217_bead, 0x4a23_d596, 0x6b4c_b242])
        let r = Self.affine(P256Multiplication.generatorTimes(u1, plus: u2, times: q))
        #expect(r?.0 == Number256([0x2a64_f41b, 0x9aae_731e, 0x9b46_55fd, 0x360c_2b6d, 0xd0cc_fe3f, 0x04a1_1ce5, 0xdd58_9789, 0x0c82_0833]))
        #expect(r?.1 == Number256([0x937f_a54f, 0x82cf_7862, 0xa1ad_a162, 0xf9f0_26c6, 0xdd92_2f53, 0x8858_ad57, 0x5014_926b, 0xa318_2485]))
    }

    /// P + P through the addition formulas (the Shamir edge case) and P + (−P).
    @Test func additionSpecialCases() {
        let g = P256JacobianPoint(Self.generator)
        let twoG = g.doubled()
        let expectedTwoG = (
            Number256([0x4766_9978, 0xa60b_48fc, 0x77f2_1b35, 0xc089_69e2, 0x04b5_1ac3, 0x8a52_3803, 0x8d03_4f7e, 0x7cf2_7b18]),
            Number256([0x2278_73d1, 0x9e04_b79d, 0x3ce9_8229, 0xba7d_ade6, 0x9f74_30db, 0x293d_9ac6, 0xdb8e_d040, 0x0777_5510]))
        #expect(Self.affine(twoG)! == expectedTwoG)
        #expect(Self.affine(g.adding(Self.generator))! == expectedTwoG)
        // An accumulator with Z ≠ 1 plus G, and 2G (made affine) plus G, give the same sum.
        let twoGAffine = twoG.affine!
        #expect(Self.affine(twoG.adding(Self.generator))! == Self.affine(g.adding(twoGAffine))!)
        #expect(Self.affine(twoG.adding(twoGAffine))! == Self.affine(twoG.doubled())!)
        let minusG = P256AffinePoint(x: Self.generator.x, y: -Self.generator.y)
        #expect(g.adding(minusG).isInfinity)
        #expect(twoG.adding(P256AffinePoint(x: twoGAffine.x, y: -twoGAffine.y)).isInfinity)
        #expect(P256JacobianPoint.infinity.adding(Self.generator).affine == Self.generator)
        #expect(P256JacobianPoint.infinity.doubled().isInfinity)
        // n·G = infinity, through the double-scalar path: (n−1)·G + 1·G, and G + (−G) as the
        // precomputed sum when Q = −G.
        let nMinus1 = Modulus256.p256Order.m.subtractingReportingBorrow(Number256(small: 1)).difference
        #expect(P256Multiplication.generatorTimes(nMinus1, plus: Number256(small: 1), times: Self.generator).isInfinity)
        let negatedG = P256AffinePoint(x: Self.generator.x, y: -Self.generator.y)
        #expect(Self.affine(P256Multiplication.generatorTimes(Number256(small: 3), plus: Number256(small: 1), times: negatedG))! == expectedTwoG)
        #expect(Self.affine(P256Multiplication.generatorTimes(.zero, plus: Number256(small: 2), times: Self.generator))! == expectedTwoG)
        #expect(P256Multiplication.generatorTimes(.zero, plus: .zero, times: Self.generator).isInfinity)
    }
}

extension Number256 {
    /// The 32 big-endian bytes of this number (test-only: the verifier never encodes numbers).
    fileprivate func bigEndianBytes() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 32)
        let bytesPerWord = UInt.bitWidth / 8
        for k in 0..<32 {
            bytes[31 - k] = UInt8(truncatingIfNeeded: words[k / bytesPerWord] >> UInt((k % bytesPerWord) * 8))
        }
        return bytes
    }
}
