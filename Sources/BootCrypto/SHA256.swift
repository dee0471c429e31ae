/// SHA-256 (FIPS 180-4), streaming, allocation-free.
///
/// The state is eight words plus one 64-byte block buffer held inline, so a hasher lives on the
/// stack of whoever validates an image. Whole blocks are compressed straight from the caller's
/// bytes (unaligned big-endian loads), and only a partial block at either end of an `update` is
/// copied into the inline buffer. The rounds are written out 16 at a time with the working
/// variables rotated by position, so the compiler keeps them in registers and no per-byte calls or
/// array bounds checks sit on the hot path.
///
/// ```swift
/// var sha = SHA256()
/// sha.update(chunk1)
/// sha.update(chunk2)
/// let digest = sha.finalize()
/// ```
public struct SHA256: Sendable {
    /// Bytes per compressed block.
    public static let blockSize = 64

    private var h0: UInt32 = 0x6a09_e667
    private var h1: UInt32 = 0xbb67_ae85
    private var h2: UInt32 = 0x3c6e_f372
    private var h3: UInt32 = 0xa54f_f53a
    private var h4: UInt32 = 0x510e_527f
    private var h5: UInt32 = 0x9b05_688c
    private var h6: UInt32 = 0x1f83_d9ab
    private var h7: UInt32 = 0x5be0_cd19
    /// Bytes of a not-yet-compressed partial block; only `buffered` of them are meaningful.
    private var buffer = InlineArray<64, UInt8>(repeating: 0)
    private var buffered = 0
    /// Total message length in bytes (wrapping: SHA-256 defines the length modulo 2^64 bits).
    private var length: UInt64 = 0
    /// Who compresses whole blocks (padding and buffering are always this type's).
    private let engine: Engine

    /// A hasher that compresses with `engine` (default: the portable rounds below).
    public init(engine: Engine = .portable) { self.engine = engine }

    /// Where the block compression runs, as MCUboot's `bootutil_sha` picks a backend (mbedTLS,
    /// tinycrypt, a CryptoCell): ``portable`` is the Swift code here, for every target; a host can
    /// hand in a function using its CPU's SHA instructions (the simulator's power-cut sweep hashes
    /// an image at every point). The digest does not depend on the engine.
    public struct Engine: Sendable {
        /// Compresses `blocks` consecutive 64-byte blocks at `input` (any alignment) into `state`:
        /// the eight working words H0…H7 of FIPS 180-4, in that order, native-endian.
        public typealias BlockFunction = @convention(c) (UnsafeMutablePointer<UInt32>, UnsafeRawPointer, Int) -> Void

        let blockFunction: BlockFunction?

        /// The Swift rounds of this file.
        public static let portable = Engine(blockFunction: nil)

        /// An engine whose whole-block compression is `blockFunction`.
        public init(blockFunction: BlockFunction?) { self.blockFunction = blockFunction }

        /// True for ``portable``.
        public var isPortable: Bool { blockFunction == nil }
    }

    /// Absorbs `bytes`. Any length, any alignment, any number of calls.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        length &+= UInt64(truncatingIfNeeded: remaining)

        if buffered > 0 {
            let take = min(64 - buffered, remaining)
            let start = buffered
            var window = buffer.mutableSpan
            window.withUnsafeMutableBytes { dst in
                dst.baseAddress!.advanced(by: start).copyMemory(from: base, byteCount: take)
            }
            buffered += take
            base = base.advanced(by: take)
            remaining -= take
            guard buffered == 64 else { return }
            let copy = buffer
            copy.span.withUnsafeBytes { block in compress(block.baseAddress!, blocks: 1) }
            buffered = 0
        }

        let whole = remaining / 64
        if whole > 0 {
            compress(base, blocks: whole)
            base = base.advanced(by: whole * 64)
            remaining -= whole * 64
        }

        if remaining > 0 {
            let tail = remaining
            var window = buffer.mutableSpan
            window.withUnsafeMutableBytes { dst in
                dst.baseAddress!.copyMemory(from: base, byteCount: tail)
            }
            buffered = tail
        }
    }

    /// Absorbs `bytes`.
    public mutating func update(_ bytes: Span<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Pads, compresses the final block(s) and returns the digest. The hasher is spent afterwards;
    /// start a new one for another message.
    public mutating func finalize() -> Digest {
        let bitLength = length &<< 3
        // 0x80, zeros up to 56 mod 64, then the bit length big-endian: one or two blocks.
        var pad = InlineArray<72, UInt8>(repeating: 0)
        pad[0] = 0x80
        let zeros = (buffered < 56 ? 55 : 119) - buffered
        let padCount = 1 + zeros + 8
        for i in 0..<8 {
            pad[1 + zeros + i] = UInt8(truncatingIfNeeded: bitLength >> (56 - 8 * UInt64(i)))
        }
        let saved = length
        pad.span.withUnsafeBytes { update(UnsafeRawBufferPointer(rebasing: $0[0..<padCount])) }
        length = saved
        precondition(buffered == 0)

        var out = InlineArray<32, UInt8>(repeating: 0)
        let words = [h0, h1, h2, h3, h4, h5, h6, h7] as InlineArray<8, UInt32>
        for i in 0..<8 {
            let w = words[i]
            out[4 * i] = UInt8(truncatingIfNeeded: w >> 24)
            out[4 * i + 1] = UInt8(truncatingIfNeeded: w >> 16)
            out[4 * i + 2] = UInt8(truncatingIfNeeded: w >> 8)
            out[4 * i + 3] = UInt8(truncatingIfNeeded: w)
        }
        return Digest(out)
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Digest {
        var sha = SHA256()
        sha.update(bytes)
        return sha.finalize()
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: Span<UInt8>) -> Digest {
        var sha = SHA256()
        sha.update(bytes)
        return sha.finalize()
    }

    // MARK: - Compression

    @inline(__always)
    private static func loadBigEndian(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 &- n)) }

    @inline(__always)
    private static func sigma0(_ x: UInt32) -> UInt32 { rotr(x, 7) ^ rotr(x, 18) ^ (x &>> 3) }

    @inline(__always)
    private static func sigma1(_ x: UInt32) -> UInt32 { rotr(x, 17) ^ rotr(x, 19) ^ (x &>> 10) }

    /// One round; the caller rotates the roles of the eight working variables instead of moving them.
    @inline(__always)
    private static func round(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
        _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32
    ) {
        let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
        let ch = (e & f) ^ (~e & g)
        let t1 = h &+ s1 &+ ch &+ kw
        let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
        let maj = (a & b) ^ (a & c) ^ (b & c)
        d &+= t1
        h = t1 &+ s0 &+ maj
    }

    /// Compresses `blocks` consecutive 64-byte blocks starting at `input` (any alignment).
    private mutating func compress(_ input: UnsafeRawPointer, blocks: Int) {
        if let blockFunction = engine.blockFunction {
            var state = [h0, h1, h2, h3, h4, h5, h6, h7] as InlineArray<8, UInt32>
            var words = state.mutableSpan
            words.withUnsafeMutableBufferPointer { blockFunction($0.baseAddress!, input, blocks) }
            h0 = state[0]; h1 = state[1]; h2 = state[2]; h3 = state[3]
            h4 = state[4]; h5 = state[5]; h6 = state[6]; h7 = state[7]
            return
        }
        Self.roundConstants.withUnsafeBufferPointer { k in
            var block = input
            // The message schedule in a 16-word ring, the rounds eight at a time (the working
            // variables' roles rotate through the eight and are back in place after them): a
            // quarter of the code of sixteen unrolled rounds with the schedule in locals.
            var ring = InlineArray<16, UInt32>(repeating: 0)
            var ringSpan = ring.mutableSpan
            ringSpan.withUnsafeMutableBufferPointer { w in
            for _ in 0..<blocks {
                for i in 0..<16 { w[i] = Self.loadBigEndian(block, 4 * i) }
                var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                var t = 0
                while true {
                    let i = t & 15
                    Self.round(a, b, c, &d, e, f, g, &h, k[t + 0] &+ w[i + 0])
                    Self.round(h, a, b, &c, d, e, f, &g, k[t + 1] &+ w[i + 1])
                    Self.round(g, h, a, &b, c, d, e, &f, k[t + 2] &+ w[i + 2])
                    Self.round(f, g, h, &a, b, c, d, &e, k[t + 3] &+ w[i + 3])
                    Self.round(e, f, g, &h, a, b, c, &d, k[t + 4] &+ w[i + 4])
                    Self.round(d, e, f, &g, h, a, b, &c, k[t + 5] &+ w[i + 5])
                    Self.round(c, d, e, &f, g, h, a, &b, k[t + 6] &+ w[i + 6])
                    Self.round(b, c, d, &e, f, g, h, &a, k[t + 7] &+ w[i + 7])
                    t += 8
                    if t == 64 { break }
                    if t >= 16 {
                        // W[t…t+7] over W[t−16…t−9] in place (each needs the one two before it).
                        for j in t..<(t + 8) {
                            let n = j & 15
                            w[n] &+= Self.sigma1(w[(n + 14) & 15]) &+ w[(n + 9) & 15] &+ Self.sigma0(w[(n + 1) & 15])
                        }
                    }
                }
                h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
                h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                block = block.advanced(by: 64)
            }
            }
        }
    }

    /// FIPS 180-4 §4.2.2: first 32 bits of the fractional parts of the cube roots of the first 64
    /// primes. A constant array literal: placed in read-only data (flash) by the Embedded build.
    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}
