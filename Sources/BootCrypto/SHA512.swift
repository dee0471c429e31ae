/// SHA-512 (FIPS 180-4), streaming, allocation-free.
///
/// Ed25519 (RFC 8032) hashes `R ‖ A ‖ M` with it, and MCUboot's `MCUBOOT_SHA512` builds put a
/// SHA-512 hash TLV (0x12) in the image. Same shape as ``SHA256``: eight 64-bit words plus one
/// 128-byte block buffer held inline; whole blocks are compressed straight from the caller's bytes
/// and only a partial block at either end of an `update` is copied into the inline buffer. The
/// rounds are written out 16 at a time with the working variables rotated by position, so they
/// stay in registers (on a 64-bit host; on Cortex-M each word is a register pair).
///
/// ```swift
/// var sha = SHA512()
/// sha.update(chunk1)
/// sha.update(chunk2)
/// let digest = sha.finalize()
/// ```
public struct SHA512: Sendable {
    /// Bytes per compressed block.
    public static let blockSize = 128

    private var h0: UInt64 = 0x6a09_e667_f3bc_c908
    private var h1: UInt64 = 0xbb67_ae85_84ca_a73b
    private var h2: UInt64 = 0x3c6e_f372_fe94_f82b
    private var h3: UInt64 = 0xa54f_f53a_5f1d_36f1
    private var h4: UInt64 = 0x510e_527f_ade6_82d1
    private var h5: UInt64 = 0x9b05_688c_2b3e_6c1f
    private var h6: UInt64 = 0x1f83_d9ab_fb41_bd6b
    private var h7: UInt64 = 0x5be0_cd19_137e_2179
    /// Bytes of a not-yet-compressed partial block; only `buffered` of them are meaningful.
    private var buffer = InlineArray<128, UInt8>(repeating: 0)
    private var buffered = 0
    /// Total message length in bytes, modulo 2^64 (SHA-512 allows 2^128 bits; a bootloader never
    /// hashes more than 2^64 bytes, and the padding below writes the full 128-bit bit length).
    private var length: UInt64 = 0

    public init() {}

    /// Absorbs `bytes`. Any length, any alignment, any number of calls.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        length &+= UInt64(truncatingIfNeeded: remaining)

        if buffered > 0 {
            let take = min(128 - buffered, remaining)
            let start = buffered
            var window = buffer.mutableSpan
            window.withUnsafeMutableBytes { dst in
                dst.baseAddress!.advanced(by: start).copyMemory(from: base, byteCount: take)
            }
            buffered += take
            base = base.advanced(by: take)
            remaining -= take
            guard buffered == 128 else { return }
            let copy = buffer
            copy.span.withUnsafeBytes { block in compress(block.baseAddress!, blocks: 1) }
            buffered = 0
        }

        let whole = remaining / 128
        if whole > 0 {
            compress(base, blocks: whole)
            base = base.advanced(by: whole * 128)
            remaining -= whole * 128
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
        // The message length in bits is 128 bits wide: high word = length >> 61.
        let bitLengthLow = length &<< 3
        let bitLengthHigh = length &>> 61
        // 0x80, zeros up to 112 mod 128, then the bit length big-endian: one or two blocks.
        var pad = InlineArray<144, UInt8>(repeating: 0)
        pad[0] = 0x80
        let zeros = (buffered < 112 ? 111 : 239) - buffered
        let padCount = 1 + zeros + 16
        for i in 0..<8 {
            let shift = 56 - 8 * UInt64(i)
            pad[1 + zeros + i] = UInt8(truncatingIfNeeded: bitLengthHigh >> shift)
            pad[1 + zeros + 8 + i] = UInt8(truncatingIfNeeded: bitLengthLow >> shift)
        }
        let saved = length
        pad.span.withUnsafeBytes { update(UnsafeRawBufferPointer(rebasing: $0[0..<padCount])) }
        length = saved
        precondition(buffered == 0)

        var out = InlineArray<64, UInt8>(repeating: 0)
        let words = [h0, h1, h2, h3, h4, h5, h6, h7] as InlineArray<8, UInt64>
        for i in 0..<8 {
            let w = words[i]
            for j in 0..<8 {
                out[8 * i + j] = UInt8(truncatingIfNeeded: w >> (56 - 8 * UInt64(j)))
            }
        }
        return Digest(out)
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Digest {
        var sha = SHA512()
        sha.update(bytes)
        return sha.finalize()
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: Span<UInt8>) -> Digest {
        var sha = SHA512()
        sha.update(bytes)
        return sha.finalize()
    }

    // MARK: - Compression

    @inline(__always)
    private static func loadBigEndian(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always)
    private static func rotr(_ x: UInt64, _ n: UInt64) -> UInt64 { (x &>> n) | (x &<< (64 &- n)) }

    @inline(__always)
    private static func sigma0(_ x: UInt64) -> UInt64 { rotr(x, 1) ^ rotr(x, 8) ^ (x &>> 7) }

    @inline(__always)
    private static func sigma1(_ x: UInt64) -> UInt64 { rotr(x, 19) ^ rotr(x, 61) ^ (x &>> 6) }

    /// Compresses `blocks` consecutive 128-byte blocks starting at `input` (any alignment).
    ///
    /// One round per iteration over a 16-word circular schedule: short rather than unrolled.
    /// Ed25519 verification hashes one or two blocks, so speed does not matter here and a
    /// Cortex-M boot stage saves about 5 KB over the unrolled form (64-bit arithmetic on a
    /// 32-bit core is bulky).
    private mutating func compress(_ input: UnsafeRawPointer, blocks: Int) {
        Self.roundConstants.withUnsafeBufferPointer { k in
            var block = input
            for _ in 0..<blocks {
                var w = InlineArray<16, UInt64>(repeating: 0)
                for i in 0..<16 { w[i] = Self.loadBigEndian(block, 8 * i) }
                var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                for t in 0..<80 {
                    let i = t & 15
                    if t >= 16 {
                        w[i] &+= Self.sigma1(w[(t &- 2) & 15]) &+ w[(t &- 7) & 15] &+ Self.sigma0(w[(t &- 15) & 15])
                    }
                    let s1 = Self.rotr(e, 14) ^ Self.rotr(e, 18) ^ Self.rotr(e, 41)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = h &+ s1 &+ ch &+ k[t] &+ w[i]
                    let s0 = Self.rotr(a, 28) ^ Self.rotr(a, 34) ^ Self.rotr(a, 39)
                    let maj = (a & b) ^ (a & c) ^ (b & c)
                    h = g; g = f; f = e; e = d &+ t1
                    d = c; c = b; b = a; a = t1 &+ s0 &+ maj
                }
                h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
                h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                block = block.advanced(by: 128)
            }
        }
    }

    /// FIPS 180-4 §4.2.3: first 64 bits of the fractional parts of the cube roots of the first 80
    /// primes. A constant array literal: placed in read-only data (flash) by the Embedded build.
    private static let roundConstants: [UInt64] = [
        0x428a_2f98_d728_ae22, 0x7137_4491_23ef_65cd, 0xb5c0_fbcf_ec4d_3b2f, 0xe9b5_dba5_8189_dbbc,
        0x3956_c25b_f348_b538, 0x59f1_11f1_b605_d019, 0x923f_82a4_af19_4f9b, 0xab1c_5ed5_da6d_8118,
        0xd807_aa98_a303_0242, 0x1283_5b01_4570_6fbe, 0x2431_85be_4ee4_b28c, 0x550c_7dc3_d5ff_b4e2,
        0x72be_5d74_f27b_896f, 0x80de_b1fe_3b16_96b1, 0x9bdc_06a7_25c7_1235, 0xc19b_f174_cf69_2694,
        0xe49b_69c1_9ef1_4ad2, 0xefbe_4786_384f_25e3, 0x0fc1_9dc6_8b8c_d5b5, 0x240c_a1cc_77ac_9c65,
        0x2de9_2c6f_592b_0275, 0x4a74_84aa_6ea6_e483, 0x5cb0_a9dc_bd41_fbd4, 0x76f9_88da_8311_53b5,
        0x983e_5152_ee66_dfab, 0xa831_c66d_2db4_3210, 0xb003_27c8_98fb_213f, 0xbf59_7fc7_beef_0ee4,
        0xc6e0_0bf3_3da8_8fc2, 0xd5a7_9147_930a_a725, 0x06ca_6351_e003_826f, 0x1429_2967_0a0e_6e70,
        0x27b7_0a85_46d2_2ffc, 0x2e1b_2138_5c26_c926, 0x4d2c_6dfc_5ac4_2aed, 0x5338_0d13_9d95_b3df,
        0x650a_7354_8baf_63de, 0x766a_0abb_3c77_b2a8, 0x81c2_c92e_47ed_aee6, 0x9272_2c85_1482_353b,
        0xa2bf_e8a1_4cf1_0364, 0xa81a_664b_bc42_3001, 0xc24b_8b70_d0f8_9791, 0xc76c_51a3_0654_be30,
        0xd192_e819_d6ef_5218, 0xd699_0624_5565_a910, 0xf40e_3585_5771_202a, 0x106a_a070_32bb_d1b8,
        0x19a4_c116_b8d2_d0c8, 0x1e37_6c08_5141_ab53, 0x2748_774c_df8e_eb99, 0x34b0_bcb5_e19b_48a8,
        0x391c_0cb3_c5c9_5a63, 0x4ed8_aa4a_e341_8acb, 0x5b9c_ca4f_7763_e373, 0x682e_6ff3_d6b2_b8a3,
        0x748f_82ee_5def_b2fc, 0x78a5_636f_4317_2f60, 0x84c8_7814_a1f0_ab72, 0x8cc7_0208_1a64_39ec,
        0x90be_fffa_2363_1e28, 0xa450_6ceb_de82_bde9, 0xbef9_a3f7_b2c6_7915, 0xc671_78f2_e372_532b,
        0xca27_3ece_ea26_619c, 0xd186_b8c7_21c0_c207, 0xeada_7dd6_cde0_eb1e, 0xf57d_4f7f_ee6e_d178,
        0x06f0_67aa_7217_6fba, 0x0a63_7dc5_a2c8_98a6, 0x113f_9804_bef9_0dae, 0x1b71_0b35_131c_471b,
        0x28db_77f5_2304_7d84, 0x32ca_ab7b_40c7_2493, 0x3c9e_be0a_15c9_bebc, 0x431d_67c4_9c10_0d4c,
        0x4cc5_d4be_cb3e_42b6, 0x597f_299c_fc65_7e2a, 0x5fcb_6fab_3ad6_faec, 0x6c44_198c_4a47_5817,
    ]
}
