extension Curve25519 {
    /// Scalars modulo the prime group order L = 2^252 + 27742317777372353535851937790883648493,
    /// as four little-endian 64-bit limbs.
    struct Scalar: Sendable {
        var limbs: InlineArray<4, UInt64>

        init(limbs: InlineArray<4, UInt64>) { self.limbs = limbs }

        /// L, little-endian limbs.
        @inline(__always)
        static var order: InlineArray<4, UInt64> {
            [0x5812_631a_5cf5_d3ed, 0x14de_f9de_a2f7_9cd6, 0x0000_0000_0000_0000, 0x1000_0000_0000_0000]
        }

        /// The 256-bit little-endian value in `bytes[offset ..< offset + 32]` (bounds checked by the
        /// caller), or nil when it is not below L. RFC 8032 §5.1.7 step 1 and §8.4: accepting an
        /// S ≥ L would let anyone turn one signature into another (S + L verifies too).
        init?(canonical bytes: UnsafeRawBufferPointer, offset: Int) {
            var limbs = InlineArray<4, UInt64>(repeating: 0)
            for i in 0..<4 {
                limbs[i] = FieldElement.loadLittleEndian(bytes, offset + 8 * i)
            }
            let order = Scalar.order
            var i = 3
            while true {
                if limbs[i] < order[i] { break }
                if limbs[i] > order[i] { return nil }
                if i == 0 { return nil }  // equal to L
                i -= 1
            }
            self.limbs = limbs
        }

        /// The 512-bit little-endian `digest` reduced modulo L (RFC 8032 §5.1.7 step 2:
        /// k = SHA-512(R ‖ A ‖ M) mod L).
        ///
        /// Barrett reduction (Handbook of Applied Cryptography, algorithm 14.42) with base 2^64
        /// and k = 4 limbs: no division, a fixed number of multiplications, at most two final
        /// subtractions of L.
        init(reducing digest: SHA512.Digest) {
            var x = InlineArray<8, UInt64>(repeating: 0)
            digest.withUnsafeBytes { raw in
                for i in 0..<8 { x[i] = FieldElement.loadLittleEndian(raw, 8 * i) }
            }
            // μ = ⌊2^512 / L⌋ (261 bits).
            let mu: InlineArray<5, UInt64> = [
                0xed9c_e5a3_0a2c_131b, 0x2106_215d_0863_29a7, 0xffff_ffff_ffff_ffeb, 0xffff_ffff_ffff_ffff,
                0x0000_0000_0000_000f,
            ]
            let order = Scalar.order
            let l5: InlineArray<5, UInt64> = [order[0], order[1], order[2], order[3], 0]

            // q1 = ⌊x / b^3⌋, q3 = ⌊q1·μ / b^5⌋.
            let q1: InlineArray<5, UInt64> = [x[3], x[4], x[5], x[6], x[7]]
            let q2 = Scalar.multiply(q1, mu)
            let q3: InlineArray<5, UInt64> = [q2[5], q2[6], q2[7], q2[8], q2[9]]
            // r = (x mod b^5) − (q3·L mod b^5), modulo b^5.
            let q3l = Scalar.multiply(q3, l5)
            var r = InlineArray<5, UInt64>(repeating: 0)
            var borrow = false
            for i in 0..<5 {
                let (d1, o1) = x[i].subtractingReportingOverflow(q3l[i])
                let (d2, o2) = d1.subtractingReportingOverflow(borrow ? 1 : 0)
                r[i] = d2
                borrow = o1 || o2
            }
            // 0 ≤ r < 3L now; bring it below L.
            for _ in 0..<2 {
                if Scalar.isLess(r, than: l5) { break }
                var borrow = false
                for i in 0..<5 {
                    let (d1, o1) = r[i].subtractingReportingOverflow(l5[i])
                    let (d2, o2) = d1.subtractingReportingOverflow(borrow ? 1 : 0)
                    r[i] = d2
                    borrow = o1 || o2
                }
            }
            self.limbs = [r[0], r[1], r[2], r[3]]
        }

        private static func isLess(_ a: InlineArray<5, UInt64>, than b: InlineArray<5, UInt64>) -> Bool {
            var i = 4
            while true {
                if a[i] != b[i] { return a[i] < b[i] }
                if i == 0 { return false }
                i -= 1
            }
        }

        /// The full 640-bit product of two 320-bit values (schoolbook).
        private static func multiply(
            _ a: InlineArray<5, UInt64>, _ b: InlineArray<5, UInt64>
        ) -> InlineArray<10, UInt64> {
            var t = InlineArray<10, UInt64>(repeating: 0)
            for i in 0..<5 {
                var carry: UInt64 = 0
                for j in 0..<5 {
                    let (hi, lo) = a[i].multipliedFullWidth(by: b[j])
                    let (s1, o1) = t[i + j].addingReportingOverflow(lo)
                    let (s2, o2) = s1.addingReportingOverflow(carry)
                    t[i + j] = s2
                    // hi ≤ 2^64 − 2, so adding two carry bits cannot overflow.
                    carry = hi &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
                }
                t[i + 5] = carry
            }
            return t
        }

        /// Signed sliding-window digits (ref10's `slide`): 256 digits, each zero or odd with
        /// |digit| ≤ `maxDigit`, such that Σ digit[i]·2^i equals the scalar, and nonzero digits
        /// separated by runs of zeros. Needs a scalar below 2^255 (every reduced scalar is).
        func slidingWindow(maxDigit: Int) -> InlineArray<256, Int8> {
            var r = InlineArray<256, Int8>(repeating: 0)
            slidingWindow(maxDigit: maxDigit, into: &r)
            return r
        }

        /// ``slidingWindow(maxDigit:)`` written into `r` (no copy of the 256 digits).
        func slidingWindow(maxDigit: Int, into r: inout InlineArray<256, Int8>) {
            for i in 0..<256 {
                r[i] = Int8(truncatingIfNeeded: (limbs[i &>> 6] &>> UInt64(i & 63)) & 1)
            }
            for i in 0..<256 where r[i] != 0 {
                var b = 1
                while b <= 8 && i + b < 256 {
                    defer { b += 1 }
                    let next = Int(r[i + b])
                    if next == 0 { continue }
                    let current = Int(r[i])
                    let shifted = next << b
                    if current + shifted <= maxDigit {
                        r[i] = Int8(current + shifted)
                        r[i + b] = 0
                    } else if current - shifted >= -maxDigit {
                        r[i] = Int8(current - shifted)
                        // Add 2^(i+b): propagate the carry upwards.
                        var k = i + b
                        while k < 256 {
                            if r[k] == 0 {
                                r[k] = 1
                                break
                            }
                            r[k] = 0
                            k += 1
                        }
                    } else {
                        break
                    }
                }
            }
        }
    }
}
