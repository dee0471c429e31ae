extension Curve25519 {
    /// [a]P + [b]B for the base point B, variable time (Straus–Shamir with signed sliding
    /// windows, as in ref10's `ge_double_scalarmult_vartime`): one shared chain of ~253
    /// doublings, plus an addition wherever either scalar has a nonzero window digit.
    ///
    /// The odd multiples of B come from a constant table (``basepointOddMultiples``, in flash on
    /// target); the rest lives on the stack: the table of P's odd multiples (8 points, 1.25 KiB),
    /// two digit arrays (512 bytes) and the running point.
    static func doubleScalarMultiplyBasepoint(
        _ a: Scalar, _ p: ExtendedPoint, _ b: Scalar
    ) -> ProjectivePoint {
        let aDigits = a.slidingWindow(maxDigit: 15)
        let bDigits = b.slidingWindow(maxDigit: 15)
        let pTable = oddMultiples(of: p)

        var i = 255
        while i >= 0 && aDigits[i] == 0 && bDigits[i] == 0 { i -= 1 }

        var r = ProjectivePoint.identity
        while i >= 0 {
            var t = r.doubled()
            let da = Int(aDigits[i])
            if da > 0 {
                t = t.extended + pTable[da >> 1]
            } else if da < 0 {
                t = t.extended - pTable[(-da) >> 1]
            }
            let db = Int(bDigits[i])
            if db > 0 {
                t = t.extended + basepointOddMultiple(db >> 1)
            } else if db < 0 {
                t = t.extended - basepointOddMultiple((-db) >> 1)
            }
            r = t.projective
            i -= 1
        }
        return r
    }

    /// [1]P, [3]P, [5]P, …, [15]P in cached form.
    static func oddMultiples(of p: ExtendedPoint) -> InlineArray<8, ProjectiveNielsPoint> {
        var table = InlineArray<8, ProjectiveNielsPoint>(repeating: p.niels)
        let twice = p.doubled().niels
        var current = p
        for i in 1..<8 {
            current = (current + twice).extended
            table[i] = current.niels
        }
        return table
    }
}
