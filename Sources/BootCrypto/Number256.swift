#if _pointerBitWidth(_32)
/// The words of a 256-bit number on this target: eight 32-bit words (Cortex-M).
typealias Words256 = InlineArray<8, UInt>
#else
/// The words of a 256-bit number on this target: four 64-bit words (the host).
typealias Words256 = InlineArray<4, UInt>
#endif

/// A 256-bit unsigned integer in machine words, least significant first: eight 32-bit words on a
/// 32-bit core, four 64-bit words on the host. The word is the target's own multiply width, so a
/// Cortex-M4 runs every product as one `umull`/`umaal` and never emulates a 64-bit multiply; the
/// same source is the host's four-limb code. All loops have a constant trip count.
///
/// Shared by P-256 and Ed25519. The numbers signature verification handles are public (digest,
/// signature, public key), so nothing here is constant time.
struct Number256: Equatable, Sendable {
    var words: Words256

    /// Words per number (8 or 4).
    @inline(__always)
    static var wordCount: Int { Words256.count }

    @inline(__always)
    init(words: Words256) { self.words = words }

    /// The number whose 32-bit words, least significant first, are `w` (on a 64-bit host two of
    /// them make one word). Every constant of the curves is written this way, once.
    @inline(__always)
    init(_ w: InlineArray<8, UInt32>) {
        var words = Words256(repeating: 0)
        #if _pointerBitWidth(_32)
        for i in 0..<8 { words[i] = UInt(w[i]) }
        #else
        for i in 0..<4 { words[i] = UInt(w[2 * i]) | UInt(w[2 * i + 1]) << 32 }
        #endif
        self.words = words
    }

    /// A number below 2^32.
    @inline(__always)
    init(small value: UInt32) {
        var words = Words256(repeating: 0)
        words[0] = UInt(value)
        self.words = words
    }

    @inline(__always)
    static var zero: Number256 { Number256(words: Words256(repeating: 0)) }

    /// Big-endian bytes of at most 32 bytes (a DER INTEGER magnitude or a coordinate), or nil when
    /// there are more. Shorter inputs are the low-order bytes (implicit leading zeros).
    init?(bigEndian bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        guard count <= 32 else { return nil }
        var words = Words256(repeating: 0)
        let bytesPerWord = UInt.bitWidth / 8
        // The byte at index count−1−k is bit position 8k.
        for k in 0..<count {
            let word = k / bytesPerWord
            words[word] |= UInt(bytes[count - 1 - k]) << UInt((k % bytesPerWord) * 8)
        }
        self.words = words
    }

    /// The 32 little-endian bytes at `offset` in `bytes` (Ed25519's encodings); the caller checks
    /// that they are there.
    init(littleEndian bytes: UnsafeRawBufferPointer, offset: Int) {
        var words = Words256(repeating: 0)
        let bytesPerWord = UInt.bitWidth / 8
        for k in 0..<32 {
            words[k / bytesPerWord] |= UInt(bytes[offset + k]) << UInt((k % bytesPerWord) * 8)
        }
        self.words = words
    }

    /// The 32 little-endian bytes of the number.
    var littleEndianBytes: InlineArray<32, UInt8> {
        var bytes = InlineArray<32, UInt8>(repeating: 0)
        let bytesPerWord = UInt.bitWidth / 8
        let w = words
        for k in 0..<32 {
            bytes[k] = UInt8(truncatingIfNeeded: w[k / bytesPerWord] >> UInt((k % bytesPerWord) * 8))
        }
        return bytes
    }

    var isZero: Bool {
        var any: UInt = 0
        for i in 0..<Self.wordCount { any |= words[i] }
        return any == 0
    }

    /// Bit `index` (0 is the least significant), for 0 ≤ index < 256.
    @inline(__always)
    func bit(_ index: Int) -> Bool {
        (words[index / UInt.bitWidth] >> UInt(index % UInt.bitWidth)) & 1 == 1
    }

    static func == (a: Number256, b: Number256) -> Bool {
        var difference: UInt = 0
        for i in 0..<wordCount { difference |= a.words[i] ^ b.words[i] }
        return difference == 0
    }

    /// `self < other` as unsigned integers.
    func isLess(than other: Number256) -> Bool {
        var i = Self.wordCount - 1
        while i >= 0 {
            if words[i] != other.words[i] { return words[i] < other.words[i] }
            i -= 1
        }
        return false
    }

    /// `self + other` modulo 2^256, and the carry out of bit 256.
    func addingReportingCarry(_ other: Number256) -> (sum: Number256, carry: Bool) {
        // Local `var` copies, indexed: see `multiply` in Modulus256 for why.
        var x = words, y = other.words, sum = Words256(repeating: 0)
        var carry = false
        for i in 0..<Self.wordCount {
            let (s1, o1) = x[i].addingReportingOverflow(y[i])
            let (s2, o2) = s1.addingReportingOverflow(carry ? 1 : 0)
            sum[i] = s2
            carry = o1 || o2
        }
        return (Number256(words: sum), carry)
    }

    /// `self − other` modulo 2^256, and whether it borrowed (`self < other`).
    func subtractingReportingBorrow(_ other: Number256) -> (difference: Number256, borrow: Bool) {
        var x = words, y = other.words, difference = Words256(repeating: 0)
        var borrow = false
        for i in 0..<Self.wordCount {
            let (d1, o1) = x[i].subtractingReportingOverflow(y[i])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow ? 1 : 0)
            difference[i] = d2
            borrow = o1 || o2
        }
        return (Number256(words: difference), borrow)
    }
}

/// An odd modulus below 2^256 with its Montgomery constants (R = 2^256): P-256's field prime and
/// group order, Curve25519's field prime and Ed25519's group order. All four share one
/// multiplication, one addition, one subtraction and one exponentiation, so a boot stage carries
/// one copy of each whichever curve it verifies.
struct Modulus256: Sendable {
    /// The modulus m (odd).
    let m: Number256
    /// −m⁻¹ mod 2^wordbits (the low word of −m⁻¹ mod 2^64, which is right on both word sizes).
    let m0inv: UInt
    /// R² mod m: multiplying by it converts into Montgomery form.
    let rSquared: Number256

    /// `x + y + z + a·b` as (high, low) words; cannot overflow two words.
    @inline(__always)
    static func multiplyAdd(_ a: UInt, _ b: UInt, _ x: UInt, _ y: UInt) -> (high: UInt, low: UInt) {
        #if _pointerBitWidth(_32)
        // One `umaal` on Cortex-M4.
        let r = UInt64(a) &* UInt64(b) &+ UInt64(x) &+ UInt64(y)
        return (UInt(truncatingIfNeeded: r >> 32), UInt(truncatingIfNeeded: r))
        #else
        let (h, l) = a.multipliedFullWidth(by: b)
        let (l1, o1) = l.addingReportingOverflow(x)
        let (l2, o2) = l1.addingReportingOverflow(y)
        return (h &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0), l2)
        #endif
    }

    /// a·b·R⁻¹ mod m, for a·b < m·R (true when either operand is below m); fully reduced.
    ///
    /// CIOS (Koç, Acar, Kaliski 1996): per word of b, add a·bᵢ into the accumulator, then add q·m
    /// with q chosen so the low word vanishes and shift down one word. The accumulator stays
    /// below 2m, so one conditional subtraction finishes it.
    @inline(never)  // one copy for both moduli and every caller
    func multiply(_ a: Number256, _ b: Number256) -> Number256 {
        let count = Number256.wordCount
        // Operands copied once into local variables and indexed there: indexing the InlineArray
        // of a parameter with a loop variable made the optimiser copy the whole array to the
        // stack on every iteration at -Osize (measured on Cortex-M4: most of a verification's
        // instructions were memcpy).
        var x = a.words, y = b.words, modulus = m.words, t = Words256(repeating: 0)
        var top: UInt = 0  // the accumulator's word `count` (0 or 1 between rounds)
        for i in 0..<count {
            let bi = y[i]
            var carry: UInt = 0
            for j in 0..<count {
                (carry, t[j]) = Self.multiplyAdd(x[j], bi, t[j], carry)
            }
            let (t1, o1) = top.addingReportingOverflow(carry)
            let q = t[0] &* m0inv
            carry = Self.multiplyAdd(q, modulus[0], t[0], 0).high  // low word is 0 by q
            for j in 1..<count {
                (carry, t[j - 1]) = Self.multiplyAdd(q, modulus[j], t[j], carry)
            }
            let (t2, o2) = t1.addingReportingOverflow(carry)
            t[count - 1] = t2
            top = (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
        }
        let accumulator = Number256(words: t)
        let (reduced, borrow) = accumulator.subtractingReportingBorrow(m)
        return (top != 0 || !borrow) ? reduced : accumulator
    }

    /// (a + b) mod m for a, b < m.
    @inline(never)
    func add(_ a: Number256, _ b: Number256) -> Number256 {
        let (sum, carry) = a.addingReportingCarry(b)
        let (reduced, borrow) = sum.subtractingReportingBorrow(m)
        // sum < 2m: subtract m when the true sum (carry included) is at least m.
        return (carry || !borrow) ? reduced : sum
    }

    /// (a − b) mod m for a, b < m.
    @inline(never)
    func subtract(_ a: Number256, _ b: Number256) -> Number256 {
        let (difference, borrow) = a.subtractingReportingBorrow(b)
        return borrow ? difference.addingReportingCarry(m).sum : difference
    }

    /// x in Montgomery form (x·R mod m), for x < m.
    @inline(__always)
    func montgomery(_ x: Number256) -> Number256 { multiply(x, rSquared) }

    /// base^exponent in Montgomery form for a Montgomery-form `base`: plain square-and-multiply
    /// over the public exponent's 256 bits, most significant first (1 in Montgomery form for 0).
    @inline(never)
    func power(_ base: Number256, _ exponent: Number256) -> Number256 {
        var result = montgomery(Number256(small: 1))
        var i = 255
        while i >= 0 {
            result = multiply(result, result)
            if exponent.bit(i) { result = multiply(result, base) }
            i -= 1
        }
        return result
    }

    /// base^(m−2) in Montgomery form for a Montgomery-form `base`: the inverse by Fermat's little
    /// theorem (every modulus here is prime), 0 for 0. It runs at most twice per verification.
    @inline(__always)
    func inverse(_ base: Number256) -> Number256 {
        power(base, m.subtractingReportingBorrow(Number256(small: 2)).difference)
    }
}
