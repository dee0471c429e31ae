/// A strict DER reader (X.690 distinguished encoding) for the few structures a bootloader meets:
/// ECDSA signatures `SEQUENCE { INTEGER r, INTEGER s }`, SubjectPublicKeyInfo, PKCS#1
/// `RSAPublicKey`. Every length is hostile: it is checked against the remaining input before any
/// slice is taken; indefinite and non-minimal lengths, and lengths over 4 bytes, are rejected.
public struct DERReader {
    public let input: UnsafeRawBufferPointer
    public private(set) var position = 0

    public init(_ input: UnsafeRawBufferPointer) { self.input = input }

    public var isAtEnd: Bool { position >= input.count }

    /// Reads one element with tag `tag` and returns its contents (a slice of the input).
    public mutating func read(tag: UInt8) throws(DERError) -> UnsafeRawBufferPointer {
        guard position < input.count else { throw .truncated }
        guard input[position] == tag else { throw .unexpectedTag }
        var p = position + 1
        guard p < input.count else { throw .truncated }
        let first = input[p]
        p += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            // 0x80 is the indefinite form (not DER); more than 4 length bytes is not a bootloader's business.
            guard count >= 1, count <= 4 else { throw .badLength }
            guard count <= input.count - p else { throw .truncated }
            guard input[p] != 0 else { throw .badLength }  // leading zero: not minimal
            for _ in 0..<count {
                length = length << 8 | Int(input[p])
                p += 1
            }
            guard length >= 0x80 else { throw .badLength }  // would fit the short form: not minimal
        }
        guard length <= input.count - p else { throw .truncated }
        position = p + length
        return UnsafeRawBufferPointer(rebasing: input[p..<(p + length)])
    }

    /// A reader over the contents of the next `SEQUENCE`.
    public mutating func readSequence() throws(DERError) -> DERReader {
        DERReader(try read(tag: 0x30))
    }

    /// The magnitude of a non-negative `INTEGER`, without its sign byte. Negative values, empty
    /// integers and non-minimal encodings (a redundant 0x00 or 0xFF prefix) are rejected.
    public mutating func readUnsignedInteger() throws(DERError) -> UnsafeRawBufferPointer {
        let content = try read(tag: 0x02)
        guard content.count > 0 else { throw .badInteger }
        guard content[0] & 0x80 == 0 else { throw .negativeInteger }
        if content[0] == 0 {
            guard content.count > 1 else { return UnsafeRawBufferPointer(rebasing: content[1...]) }
            guard content[1] & 0x80 != 0 else { throw .badInteger }  // the 0x00 was not needed
            return UnsafeRawBufferPointer(rebasing: content[1...])
        }
        return content
    }

    /// The contents of a `BIT STRING` whose bit count is a multiple of 8 (the only kind keys use).
    public mutating func readBitString() throws(DERError) -> UnsafeRawBufferPointer {
        let content = try read(tag: 0x03)
        guard content.count >= 1, content[0] == 0 else { throw .badBitString }
        return UnsafeRawBufferPointer(rebasing: content[1...])
    }

    /// Throws unless every byte has been consumed (trailing data after a signature is rejected).
    public func expectEnd() throws(DERError) {
        guard isAtEnd else { throw .trailingData }
    }
}

/// Why DER input was refused.
public enum DERError: Error, Equatable, Sendable {
    case truncated
    case unexpectedTag
    case badLength
    case badInteger
    case negativeInteger
    case badBitString
    case trailingData
}
