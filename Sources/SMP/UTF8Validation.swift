/// Strict UTF-8 validation (RFC 3629, the definition RFC 8949 §3.1 requires of CBOR text strings):
/// no overlong forms, no surrogates (U+D800…U+DFFF), nothing above U+10FFFF, no truncated sequence.
///
/// Text from the wire is echoed back (`os echo`); a reply carrying invalid UTF-8 is rejected by
/// strict CBOR decoders such as Python's cbor2, so the reader refuses such text on the way in.
/// Table-free: a bootloader cannot spare a 256-byte class table for a check this rare.
enum UTF8Validation {
    /// True when `bytes` is well-formed UTF-8.
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 {
                i += 1
                continue
            }
            // Sequence length, and the range the second byte may take (this is where overlongs,
            // surrogates and values past U+10FFFF are excluded; later bytes are 80…BF).
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return false  // 80…C1 (continuation or overlong lead), F5…FF
            }
            guard n - i >= length else { return false }
            let b1 = bytes[i + 1]
            guard b1 >= low && b1 <= high else { return false }
            var k = 2
            while k < length {
                guard bytes[i + k] & 0xC0 == 0x80 else { return false }
                k += 1
            }
            i += length
        }
        return true
    }
}
