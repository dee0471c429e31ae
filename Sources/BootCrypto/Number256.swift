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

    /// Always inlined: as an outlined getter, this toolchain's armv7em -Osize build loaded the
    /// words with `ldm r10!`, moving the caller's `self` register (r10, callee-saved) without
    /// restoring it, and `Modulus256.inverse` then read its operand 32 bytes too far.
    /// tools/build-firmware refuses any function that does that (`tools/check-r10`).
    @inline(__always)
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
        Words.with(self) { a in Words.with(other) { b in Words.isLess(a, b) } }
    }

    /// `self + other` modulo 2^256, and the carry out of bit 256.
    func addingReportingCarry(_ other: Number256) -> (sum: Number256, carry: Bool) {
        var sum = self
        let carry = Words.with(&sum) { x in Words.with(other) { y in Words.add(x, UnsafePointer(x), y) } }
        return (sum, carry)
    }

    /// `self − other` modulo 2^256, and whether it borrowed (`self < other`).
    func subtractingReportingBorrow(_ other: Number256) -> (difference: Number256, borrow: Bool) {
        var difference = self
        let borrow = Words.with(&difference) { x in Words.with(other) { y in Words.subtract(x, UnsafePointer(x), y) } }
        return (difference, borrow)
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
    func multiply(_ a: Number256, _ b: Number256) -> Number256 {
        var t = Number256.zero
        Words.with(&t) { t in
            Words.with(a) { x in
                Words.with(b) { y in
                    Words.with(m) { modulus in Self.multiply(into: t, x, y, modulus: modulus, m0inv) }
                }
            }
        }
        return t
    }

    /// (a + b) mod m for a, b < m.
    func add(_ a: Number256, _ b: Number256) -> Number256 {
        var sum = Number256.zero
        Words.with(&sum) { sum in
            Words.with(a) { a in Words.with(b) { b in Words.with(m) { modulus in Self.add(into: sum, a, b, modulus: modulus) } } }
        }
        return sum
    }

    /// (a − b) mod m for a, b < m.
    func subtract(_ a: Number256, _ b: Number256) -> Number256 {
        var difference = Number256.zero
        Words.with(&difference) { difference in
            Words.with(a) { a in
                Words.with(b) { b in Words.with(m) { modulus in Self.subtract(into: difference, a, b, modulus: modulus) } }
            }
        }
        return difference
    }

    /// `d = (x + y) mod m` for x, y < m, in place: `d` may be `x` or `y`. The one copy of modular
    /// addition (the value form above and the point formulas' registers both call it).
    @inline(never)
    static func add(
        into d: UnsafeMutablePointer<UInt>, _ x: UnsafePointer<UInt>, _ y: UnsafePointer<UInt>, modulus: UnsafePointer<UInt>
    ) {
        let carry = Words.add(d, x, y)
        // d < 2m: subtract m when the true sum (carry included) is at least m.
        if carry || !Words.isLess(UnsafePointer(d), modulus) { Words.subtract(d, UnsafePointer(d), modulus) }
    }

    /// `d = (x − y) mod m` for x, y < m, in place: `d` may be `x` or `y`.
    @inline(never)
    static func subtract(
        into d: UnsafeMutablePointer<UInt>, _ x: UnsafePointer<UInt>, _ y: UnsafePointer<UInt>, modulus: UnsafePointer<UInt>
    ) {
        if Words.subtract(d, x, y) { Words.add(d, UnsafePointer(d), modulus) }
    }

    /// x in Montgomery form (x·R mod m), for x < 2^256 (x·(R² mod m) < R·m, as multiply requires).
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

    /// The inverse of a Montgomery-form `base`, in Montgomery form; 0 for 0.
    ///
    /// Binary extended Euclid on the representation a·R (Menezes et al., Handbook of Applied
    /// Cryptography, Algorithm 14.61 for an odd modulus): u ≡ x₁·aR and v ≡ x₂·aR (mod m) hold
    /// throughout, halving and subtracting until one of u, v is 1. That gives (aR)⁻¹ =
    /// a⁻¹·R⁻¹, and two products with R² make it a⁻¹·R. About 500 halvings and subtractions of
    /// words instead of Fermat's ~380 modular multiplications (P-256 inverts twice per
    /// verification: 0.65 M of its instructions on Cortex-M4); ``fermatInverse(_:)`` is the
    /// smaller choice where speed does not matter.
    @inline(never)
    func inverse(_ base: Number256) -> Number256 {
        guard !base.isZero else { return base }
        var u = base, v = m, x1 = Number256(small: 1), x2 = Number256.zero
        Words.with(&u) { u in
            Words.with(&v) { v in
                Words.with(&x1) { x1 in
                    Words.with(&x2) { x2 in
                        Words.with(m) { modulus in
                            while !Words.isOne(UnsafePointer(u)) && !Words.isOne(UnsafePointer(v)) {
                                Words.removeTwos(u, x1, modulus)
                                Words.removeTwos(v, x2, modulus)
                                // Both odd now; the larger loses the smaller (and becomes even).
                                if Words.isLess(UnsafePointer(u), UnsafePointer(v)) {
                                    Words.reduce(v, x2, by: u, x1, modulus)
                                } else {
                                    Words.reduce(u, x1, by: v, x2, modulus)
                                }
                            }
                        }
                    }
                }
            }
        }
        let y = Words.with(u, Words.isOne) ? x1 : x2
        return multiply(multiply(y, rSquared), rSquared)
    }

    /// base^(m−2) in Montgomery form for a Montgomery-form `base`: the inverse by Fermat's little
    /// theorem (every modulus here is prime), 0 for 0. No code beyond ``power(_:_:)``, which
    /// Ed25519 needs anyway for its square root; about 380 multiplications.
    @inline(__always)
    func fermatInverse(_ base: Number256) -> Number256 {
        power(base, m.subtractingReportingBorrow(Number256(small: 2)).difference)
    }

    /// `t = x·y·R⁻¹ mod m`, fully reduced, for x·y < m·R. `t` must not be `x` or `y` (it is
    /// written while they are read); the one copy of modular multiplication.
    ///
    /// CIOS (Koç, Acar, Kaliski 1996): per word of y, add x·yᵢ and q·m in one pass, with q
    /// chosen so the low word vanishes, and shift down one word. The accumulator stays below
    /// 2m, so one conditional subtraction finishes it.
    @inline(never)
    static func multiply(
        into t: UnsafeMutablePointer<UInt>, _ x: UnsafePointer<UInt>, _ y: UnsafePointer<UInt>,
        modulus: UnsafePointer<UInt>, _ m0inv: UInt
    ) {
        assert(UnsafePointer(t) != x && UnsafePointer(t) != y, "Montgomery multiplication into one of its operands")
        t.update(repeating: 0, count: Number256.wordCount)
        let count = Number256.wordCount
        var top: UInt = 0  // the accumulator's word `count` (0 or 1 between rounds)
        for i in 0..<count {
            let bi = y[i]
            var (carry1, low) = multiplyAdd(x[0], bi, t[0], 0)
            let q = low &* m0inv
            var carry2 = multiplyAdd(q, modulus[0], low, 0).high  // low word is 0 by q
            for j in 1..<count {
                (carry1, low) = multiplyAdd(x[j], bi, t[j], carry1)
                (carry2, t[j - 1]) = multiplyAdd(q, modulus[j], low, carry2)
            }
            // carry1 + carry2 + top < 2^(wordbits+1): the new top word is 0 or 1.
            let (s1, o1) = carry1.addingReportingOverflow(carry2)
            let (s2, o2) = s1.addingReportingOverflow(top)
            t[count - 1] = s2
            top = (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
        }
        if top != 0 || !Words.isLess(UnsafePointer(t), modulus) { Words.subtract(t, UnsafePointer(t), modulus) }
    }
}

/// Numbered 256-bit registers in one block of words, for a curve's point formulas: register 0
/// holds the modulus, the others field elements in Montgomery form, and every operation names
/// registers and works in place through ``Modulus256``'s pointer kernels. Operations on values
/// copied both operands, the modulus and the result around every call; these copy nothing.
/// The curves' register files (``P256Registers``, ``Curve25519/Registers``) adopt it.
protocol FieldRegisters {
    /// The first word of register 0.
    var base: UnsafeMutablePointer<UInt> { get }
    /// −m⁻¹ mod 2^wordbits for the modulus in register 0.
    var m0inv: UInt { get }
}

extension FieldRegisters {
    @inline(__always)
    func at(_ register: Int) -> UnsafeMutablePointer<UInt> { base + register &* Number256.wordCount }

    /// `d = a·b·R⁻¹` (d must be neither a nor b).
    @inline(__always)
    func mul(_ d: Int, _ a: Int, _ b: Int) {
        Modulus256.multiply(into: at(d), UnsafePointer(at(a)), UnsafePointer(at(b)), modulus: UnsafePointer(base), m0inv)
    }

    /// `d = a + b` (any of them may be the same register).
    @inline(__always)
    func add(_ d: Int, _ a: Int, _ b: Int) {
        Modulus256.add(into: at(d), UnsafePointer(at(a)), UnsafePointer(at(b)), modulus: UnsafePointer(base))
    }

    /// `d = a − b` (any of them may be the same register).
    @inline(__always)
    func sub(_ d: Int, _ a: Int, _ b: Int) {
        Modulus256.subtract(into: at(d), UnsafePointer(at(a)), UnsafePointer(at(b)), modulus: UnsafePointer(base))
    }

    @inline(__always)
    func isZero(_ register: Int) -> Bool {
        let r = at(register)
        var any: UInt = 0
        for i in 0..<Number256.wordCount { any |= r[i] }
        return any == 0
    }

    /// Register `d` becomes a copy of register `a`.
    @inline(__always)
    func copy(_ d: Int, _ a: Int) { at(d).update(from: at(a), count: Number256.wordCount) }

    /// Register `d` becomes `value`.
    @inline(__always)
    func store(_ d: Int, _ value: Number256) { UnsafeMutableRawPointer(at(d)).storeBytes(of: value, as: Number256.self) }
}

/// Word-level helpers on the words of a ``Number256`` through pointers.
///
/// Why pointers: at -Osize, indexing a parameter's InlineArray with a loop variable copied the
/// whole array on every iteration, and a span over a borrowed parameter copies it too. `with`
/// hands out the address of a variable (`inout`: no copy) or of a borrowed value (one copy,
/// alive for the closure), and every loop runs over plain pointers.
enum Words {
    @inline(__always)
    static func with<R>(_ value: inout Number256, _ body: (UnsafeMutablePointer<UInt>) -> R) -> R {
        withUnsafeMutablePointer(to: &value) { body(UnsafeMutableRawPointer($0).assumingMemoryBound(to: UInt.self)) }
    }

    @inline(__always)
    static func with<R>(_ value: Number256, _ body: (UnsafePointer<UInt>) -> R) -> R {
        withUnsafePointer(to: value) { body(UnsafeRawPointer($0).assumingMemoryBound(to: UInt.self)) }
    }

    /// The words of a block of numbers (a register file), from its first.
    @inline(__always)
    static func with<let count: Int, R>(
        _ file: inout InlineArray<count, Number256>, _ body: (UnsafeMutablePointer<UInt>) -> R
    ) -> R {
        withUnsafeMutablePointer(to: &file) { body(UnsafeMutableRawPointer($0).assumingMemoryBound(to: UInt.self)) }
    }

    /// `a < b`.
    @inline(__always)
    static func isLess(_ a: UnsafePointer<UInt>, _ b: UnsafePointer<UInt>) -> Bool {
        var i = Number256.wordCount - 1
        while i >= 0 {
            if a[i] != b[i] { return a[i] < b[i] }
            i -= 1
        }
        return false
    }

    /// True when the words are the number 1.
    @inline(__always)
    static func isOne(_ x: UnsafePointer<UInt>) -> Bool {
        var rest: UInt = x[0] ^ 1
        for i in 1..<Number256.wordCount { rest |= x[i] }
        return rest == 0
    }

    /// `d = x − y` modulo 2^256; true when it borrowed. `d` may be `x` or `y`.
    @inline(__always)
    @discardableResult
    static func subtract(_ d: UnsafeMutablePointer<UInt>, _ x: UnsafePointer<UInt>, _ y: UnsafePointer<UInt>) -> Bool {
        var borrow = false
        for i in 0..<Number256.wordCount {
            let (d1, o1) = x[i].subtractingReportingOverflow(y[i])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow ? 1 : 0)
            d[i] = d2
            borrow = o1 || o2
        }
        return borrow
    }

    /// `d = x + y` modulo 2^256; true when it carried. `d` may be `x` or `y`.
    @inline(__always)
    @discardableResult
    static func add(_ d: UnsafeMutablePointer<UInt>, _ x: UnsafePointer<UInt>, _ y: UnsafePointer<UInt>) -> Bool {
        var carry = false
        for i in 0..<Number256.wordCount {
            let (s1, o1) = x[i].addingReportingOverflow(y[i])
            let (s2, o2) = s1.addingReportingOverflow(carry ? 1 : 0)
            d[i] = s2
            carry = o1 || o2
        }
        return carry
    }

    /// `x = (x + carry·2^256) / 2`, in place.
    @inline(__always)
    static func halve(_ x: UnsafeMutablePointer<UInt>, carry: Bool) {
        var carry = carry
        var i = Number256.wordCount - 1
        while i >= 0 {
            let word = x[i]
            x[i] = word >> 1 | (carry ? 1 << UInt(UInt.bitWidth - 1) : 0)
            carry = word & 1 == 1
            i -= 1
        }
    }

    /// `x = x / 2 mod m` for x < m (m odd): x/2 when x is even, (x + m)/2 when it is odd.
    @inline(__always)
    static func halve(_ x: UnsafeMutablePointer<UInt>, modulo modulus: UnsafePointer<UInt>) {
        let carry = x[0] & 1 == 1 ? add(x, UnsafePointer(x), modulus) : false
        halve(x, carry: carry)
    }

    /// The inversion's halving step: while `u` is even, u /= 2 and x = x/2 mod m.
    @inline(never)
    static func removeTwos(_ u: UnsafeMutablePointer<UInt>, _ x: UnsafeMutablePointer<UInt>, _ modulus: UnsafePointer<UInt>) {
        while u[0] & 1 == 0 {
            halve(u, carry: false)
            halve(x, modulo: modulus)
        }
    }

    /// The inversion's subtraction step: u −= v and x = x − y mod m.
    @inline(never)
    static func reduce(
        _ u: UnsafeMutablePointer<UInt>, _ x: UnsafeMutablePointer<UInt>,
        by v: UnsafeMutablePointer<UInt>, _ y: UnsafeMutablePointer<UInt>, _ modulus: UnsafePointer<UInt>
    ) {
        subtract(u, UnsafePointer(u), UnsafePointer(v))
        if subtract(x, UnsafePointer(x), UnsafePointer(y)) { add(x, UnsafePointer(x), modulus) }
    }
}
