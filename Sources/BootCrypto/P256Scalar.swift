/// Arithmetic modulo the P-256 group order
/// n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551, for the ECDSA scalars
/// u1 = e·s⁻¹ and u2 = r·s⁻¹. Montgomery multiplication with R = 2^256; the inverse is Fermat's
/// s^(n−2), which is slower than a binary GCD but short, branch-simple and runs once per verify.
enum P256Scalar {
    /// The group order n.
    @inline(__always)
    static var order: P256Limbs {
        P256Limbs(0xf3b9_cac2_fc63_2551, 0xbce6_faad_a717_9e84, 0xffff_ffff_ffff_ffff, 0xffff_ffff_0000_0000)
    }

    /// −n⁻¹ mod 2^64.
    @inline(__always)
    static var m0inv: UInt64 { 0xccd1_c8aa_ee00_bc4f }

    /// 2^512 mod n.
    @inline(__always)
    static var rSquared: P256Limbs {
        P256Limbs(0x8324_4c95_be79_eea2, 0x4699_799c_49bd_6fa6, 0x2845_b239_2b6b_ec59, 0x66e1_2d94_f3d9_5620)
    }

    /// 2^256 mod n: 1 in Montgomery form.
    @inline(__always)
    static var montgomeryOne: P256Limbs {
        P256Limbs(0x0c46_353d_039c_daaf, 0x4319_0552_58e8_617b, 0x0000_0000_0000_0000, 0x0000_0000_ffff_ffff)
    }

    /// True when 1 ≤ `value` ≤ n − 1 (the range ECDSA requires of r and s).
    static func isValidNonZero(_ value: P256Limbs) -> Bool {
        !value.isZero && value.isLess(than: order)
    }

    /// `value mod n` for any 256-bit value (2^256 < 2n, so one subtraction suffices).
    static func reduced(_ value: P256Limbs) -> P256Limbs {
        let (difference, borrow) = value.subtractingReportingBorrow(order)
        return borrow ? value : difference
    }

    @inline(__always)
    static func montgomeryMultiply(_ a: P256Limbs, _ b: P256Limbs) -> P256Limbs {
        P256Limbs.montgomeryMultiply(a, b, modulus: order, m0inv: m0inv)
    }

    /// s⁻¹·2^256 mod n (the inverse in Montgomery form) for 1 ≤ s < n, computed as
    /// (s·R)^(n−2) with a fixed 4-bit window over the public exponent n − 2.
    static func montgomeryInverse(_ s: P256Limbs) -> P256Limbs {
        let base = montgomeryMultiply(s, rSquared)  // s·R
        // Odd and even powers base^0 … base^15 in Montgomery form.
        var powers = InlineArray<16, P256Limbs>(repeating: montgomeryOne)
        powers[1] = base
        for i in 2..<16 {
            powers[i] = montgomeryMultiply(powers[i - 1], base)
        }
        // n − 2, most significant limb first.
        let exponent: InlineArray<4, UInt64> = [
            0xffff_ffff_0000_0000, 0xffff_ffff_ffff_ffff, 0xbce6_faad_a717_9e84, 0xf3b9_cac2_fc63_254f,
        ]
        var accumulator = montgomeryOne
        var first = true
        for limbIndex in 0..<4 {
            let limb = exponent[limbIndex]
            var shift = 60
            while shift >= 0 {
                let nibble = Int(truncatingIfNeeded: (limb >> UInt64(shift)) & 0xF)
                if first {
                    accumulator = powers[nibble]
                    first = false
                } else {
                    accumulator = montgomeryMultiply(accumulator, accumulator)
                    accumulator = montgomeryMultiply(accumulator, accumulator)
                    accumulator = montgomeryMultiply(accumulator, accumulator)
                    accumulator = montgomeryMultiply(accumulator, accumulator)
                    if nibble != 0 {
                        accumulator = montgomeryMultiply(accumulator, powers[nibble])
                    }
                }
                shift -= 4
            }
        }
        return accumulator
    }
}
