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
        // Filled in place: returning these by value costs extra stack copies under -Osize.
        var aDigits = InlineArray<256, Int8>(repeating: 0)
        a.slidingWindow(maxDigit: 15, into: &aDigits)
        var bDigits = InlineArray<256, Int8>(repeating: 0)
        b.slidingWindow(maxDigit: 15, into: &bDigits)
        var pTable = InlineArray<8, ProjectiveNielsPoint>(repeating: p.niels)
        fillOddMultiples(of: p, into: &pTable)

        var i = 255
        while i >= 0 && aDigits[i] == 0 && bDigits[i] == 0 { i -= 1 }

        var r = ProjectivePoint.identity
        while i >= 0 {
            // The additions update `t` in place inside non-inlined callees, so their point-sized
            // temporaries live in a callee frame that is reused, not in this frame (under -Osize
            // every inlined call site returning a 160-byte point would get its own stack slot).
            var t = r.doubled()
            let da = Int(aDigits[i])
            if da != 0 {
                t.add(pTable[(da < 0 ? -da : da) >> 1], negated: da < 0)
            }
            let db = Int(bDigits[i])
            if db != 0 {
                t.add(basepointOddMultiple((db < 0 ? -db : db) >> 1), negated: db < 0)
            }
            r = t.projective
            i -= 1
        }
        return r
    }

    /// [1]P, [3]P, [5]P, …, [15]P in cached form.
    static func oddMultiples(of p: ExtendedPoint) -> InlineArray<8, ProjectiveNielsPoint> {
        var table = InlineArray<8, ProjectiveNielsPoint>(repeating: p.niels)
        fillOddMultiples(of: p, into: &table)
        return table
    }

    /// Writes [1]P, [3]P, …, [15]P into `table` (in place: no 1.25 KiB return copy).
    @inline(never)
    static func fillOddMultiples(of p: ExtendedPoint, into table: inout InlineArray<8, ProjectiveNielsPoint>) {
        let twice = p.doubled().niels
        var current = p
        table[0] = current.niels
        for i in 1..<8 {
            current = (current + twice).extended
            table[i] = current.niels
        }
    }
}
