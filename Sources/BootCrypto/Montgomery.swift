/// Montgomery arithmetic modulo an odd `n` of `count` 64-bit limbs, with R = 2^(64·count).
///
/// Montgomery multiplication replaces the division of an ordinary modular product with a
/// multiply-and-shift: `multiply` returns a·b·R⁻¹ mod n. No 64-bit division appears anywhere (on
/// armv7em it would be a library call); the only per-modulus constant besides R² is
/// n' = −n⁻¹ mod 2^64, found by Newton iteration.
///
/// The operands are public (RSA verification handles no secrets), so the final conditional
/// subtraction branches.
enum Montgomery {
    /// −n₀⁻¹ mod 2^64 for the odd low limb `n0` of the modulus.
    ///
    /// Newton's iteration x ← x·(2 − n₀·x) doubles the number of correct low bits; x = n₀ is
    /// already right to 3 bits (n₀² ≡ 1 mod 8 for odd n₀), so 5 steps give 96 ≥ 64 bits.
    static func negatedInverse(_ n0: UInt64) -> UInt64 {
        precondition(n0 & 1 == 1, "Montgomery: the modulus must be odd")
        var x = n0
        for _ in 0..<5 {
            x = x &* (2 &- n0 &* x)
        }
        return 0 &- x
    }

    /// `r = a · b · R⁻¹ mod n` for `a, b < n` (then `r < n`).
    ///
    /// CIOS (Koç, Acar, Kaliski 1996, "Analyzing and comparing Montgomery multiplication
    /// algorithms") with the multiply and the reduction of each outer step fused into one inner
    /// loop. `t` is caller-lent scratch of `count` limbs; `r` may alias `a` or `b` (the result is
    /// built in `t` and copied out at the end).
    static func multiply(
        _ r: UnsafeMutablePointer<UInt64>,
        _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>,
        modulus n: UnsafePointer<UInt64>, negatedInverse n0inv: UInt64, count: Int,
        scratch t: UnsafeMutablePointer<UInt64>
    ) {
        t.update(repeating: 0, count: count)
        var top: UInt64 = 0  // t's limb at index `count`: 0 or 1, since t < 2n throughout
        for i in 0..<count {
            let bi = b[i]
            // Limb 0: choose m so that t + a·bᵢ + m·n is divisible by 2^64.
            var (h1, l1) = a[0].multipliedFullWidth(by: bi)
            var c: Bool
            (l1, c) = l1.addingReportingOverflow(t[0])
            h1 &+= c ? 1 : 0
            let m = l1 &* n0inv
            var (h2, l2) = m.multipliedFullWidth(by: n[0])
            (l2, c) = l2.addingReportingOverflow(l1)  // l2 == 0 by the choice of m
            h2 &+= c ? 1 : 0
            var carry1 = h1  // carry of the a·bᵢ chain
            var carry2 = h2  // carry of the m·n chain
            var j = 1
            while j < count {
                // a_j·bᵢ + t_j + carry1 ≤ (2^64−1)² + 2(2^64−1) = 2^128 − 1: no overflow.
                var (hi, lo) = a[j].multipliedFullWidth(by: bi)
                (lo, c) = lo.addingReportingOverflow(t[j])
                hi &+= c ? 1 : 0
                (lo, c) = lo.addingReportingOverflow(carry1)
                hi &+= c ? 1 : 0
                carry1 = hi
                var (hi2, lo2) = m.multipliedFullWidth(by: n[j])
                (lo2, c) = lo2.addingReportingOverflow(lo)
                hi2 &+= c ? 1 : 0
                (lo2, c) = lo2.addingReportingOverflow(carry2)
                hi2 &+= c ? 1 : 0
                carry2 = hi2
                t[j - 1] = lo2  // shifted down one limb: the division by 2^64
                j += 1
            }
            let (s1, o1) = carry1.addingReportingOverflow(carry2)
            let (s2, o2) = s1.addingReportingOverflow(top)
            t[count - 1] = s2
            top = (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
        }
        if top != 0 || !BigNum.isLess(UnsafePointer(t), n, count: count) {
            BigNum.subtract(r, UnsafePointer(t), n, count: count)
        } else {
            r.update(from: t, count: count)
        }
    }

    /// R² mod n, for a modulus whose top bit (bit 64·count − 1) is set.
    ///
    /// Starts from R mod n = R − n (which is < n because n > R/2), doubles it `odd` times, where
    /// 64·count = odd · 2^k, then squares k times in Montgomery form: squaring 2^e·R gives
    /// 2^(2e)·R, so after k squarings the value is 2^(64·count)·R = R² mod n. For 2048 bits that is
    /// 1 doubling and 11 squarings, for 3072 bits 3 doublings and 10 squarings, instead of the
    /// thousands of doublings (or a long division) of the textbook method.
    static func rSquared(
        _ out: UnsafeMutablePointer<UInt64>, modulus n: UnsafePointer<UInt64>,
        negatedInverse n0inv: UInt64, count: Int, scratch t: UnsafeMutablePointer<UInt64>
    ) {
        precondition(n[count - 1] >> 63 == 1, "Montgomery.rSquared: the modulus must fill its top limb")
        // R − n modulo R: two's complement of n over `count` limbs.
        out.update(repeating: 0, count: count)
        BigNum.subtract(out, UnsafePointer(out), n, count: count)
        var bits = 64 * count
        var squarings = 0
        while bits & 1 == 0 {
            bits >>= 1
            squarings += 1
        }
        for _ in 0..<bits {
            BigNum.doubleModulo(out, modulus: n, count: count)
        }
        for _ in 0..<squarings {
            multiply(
                out, UnsafePointer(out), UnsafePointer(out), modulus: n, negatedInverse: n0inv,
                count: count, scratch: t)
        }
    }
}
