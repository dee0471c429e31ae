/// u1·G + u2·Q, the one scalar multiplication ECDSA verification needs, by Shamir's trick with
/// interleaved width-w NAFs: one shared chain of ~256 doublings, and an addition whenever either
/// scalar has a nonzero digit (about 256/(w+1) each). G uses the precomputed affine table
/// (width 6: 16 points, mixed additions); Q gets a width-5 table (8 Jacobian points) built per
/// call on the stack. No heap: digits and tables are `InlineArray`s.
enum P256Multiplication {
    /// The width-`width` NAF of `scalar` (< 2^256 − 2^width), least significant digit first: every
    /// nonzero digit is odd, |digit| < 2^(width−1), and any two nonzero digits are at least `width`
    /// positions apart. Writes the digits into `digits` (which must be all zeros) and returns the
    /// index one past the highest nonzero digit. (An `inout` buffer rather than a returned value:
    /// a 257-byte result copied through the caller costs stack and code on Cortex-M.)
    static func nonAdjacentForm(_ scalar: P256Limbs, width: Int, into digits: inout InlineArray<257, Int8>) -> Int {
        var k = scalar
        let modulus = 1 << width
        let half = modulus >> 1
        var i = 0
        var count = 0
        while !k.isZero && i < 257 {
            if k.isOdd {
                var digit = Int(truncatingIfNeeded: k.l0) & (modulus - 1)
                if digit >= half { digit -= modulus }
                digits[i] = Int8(truncatingIfNeeded: digit)
                count = i + 1
                if digit > 0 {
                    k = k.subtractingReportingBorrow(P256Limbs(UInt64(digit), 0, 0, 0)).difference
                } else {
                    k = k.addingReportingCarry(P256Limbs(UInt64(-digit), 0, 0, 0)).sum
                }
            }
            k = P256Limbs(
                (k.l0 >> 1) | (k.l1 << 63), (k.l1 >> 1) | (k.l2 << 63), (k.l2 >> 1) | (k.l3 << 63), k.l3 >> 1)
            i += 1
        }
        return count
    }

    /// u1·G + u2·Q for scalars below n (either may be zero) and a validated point Q.
    static func generatorTimes(_ u1: P256Limbs, plus u2: P256Limbs, times q: P256AffinePoint) -> P256JacobianPoint {
        var naf1 = InlineArray<257, Int8>(repeating: 0)
        var naf2 = InlineArray<257, Int8>(repeating: 0)
        let count1 = nonAdjacentForm(u1, width: 6, into: &naf1)
        let count2 = nonAdjacentForm(u2, width: 5, into: &naf2)

        // Q, 3Q, 5Q, …, 15Q.
        let q1 = P256JacobianPoint(q)
        let q2 = q1.doubled()
        var qTable = InlineArray<8, P256JacobianPoint>(repeating: q1)
        for i in 1..<8 {
            qTable[i] = qTable[i - 1].adding(q2)
        }

        var accumulator = P256JacobianPoint.infinity
        var i = max(count1, count2) - 1
        while i >= 0 {
            if !accumulator.isInfinity {
                accumulator = accumulator.doubled()
            }
            let d1 = Int(naf1[i])
            if d1 > 0 {
                accumulator = accumulator.adding(P256GeneratorTable.point(d1 >> 1))
            } else if d1 < 0 {
                accumulator = accumulator.adding(P256GeneratorTable.point((-d1) >> 1).negated())
            }
            let d2 = Int(naf2[i])
            if d2 > 0 {
                accumulator = accumulator.adding(qTable[d2 >> 1])
            } else if d2 < 0 {
                accumulator = accumulator.adding(qTable[(-d2) >> 1].negated())
            }
            i -= 1
        }
        return accumulator
    }
}
