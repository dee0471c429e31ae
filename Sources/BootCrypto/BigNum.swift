/// Fixed-capacity multi-precision helpers for the RSA verifier: numbers are little-endian arrays of
/// 64-bit limbs (limb 0 is the least significant) of one public length `count`.
///
/// Everything here works on raw pointers handed out by the caller's stack storage (an
/// `InlineArray` of ``maxLimbs`` limbs), so no operation allocates. The numbers are public (a
/// modulus, a signature, the recovered encoded message), so the helpers may branch on their values.
enum BigNum {
    /// Limbs of the largest supported modulus: 3072 bits.
    static let maxLimbs = 48

    /// Storage for one number of up to ``maxLimbs`` limbs.
    typealias Limbs = InlineArray<48, UInt64>

    /// Reads `8 · count` big-endian bytes (RSA's I2OSP/OS2IP order) into `count` limbs.
    @inline(__always)
    static func load(
        _ out: UnsafeMutablePointer<UInt64>, count: Int, bigEndian bytes: UnsafeRawBufferPointer
    ) {
        precondition(bytes.count == 8 * count, "BigNum.load: byte count is not 8 · limb count")
        guard let base = bytes.baseAddress else { return }
        for i in 0..<count {
            let offset = bytes.count - 8 * (i + 1)
            out[i] = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
    }

    /// Writes `count` limbs as `8 · count` big-endian bytes.
    @inline(__always)
    static func store(
        _ value: UnsafePointer<UInt64>, count: Int, bigEndian bytes: UnsafeMutableRawBufferPointer
    ) {
        precondition(bytes.count == 8 * count, "BigNum.store: byte count is not 8 · limb count")
        guard let base = bytes.baseAddress else { return }
        for i in 0..<count {
            let offset = bytes.count - 8 * (i + 1)
            base.storeBytes(of: value[i].bigEndian, toByteOffset: offset, as: UInt64.self)
        }
    }

    /// True when `a < b`.
    @inline(__always)
    static func isLess(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, count: Int) -> Bool {
        var i = count - 1
        while i >= 0 {
            if a[i] != b[i] { return a[i] < b[i] }
            i -= 1
        }
        return false
    }

    /// `r = a − b` modulo 2^(64·count); returns the borrow out (1 when `a < b`). `r` may alias.
    @inline(__always)
    @discardableResult
    static func subtract(
        _ r: UnsafeMutablePointer<UInt64>, _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>,
        count: Int
    ) -> UInt64 {
        var borrow: UInt64 = 0
        for i in 0..<count {
            let (d1, o1) = a[i].subtractingReportingOverflow(b[i])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow)
            r[i] = d2
            borrow = (o1 ? 1 : 0) | (o2 ? 1 : 0)
        }
        return borrow
    }

    /// `x = 2x mod n`, for `x < n`. Used only at key-parse time (computing R² mod n).
    static func doubleModulo(
        _ x: UnsafeMutablePointer<UInt64>, modulus n: UnsafePointer<UInt64>, count: Int
    ) {
        var carry: UInt64 = 0
        for i in 0..<count {
            let limb = x[i]
            x[i] = limb &<< 1 | carry
            carry = limb &>> 63
        }
        // 2x < 2n: one subtraction brings it below n. With a carry out the true value is
        // 2^(64·count) + x ≥ n, and the wrapping subtraction yields the right residue.
        if carry != 0 || !isLess(UnsafePointer(x), n, count: count) {
            subtract(x, UnsafePointer(x), n, count: count)
        }
    }
}
