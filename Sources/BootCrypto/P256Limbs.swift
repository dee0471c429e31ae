/// A 256-bit unsigned integer as four 64-bit limbs, least significant first, held inline.
///
/// The arithmetic underneath P-256 field (mod p) and scalar (mod n) elements: Montgomery
/// multiplication with R = 2^256, modular add and subtract, big-endian byte conversion. Stored
/// properties rather than an array, so the optimizer keeps limbs in registers and no bounds checks
/// sit on the hot path. `multipliedFullWidth(by:)` compiles inline on x86-64 (`mulq`) and on
/// armv7em (`umull`/`umlal` sequences); nothing here divides.
///
/// Nothing here is constant time. ECDSA verification handles only public data (digest, signature,
/// public key), so branching on values leaks nothing secret.
@usableFromInline
struct P256Limbs: Equatable, Sendable {
    @usableFromInline var l0: UInt64
    @usableFromInline var l1: UInt64
    @usableFromInline var l2: UInt64
    @usableFromInline var l3: UInt64

    @inline(__always)
    init(_ l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64) {
        self.l0 = l0
        self.l1 = l1
        self.l2 = l2
        self.l3 = l3
    }

    static let zero = P256Limbs(0, 0, 0, 0)

    var isZero: Bool { (l0 | l1 | l2 | l3) == 0 }

    var isOdd: Bool { l0 & 1 == 1 }

    /// `self < other` as unsigned integers.
    @inline(__always)
    func isLess(than other: P256Limbs) -> Bool {
        if l3 != other.l3 { return l3 < other.l3 }
        if l2 != other.l2 { return l2 < other.l2 }
        if l1 != other.l1 { return l1 < other.l1 }
        return l0 < other.l0
    }

    /// Big-endian bytes of at most 32 bytes (a DER INTEGER magnitude or a coordinate), or nil when
    /// there are more than 32. Shorter inputs are the low-order bytes (implicit leading zeros).
    init?(bigEndian bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        guard count <= 32 else { return nil }
        var limbs: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        // Byte at index count-1-k is bit position 8k.
        for k in 0..<count {
            let byte = UInt64(bytes[count - 1 - k])
            let shift = UInt64(truncatingIfNeeded: (k & 7) << 3)
            switch k >> 3 {
            case 0: limbs.0 |= byte << shift
            case 1: limbs.1 |= byte << shift
            case 2: limbs.2 |= byte << shift
            default: limbs.3 |= byte << shift
            }
        }
        self.init(limbs.0, limbs.1, limbs.2, limbs.3)
    }

    // MARK: - Add and subtract

    /// x + y + carry (carry 0 or 1), and the carry out (0 or 1).
    @inline(__always)
    static func addWithCarry(_ x: UInt64, _ y: UInt64, _ carry: UInt64) -> (UInt64, UInt64) {
        let (s1, o1) = x.addingReportingOverflow(y)
        let (s2, o2) = s1.addingReportingOverflow(carry)
        return (s2, (o1 ? 1 : 0) | (o2 ? 1 : 0))
    }

    /// x − y − borrow (borrow 0 or 1), and the borrow out (0 or 1).
    @inline(__always)
    static func subtractWithBorrow(_ x: UInt64, _ y: UInt64, _ borrow: UInt64) -> (UInt64, UInt64) {
        let (d1, o1) = x.subtractingReportingOverflow(y)
        let (d2, o2) = d1.subtractingReportingOverflow(borrow)
        return (d2, (o1 ? 1 : 0) | (o2 ? 1 : 0))
    }

    /// `self + other`, and the carry out of bit 256.
    @inline(__always)
    func addingReportingCarry(_ other: P256Limbs) -> (sum: P256Limbs, carry: Bool) {
        var c: UInt64
        let s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
        (s0, c) = Self.addWithCarry(l0, other.l0, 0)
        (s1, c) = Self.addWithCarry(l1, other.l1, c)
        (s2, c) = Self.addWithCarry(l2, other.l2, c)
        (s3, c) = Self.addWithCarry(l3, other.l3, c)
        return (P256Limbs(s0, s1, s2, s3), c != 0)
    }

    /// `self - other` modulo 2^256, and whether it borrowed (`self < other`).
    @inline(__always)
    func subtractingReportingBorrow(_ other: P256Limbs) -> (difference: P256Limbs, borrow: Bool) {
        var b: UInt64
        let d0: UInt64, d1: UInt64, d2: UInt64, d3: UInt64
        (d0, b) = Self.subtractWithBorrow(l0, other.l0, 0)
        (d1, b) = Self.subtractWithBorrow(l1, other.l1, b)
        (d2, b) = Self.subtractWithBorrow(l2, other.l2, b)
        (d3, b) = Self.subtractWithBorrow(l3, other.l3, b)
        return (P256Limbs(d0, d1, d2, d3), b != 0)
    }

    /// `(self + other) mod m` for `self, other < m`.
    @inline(__always)
    func adding(_ other: P256Limbs, modulo m: P256Limbs) -> P256Limbs {
        let (sum, carry) = addingReportingCarry(other)
        let (reduced, borrow) = sum.subtractingReportingBorrow(m)
        // sum < 2m: subtract m when the true sum (carry included) is at least m.
        return (carry || !borrow) ? reduced : sum
    }

    /// `(self - other) mod m` for `self, other < m`.
    @inline(__always)
    func subtracting(_ other: P256Limbs, modulo m: P256Limbs) -> P256Limbs {
        let (difference, borrow) = subtractingReportingBorrow(other)
        return borrow ? difference.addingReportingCarry(m).sum : difference
    }

    // MARK: - Montgomery multiplication

    /// `lo + a·b + carry` as (high, low) words; cannot overflow 128 bits.
    @inline(__always)
    static func multiplyAdd(_ a: UInt64, _ b: UInt64, _ lo: UInt64, _ carry: UInt64) -> (UInt64, UInt64) {
        let (h, l) = a.multipliedFullWidth(by: b)
        let (l1, o1) = l.addingReportingOverflow(lo)
        let (l2, o2) = l1.addingReportingOverflow(carry)
        return (h &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0), l2)
    }

    /// One CIOS round: t += a·bi, then t = (t + q·m) / 2^64 with q = t0·m0inv so the low word
    /// vanishes. The accumulator is five words t0…t4 (t4 at most 1 bit beyond 256 between rounds).
    @inline(__always)
    static func montgomeryRound(
        _ t0: inout UInt64, _ t1: inout UInt64, _ t2: inout UInt64, _ t3: inout UInt64, _ t4: inout UInt64,
        _ a: P256Limbs, _ bi: UInt64, _ m: P256Limbs, _ m0inv: UInt64
    ) {
        var c: UInt64
        (c, t0) = multiplyAdd(a.l0, bi, t0, 0)
        (c, t1) = multiplyAdd(a.l1, bi, t1, c)
        (c, t2) = multiplyAdd(a.l2, bi, t2, c)
        (c, t3) = multiplyAdd(a.l3, bi, t3, c)
        let (s4, o4) = t4.addingReportingOverflow(c)
        let t5: UInt64 = o4 ? 1 : 0

        let q = t0 &* m0inv
        c = multiplyAdd(q, m.l0, t0, 0).0  // the low word is zero by construction of q
        (c, t0) = multiplyAdd(q, m.l1, t1, c)
        (c, t1) = multiplyAdd(q, m.l2, t2, c)
        (c, t2) = multiplyAdd(q, m.l3, t3, c)
        let (s3, o3) = s4.addingReportingOverflow(c)
        t3 = s3
        t4 = t5 &+ (o3 ? 1 : 0)
    }

    /// `a·b·2^-256 mod m` for an odd modulus `m` < 2^256 with `m0inv = -m^-1 mod 2^64`. Needs
    /// `a·b < m·2^256` (true when either operand is below m); the result is fully reduced (< m).
    @inline(__always)
    static func montgomeryMultiply(_ a: P256Limbs, _ b: P256Limbs, modulus m: P256Limbs, m0inv: UInt64) -> P256Limbs {
        var t0: UInt64 = 0, t1: UInt64 = 0, t2: UInt64 = 0, t3: UInt64 = 0, t4: UInt64 = 0
        for i in 0..<4 {
            let bi = i == 0 ? b.l0 : i == 1 ? b.l1 : i == 2 ? b.l2 : b.l3
            montgomeryRound(&t0, &t1, &t2, &t3, &t4, a, bi, m, m0inv)
        }
        // t < 2m: one conditional subtraction.
        let t = P256Limbs(t0, t1, t2, t3)
        let (reduced, borrow) = t.subtractingReportingBorrow(m)
        return (t4 != 0 || !borrow) ? reduced : t
    }
}
