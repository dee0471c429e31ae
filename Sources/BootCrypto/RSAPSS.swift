/// RSASSA-PSS signature verification (RFC 8017 §8.1.2 with EMSA-PSS-VERIFY, §9.1.2) with SHA-256
/// and MGF1-SHA-256, as MCUboot checks its `RSA2048_PSS` (0x20) and `RSA3072_PSS` (0x23) TLVs.
///
/// MCUboot signs the image hash: mHash is the 32-byte SHA-256 of the image (header, body and
/// protected TLVs), and imgtool uses a fixed 32-byte salt, so the default `saltLength` is 32.
///
/// The encoded message, for a k-byte modulus (emLen = k because the modulus is a whole number of
/// bytes; emBits = 8k − 1, so the top bit of EM must be zero):
///
/// ```
///  0                                          k−33            k−1
///  +------------------------------------------+---------------+----+
///  | maskedDB (k − 33 bytes)                  | H (32 bytes)  | BC |
///  +------------------------------------------+---------------+----+
///  DB = maskedDB ⊕ MGF1(H, k − 33), top bit cleared:
///  +--------------------------------+----+-----------------------+
///  | PS: zeros (k − 66 bytes)       | 01 | salt (32 bytes)       |
///  +--------------------------------+----+-----------------------+
///  H must equal SHA-256(00 00 00 00 00 00 00 00 ‖ mHash ‖ salt).
/// ```
///
/// Nothing is allocated: the signature representative, Montgomery scratch and EM live in
/// fixed-size `InlineArray`s on the stack. Peak stack on armv7em (-Osize) is about 2.5 KB:
/// `verify` 0.4 KB (EM), `publicOperation` 2.0 KB (three 48-limb numbers, plus a copy of the key's
/// limbs the compiler makes), `Montgomery.multiply` 0.1 KB.
public enum RSAPSS {
    /// Length of a SHA-256 digest (hLen).
    public static let digestLength = 32

    /// True when `signature` is a valid RSASSA-PSS (SHA-256, MGF1-SHA-256) signature of the
    /// 32-byte `digest` under `publicKey`, with a salt of exactly `saltLength` bytes.
    ///
    /// Every input is hostile and every malformation is just `false`: a digest that is not
    /// 32 bytes, a signature that is not exactly ``RSAPublicKey/modulusByteCount`` bytes or whose
    /// value is not below the modulus, a negative or oversized salt length, and every encoding
    /// error of EMSA-PSS-VERIFY. H is compared with ``ConstantTime/equal(_:_:)``.
    public static func verify(
        digest: UnsafeRawBufferPointer,
        signature: UnsafeRawBufferPointer,
        publicKey: RSAPublicKey,
        saltLength: Int = 32
    ) -> Bool {
        let k = publicKey.modulusByteCount
        guard digest.count == digestLength, signature.count == k else { return false }
        // emLen = k (see the type's documentation) and RFC 8017 9.1.2 step 3: emLen ≥ hLen + sLen + 2.
        guard saltLength >= 0, saltLength <= k - digestLength - 2 else { return false }

        var encoded = InlineArray<384, UInt8>(repeating: 0)
        var encodedSpan = encoded.mutableSpan
        return encodedSpan.withUnsafeMutableBytes { storage in
            let em = UnsafeMutableRawBufferPointer(rebasing: storage[0..<k])
            guard publicOperation(signature: signature, publicKey: publicKey, into: em) else {
                return false
            }
            return decode(
                encoded: em, emBits: publicKey.modulusBits - 1, digest: digest, saltLength: saltLength)
        }
    }

    /// RSAVP1 and I2OSP: `em = signature^65537 mod n`, as k big-endian bytes. False when the
    /// signature representative is not below n (RFC 8017 5.2.2 step 1).
    ///
    /// With s in normal form: x = Mont(s, R²) = s·R; 16 Montgomery squarings give s^(2^16)·R; a
    /// last Montgomery product with the plain s gives s^(2^16)·s·R·R⁻¹ = s^65537, already out of
    /// Montgomery form. 18 multiplications in all.
    static func publicOperation(
        signature: UnsafeRawBufferPointer, publicKey: RSAPublicKey, into em: UnsafeMutableRawBufferPointer
    ) -> Bool {
        let count = publicKey.limbCount
        let n0inv = publicKey.negatedInverse
        var work = InlineArray<144, UInt64>(repeating: 0)  // s, x, scratch: 3 × 48 limbs
        var workSpan = work.mutableSpan
        // Spans taken once, outside the closures: fetching them inside made the compiler copy the
        // key's limbs a second time (2.8 KB instead of 2.0 KB of stack on armv7em).
        let nSpan = publicKey.modulus.span
        let rrSpan = publicKey.rSquared.span
        return nSpan.withUnsafeBufferPointer { nBuffer in
            rrSpan.withUnsafeBufferPointer { rrBuffer in
                workSpan.withUnsafeMutableBufferPointer { w in
                    let n = nBuffer.baseAddress!
                    let rr = rrBuffer.baseAddress!
                    let s = w.baseAddress!
                    let x = s + BigNum.maxLimbs
                    let t = x + BigNum.maxLimbs
                    BigNum.load(s, count: count, bigEndian: signature)
                    guard BigNum.isLess(s, n, count: count) else { return false }
                    Montgomery.multiply(x, s, rr, modulus: n, negatedInverse: n0inv, count: count, scratch: t)
                    for _ in 0..<16 {
                        Montgomery.multiply(x, x, x, modulus: n, negatedInverse: n0inv, count: count, scratch: t)
                    }
                    Montgomery.multiply(x, x, s, modulus: n, negatedInverse: n0inv, count: count, scratch: t)
                    BigNum.store(x, count: count, bigEndian: em)
                    return true
                }
            }
        }
    }

    /// EMSA-PSS-VERIFY (RFC 8017 9.1.2) steps 3–14 over `em`, which is unmasked in place.
    /// `em.count` is emLen; the caller has checked emLen ≥ hLen + sLen + 2.
    static func decode(
        encoded em: UnsafeMutableRawBufferPointer, emBits: Int, digest: UnsafeRawBufferPointer,
        saltLength: Int
    ) -> Bool {
        let emLen = em.count
        let hLen = digestLength
        guard emLen >= hLen + saltLength + 2, 8 * emLen - emBits < 8, 8 * emLen >= emBits else {
            return false
        }
        // Step 4: the trailer field.
        guard em[emLen - 1] == 0xBC else { return false }
        // Step 5: maskedDB ‖ H.
        let dbLen = emLen - hLen - 1
        let h = UnsafeRawBufferPointer(rebasing: em[dbLen..<(dbLen + hLen)])
        // Step 6: the leftmost 8·emLen − emBits bits of maskedDB must be zero.
        let keptBits: UInt8 = 0xFF >> UInt8(8 * emLen - emBits)
        guard em[0] & ~keptBits == 0 else { return false }
        // Steps 7–8: DB = maskedDB ⊕ MGF1(H, dbLen), in place.
        var counter: UInt32 = 0
        var offset = 0
        while offset < dbLen {
            var sha = SHA256()
            sha.update(h)
            let counterBytes: InlineArray<4, UInt8> = [
                UInt8(truncatingIfNeeded: counter >> 24), UInt8(truncatingIfNeeded: counter >> 16),
                UInt8(truncatingIfNeeded: counter >> 8), UInt8(truncatingIfNeeded: counter),
            ]
            counterBytes.span.withUnsafeBytes { sha.update($0) }
            let mask = sha.finalize()
            let chunk = min(hLen, dbLen - offset)
            for i in 0..<chunk {
                em[offset + i] ^= mask[i]
            }
            offset += hLen
            counter &+= 1
        }
        // Step 9: clear the same leftmost bits of DB.
        em[0] &= keptBits
        // Step 10: PS (emLen − hLen − sLen − 2 zero bytes), then 0x01.
        let psLen = emLen - hLen - saltLength - 2
        var nonZero: UInt8 = 0
        for i in 0..<psLen {
            nonZero |= em[i]
        }
        guard nonZero == 0, em[psLen] == 0x01 else { return false }
        // Steps 11–13: H' = SHA-256(0x00 × 8 ‖ mHash ‖ salt).
        let salt = UnsafeRawBufferPointer(rebasing: em[(psLen + 1)..<dbLen])
        var sha = SHA256()
        let zeros = InlineArray<8, UInt8>(repeating: 0)
        zeros.span.withUnsafeBytes { sha.update($0) }
        sha.update(digest)
        sha.update(salt)
        let hPrime = sha.finalize()
        // Step 14.
        return hPrime.withUnsafeBytes { ConstantTime.equal($0, h) }
    }
}
