/// Why a base64 string was refused.
public enum Base64Error: Error, Equatable, Sendable {
    /// A byte outside the standard alphabet, `=`, and the skippable whitespace.
    case invalidCharacter
    /// `=` somewhere other than the last one or two positions of the final group, or data after it.
    case badPadding
    /// The significant characters are not whole 4-character groups. MCUboot decodes every console
    /// line on its own, so a line that ends mid-group is a broken frame, not a fragment to carry over.
    case badLength
    /// The decoded bytes do not fit the output buffer.
    case outputTooSmall
}

/// Base64 with the standard alphabet (RFC 4648 §4) and `=` padding: the encoding of SMP console frames.
///
/// Decoding follows Zephyr's `lib/os/base64.c` (the one MCUboot's Zephyr port links) where it is
/// lenient: spaces, CR and LF are skipped. It is stricter where the console framing needs it:
/// whole 4-character groups only. Neither direction touches the heap; the caller lends the output.
public enum Base64 {
    /// Characters needed for `n` raw bytes (padded): `4 * ceil(n / 3)`.
    @inlinable
    public static func encodedLength(_ n: Int) -> Int {
        precondition(n >= 0, "negative length")
        return (n / 3 + (n % 3 == 0 ? 0 : 1)) * 4
    }

    /// Encodes `input` into the start of `output`; returns the number of characters written, or
    /// nil (writing nothing) when `output` is too small.
    public static func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        let needed = encodedLength(input.count)
        guard needed <= output.count else { return nil }
        var i = 0
        var o = 0
        while i < input.count {
            let left = input.count - i
            let b0 = input[i]
            let b1: UInt8 = left > 1 ? input[i + 1] : 0
            let b2: UInt8 = left > 2 ? input[i + 2] : 0
            output[o] = character(b0 >> 2)
            output[o + 1] = character((b0 & 0x03) << 4 | b1 >> 4)
            output[o + 2] = left > 1 ? character((b1 & 0x0F) << 2 | b2 >> 6) : pad
            output[o + 3] = left > 2 ? character(b2 & 0x3F) : pad
            i += 3
            o += 4
        }
        return needed
    }

    /// Decodes `input` into the start of `output`; returns the number of bytes written.
    ///
    /// The whole input is validated before the first byte is written, so a refused string leaves
    /// `output` untouched. Non-zero bits in the padding position are accepted, as Zephyr does.
    public static func decode(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws(Base64Error) -> Int {
        // Pass 1: count significant characters and check the padding.
        var significant = 0
        var padding = 0
        for c in input {
            if isSkippable(c) { continue }
            if c == pad {
                padding += 1
                guard padding <= 2 else { throw .badPadding }
            } else {
                guard value(of: c) != nil else { throw .invalidCharacter }
                guard padding == 0 else { throw .badPadding }  // data after '='
            }
            significant += 1
        }
        guard significant % 4 == 0 else { throw .badLength }
        // '=' may only sit in the last group (it is last by construction: nothing follows it).
        let decodedCount = significant / 4 * 3 - padding
        guard decodedCount <= output.count else { throw .outputTooSmall }

        // Pass 2: decode; every character is known valid now.
        var quad: UInt32 = 0
        var inQuad = 0
        var o = 0
        for c in input {
            if isSkippable(c) { continue }
            quad = quad << 6 | UInt32(value(of: c) ?? 0)
            inQuad += 1
            if inQuad == 4 {
                let bytes = (UInt8(truncatingIfNeeded: quad >> 16), UInt8(truncatingIfNeeded: quad >> 8),
                             UInt8(truncatingIfNeeded: quad))
                if o < decodedCount { output[o] = bytes.0; o += 1 }
                if o < decodedCount { output[o] = bytes.1; o += 1 }
                if o < decodedCount { output[o] = bytes.2; o += 1 }
                quad = 0
                inQuad = 0
            }
        }
        return decodedCount
    }

    @usableFromInline static let pad = UInt8(ascii: "=")

    /// Whitespace Zephyr's decoder steps over (spaces, CR, LF): a console line may end in CRLF.
    @inlinable
    static func isSkippable(_ c: UInt8) -> Bool {
        c == UInt8(ascii: " ") || c == UInt8(ascii: "\r") || c == UInt8(ascii: "\n")
    }

    /// The 6-bit value of an alphabet character; nil for anything else (including `=`).
    /// Arithmetic instead of a 256-byte table: this runs once per character of a 128-byte line.
    @inlinable
    static func value(of c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }

    @inlinable
    static func character(_ v: UInt8) -> UInt8 {
        switch v {
        case 0..<26: UInt8(ascii: "A") + v
        case 26..<52: UInt8(ascii: "a") + (v - 26)
        case 52..<62: UInt8(ascii: "0") + (v - 52)
        case 62: UInt8(ascii: "+")
        default: UInt8(ascii: "/")
        }
    }
}
