/// Namespace for the arithmetic under Ed25519: the field GF(2^255 − 19), points of the twisted
/// Edwards curve −x² + y² = 1 + d·x²·y², and scalars modulo the group order L.
///
/// Everything here is variable-time. It only ever handles public data (keys, signatures, image
/// digests): a verifier holds no secret, so timing reveals nothing an attacker did not send.
enum Curve25519 {}

extension Curve25519 {
    /// An element of GF(p), p = 2^255 − 19, as five unsigned 51-bit limbs:
    /// `value = l0 + l1·2^51 + l2·2^102 + l3·2^153 + l4·2^204`.
    ///
    /// Limbs may exceed 51 bits between operations ("unreduced"); the bounds each operation needs
    /// and produces are stated on it. Products go through `UInt64.multipliedFullWidth(by:)` and sums
    /// of products through `UInt128` additions and constant shifts, which lower to inline
    /// instructions on armv7em as well as x86-64 (no `__multi3` or 128-bit division helper).
    struct FieldElement: Sendable {
        var l0: UInt64
        var l1: UInt64
        var l2: UInt64
        var l3: UInt64
        var l4: UInt64

        @inline(__always)
        init(_ l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64, _ l4: UInt64) {
            self.l0 = l0
            self.l1 = l1
            self.l2 = l2
            self.l3 = l3
            self.l4 = l4
        }

        @inline(__always) static var mask: UInt64 { (1 << 51) - 1 }

        @inline(__always) static var zero: FieldElement { FieldElement(0, 0, 0, 0, 0) }
        @inline(__always) static var one: FieldElement { FieldElement(1, 0, 0, 0, 0) }
        /// d = −121665/121666, the curve constant (RFC 8032 §5.1).
        @inline(__always) static var d: FieldElement {
            FieldElement(
                0x34dca135978a3, 0x1a8283b156ebd, 0x5e7a26001c029, 0x739c663a03cbb, 0x52036cee2b6ff)
        }
        /// 2·d, used by the extended-coordinate addition.
        @inline(__always) static var d2: FieldElement {
            FieldElement(
                0x69b9426b2f159, 0x35050762add7a, 0x3cf44c0038052, 0x6738cc7407977, 0x2406d9dc56dff)
        }
        /// √−1 = 2^((p−1)/4), for the square root in point decompression.
        @inline(__always) static var sqrtMinusOne: FieldElement {
            FieldElement(
                0x61b274a0ea0b0, 0x0d5a5fc8f189d, 0x7ef5e9cbd0c60, 0x78595a6804c9e, 0x2b8324804fc1d)
        }

        // MARK: Encoding

        /// The field element encoded little-endian in `bytes[offset ..< offset + 32]`, ignoring
        /// bit 255 (the sign of x in a point encoding). The caller has checked the bounds.
        /// The value may be ≥ p; ``isCanonicalEncoding(_:offset:)`` says whether it is.
        init(unsafeBytes bytes: UnsafeRawBufferPointer, offset: Int) {
            let w0 = FieldElement.loadLittleEndian(bytes, offset)
            let w1 = FieldElement.loadLittleEndian(bytes, offset + 8)
            let w2 = FieldElement.loadLittleEndian(bytes, offset + 16)
            let w3 = FieldElement.loadLittleEndian(bytes, offset + 24)
            let m = FieldElement.mask
            self.init(
                w0 & m,
                (w0 &>> 51 | w1 &<< 13) & m,
                (w1 &>> 38 | w2 &<< 26) & m,
                (w2 &>> 25 | w3 &<< 39) & m,
                (w3 &>> 12) & m)
        }

        /// True when the 255-bit little-endian value in `bytes[offset ..< offset + 32]` (bit 255
        /// ignored) is below p. RFC 8032 §5.1.3 step 1: a y ≥ p is a non-canonical encoding and is
        /// rejected, so every point has exactly one accepted encoding.
        static func isCanonicalEncoding(_ bytes: UnsafeRawBufferPointer, offset: Int) -> Bool {
            // p = 0x7fff…ffed: the value is ≥ p only when bytes 1…30 are 0xff, byte 31 is 0x7f
            // (after masking the sign) and byte 0 is ≥ 0xed.
            guard bytes[offset + 31] & 0x7F == 0x7F else { return true }
            for i in 1..<31 where bytes[offset + i] != 0xFF { return true }
            return bytes[offset] < 0xED
        }

        @inline(__always)
        static func loadLittleEndian(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }

        /// The canonical 32-byte little-endian encoding (value fully reduced below p; bit 255 clear).
        /// Accepts limbs up to 2^54.
        var encoded: InlineArray<32, UInt8> {
            var r = self.carried()
            // r < 2^255 + small. q = 1 exactly when r ≥ p, found by propagating the carry of r + 19.
            var q = (r.l0 &+ 19) &>> 51
            q = (r.l1 &+ q) &>> 51
            q = (r.l2 &+ q) &>> 51
            q = (r.l3 &+ q) &>> 51
            q = (r.l4 &+ q) &>> 51
            // r − q·p = r + 19q − q·2^255: add 19q, carry, drop bit 255.
            let m = FieldElement.mask
            r.l0 &+= 19 &* q
            r.l1 &+= r.l0 &>> 51
            r.l0 &= m
            r.l2 &+= r.l1 &>> 51
            r.l1 &= m
            r.l3 &+= r.l2 &>> 51
            r.l2 &= m
            r.l4 &+= r.l3 &>> 51
            r.l3 &= m
            r.l4 &= m

            let words: InlineArray<4, UInt64> = [
                r.l0 | r.l1 &<< 51,
                r.l1 &>> 13 | r.l2 &<< 38,
                r.l2 &>> 26 | r.l3 &<< 25,
                r.l3 &>> 39 | r.l4 &<< 12,
            ]
            var out = InlineArray<32, UInt8>(repeating: 0)
            for i in 0..<4 {
                let w = words[i]
                for j in 0..<8 {
                    out[8 * i + j] = UInt8(truncatingIfNeeded: w &>> UInt64(8 * j))
                }
            }
            return out
        }

        /// True when the fully reduced value is zero.
        var isZero: Bool {
            let e = encoded
            var acc: UInt8 = 0
            for i in 0..<32 { acc |= e[i] }
            return acc == 0
        }

        /// The low bit of the fully reduced value: the "sign" of x in RFC 8032's point encoding.
        var isNegative: Bool { encoded[0] & 1 == 1 }

        /// Equality of the values (not of the limb representations).
        func equals(_ other: FieldElement) -> Bool { (self - other).isZero }

        // MARK: Arithmetic

        /// The same value with every limb carried below 2^51 + 2^13 (input limbs up to 2^63).
        @inline(__always)
        func carried() -> FieldElement {
            let m = FieldElement.mask
            var r = self
            r.l1 &+= r.l0 &>> 51
            r.l0 &= m
            r.l2 &+= r.l1 &>> 51
            r.l1 &= m
            r.l3 &+= r.l2 &>> 51
            r.l2 &= m
            r.l4 &+= r.l3 &>> 51
            r.l3 &= m
            r.l0 &+= (r.l4 &>> 51) &* 19
            r.l4 &= m
            return r
        }

        /// Limb-wise sum without carrying: inputs below 2^52 give limbs below 2^53.
        @inline(__always)
        static func + (a: FieldElement, b: FieldElement) -> FieldElement {
            FieldElement(a.l0 &+ b.l0, a.l1 &+ b.l1, a.l2 &+ b.l2, a.l3 &+ b.l3, a.l4 &+ b.l4)
        }

        /// a − b computed as a + 16p − b, then carried: any limbs of b up to 2^54 (below the
        /// limbs of 16p), a up to 2^54; the result is carried (limbs below 2^51 + 2^13).
        @inline(__always)
        static func - (a: FieldElement, b: FieldElement) -> FieldElement {
            FieldElement(
                (a.l0 &+ 0x7F_FFFF_FFFF_FED0) &- b.l0,
                (a.l1 &+ 0x7F_FFFF_FFFF_FFF0) &- b.l1,
                (a.l2 &+ 0x7F_FFFF_FFFF_FFF0) &- b.l2,
                (a.l3 &+ 0x7F_FFFF_FFFF_FFF0) &- b.l3,
                (a.l4 &+ 0x7F_FFFF_FFFF_FFF0) &- b.l4
            ).carried()
        }

        /// −a (limbs of a up to 2^54); carried.
        @inline(__always)
        static prefix func - (a: FieldElement) -> FieldElement { FieldElement.zero - a }

        @inline(__always)
        private static func wide(_ a: UInt64, _ b: UInt64) -> UInt128 {
            let p = a.multipliedFullWidth(by: b)
            return UInt128(truncatingIfNeeded: p.high) &<< 64 | UInt128(truncatingIfNeeded: p.low)
        }

        /// Reduces five 128-bit column sums (each below 2^115) to carried limbs.
        @inline(__always)
        private static func reduce(
            _ c0: UInt128, _ c1: UInt128, _ c2: UInt128, _ c3: UInt128, _ c4: UInt128
        ) -> FieldElement {
            let m = FieldElement.mask
            var c1 = c1, c2 = c2, c3 = c3, c4 = c4
            // Each column sum < 2^115, so each carry fits a UInt64; c4 holds no factor 19, so
            // its carry is < 2^60 and 19 times it still fits.
            c1 &+= UInt128(truncatingIfNeeded: UInt64(truncatingIfNeeded: c0 &>> 51))
            var r0 = UInt64(truncatingIfNeeded: c0) & m
            c2 &+= UInt128(truncatingIfNeeded: UInt64(truncatingIfNeeded: c1 &>> 51))
            let r1 = UInt64(truncatingIfNeeded: c1) & m
            c3 &+= UInt128(truncatingIfNeeded: UInt64(truncatingIfNeeded: c2 &>> 51))
            let r2 = UInt64(truncatingIfNeeded: c2) & m
            c4 &+= UInt128(truncatingIfNeeded: UInt64(truncatingIfNeeded: c3 &>> 51))
            let r3 = UInt64(truncatingIfNeeded: c3) & m
            let carry = UInt64(truncatingIfNeeded: c4 &>> 51)
            let r4 = UInt64(truncatingIfNeeded: c4) & m
            r0 &+= carry &* 19
            let r1c = r1 &+ (r0 &>> 51)
            r0 &= m
            return FieldElement(r0, r1c, r2, r3, r4)
        }

        /// a·b with limbs of both up to 2^54; carried result (limbs below 2^51 + 2^13).
        static func * (a: FieldElement, b: FieldElement) -> FieldElement {
            // 2^255 ≡ 19: a column i + j ≥ 5 folds into column i + j − 5 times 19.
            let b1 = b.l1 &* 19, b2 = b.l2 &* 19, b3 = b.l3 &* 19, b4 = b.l4 &* 19
            let c0 = wide(a.l0, b.l0) &+ wide(a.l4, b1) &+ wide(a.l3, b2) &+ wide(a.l2, b3) &+ wide(a.l1, b4)
            let c1 = wide(a.l1, b.l0) &+ wide(a.l0, b.l1) &+ wide(a.l4, b2) &+ wide(a.l3, b3) &+ wide(a.l2, b4)
            let c2 = wide(a.l2, b.l0) &+ wide(a.l1, b.l1) &+ wide(a.l0, b.l2) &+ wide(a.l4, b3) &+ wide(a.l3, b4)
            let c3 = wide(a.l3, b.l0) &+ wide(a.l2, b.l1) &+ wide(a.l1, b.l2) &+ wide(a.l0, b.l3) &+ wide(a.l4, b4)
            let c4 = wide(a.l4, b.l0) &+ wide(a.l3, b.l1) &+ wide(a.l2, b.l2) &+ wide(a.l1, b.l3) &+ wide(a.l0, b.l4)
            return reduce(c0, c1, c2, c3, c4)
        }

        /// a², limbs up to 2^54; carried.
        func squared() -> FieldElement {
            let a0x2 = l0 &* 2, a1x2 = l1 &* 2, a2x2 = l2 &* 2, a3x2 = l3 &* 2
            let a3x19 = l3 &* 19, a4x19 = l4 &* 19
            let c0 = FieldElement.wide(l0, l0) &+ FieldElement.wide(a1x2, a4x19) &+ FieldElement.wide(a2x2, a3x19)
            let c1 = FieldElement.wide(a0x2, l1) &+ FieldElement.wide(a2x2, a4x19) &+ FieldElement.wide(l3, a3x19)
            let c2 = FieldElement.wide(a0x2, l2) &+ FieldElement.wide(l1, l1) &+ FieldElement.wide(a3x2, a4x19)
            let c3 = FieldElement.wide(a0x2, l3) &+ FieldElement.wide(a1x2, l2) &+ FieldElement.wide(l4, a4x19)
            let c4 = FieldElement.wide(a0x2, l4) &+ FieldElement.wide(a1x2, l3) &+ FieldElement.wide(l2, l2)
            return FieldElement.reduce(c0, c1, c2, c3, c4)
        }

        /// a^(2^n), n ≥ 1.
        func squared(times n: Int) -> FieldElement {
            var r = self.squared()
            var i = 1
            while i < n {
                r = r.squared()
                i += 1
            }
            return r
        }

        /// (a^(2^250 − 1), a^11): the shared prefix of the inversion and square-root chains
        /// (ref10's addition chain).
        private func pow22501() -> (FieldElement, FieldElement) {
            let t0 = self.squared()                       // 2
            let t1 = t0.squared(times: 2) * self          // 9
            let t11 = t0 * t1                             // 11
            let t5 = t11.squared() * t1                   // 2^5 − 1
            let t10 = t5.squared(times: 5) * t5           // 2^10 − 1
            let t20 = t10.squared(times: 10) * t10        // 2^20 − 1
            let t40 = t20.squared(times: 20) * t20        // 2^40 − 1
            let t50 = t40.squared(times: 10) * t10        // 2^50 − 1
            let t100 = t50.squared(times: 50) * t50       // 2^100 − 1
            let t200 = t100.squared(times: 100) * t100    // 2^200 − 1
            let t250 = t200.squared(times: 50) * t50      // 2^250 − 1
            return (t250, t11)
        }

        /// a^(p − 2) = a⁻¹ (0 for 0).
        func inverted() -> FieldElement {
            let (t250, t11) = pow22501()
            return t250.squared(times: 5) * t11           // 2^255 − 21
        }

        /// a^((p − 5)/8) = a^(2^252 − 3), for the square root of a fraction (RFC 8032 §5.1.3).
        func pow22523() -> FieldElement {
            let (t250, _) = pow22501()
            return t250.squared(times: 2) * self          // 2^252 − 3
        }
    }
}
