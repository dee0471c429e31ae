/// An open map or array being iterated with ``CBORReader/next(in:)``: definite (a count of items
/// left) or indefinite (runs until the break byte).
public struct CBORContainer: Sendable {
    /// Items (map: keys and values both count) still to come in a definite container.
    var remaining: UInt64
    public let isIndefinite: Bool
    public let isMap: Bool
}

/// Reads CBOR (RFC 8949) from a borrowed buffer, item by item, without allocating.
///
/// Strings come back as slices of the input (valid as long as the input is). Each `read…` either
/// consumes exactly one item of the asked-for type or throws and leaves ``position`` where it was,
/// so a caller can fall back to ``skip()``.
///
/// Every length and count is hostile: it is compared with the bytes that are left before anything
/// is sliced or iterated, so a 2-byte request cannot claim a 2^64-byte string or a 2^63-pair map.
public struct CBORReader {
    /// Deepest container nesting ``skip()`` walks into; a request needs 3, so 16 is generous while
    /// still bounding the work a depth bomb (10 000 × `0x81`) can cause.
    public static let maxDepth = 16

    public let input: UnsafeRawBufferPointer
    /// Offset of the next unread byte.
    public private(set) var position: Int

    public init(_ input: UnsafeRawBufferPointer) {
        self.input = input
        self.position = 0
    }

    /// True when every byte has been read.
    public var isAtEnd: Bool { position >= input.count }
    /// Bytes not yet read.
    public var remainingCount: Int { input.count - position }

    // MARK: - Item heads

    /// An initial byte plus its argument. `argument` is the value, length or count; for
    /// `info == 31` (indefinite / break) it is 0.
    struct Head {
        var major: UInt8
        var info: UInt8
        var argument: UInt64
        /// Offset just past the head.
        var end: Int
        var isIndefinite: Bool { info == 31 }
    }

    /// Decodes the head at `offset` without moving.
    func head(at offset: Int) throws(CBORError) -> Head {
        guard offset < input.count else { throw .truncated }
        let initial = input[offset]
        let major = initial >> 5
        let info = initial & 0x1F
        var p = offset + 1
        let argument: UInt64
        switch info {
        case 0..<24:
            argument = UInt64(info)
        case 24...27:
            let n = 1 << Int(info - 24)  // 1, 2, 4, 8 bytes
            guard n <= input.count - p else { throw .truncated }
            var v: UInt64 = 0
            for i in 0..<n { v = v << 8 | UInt64(input[p + i]) }
            p += n
            argument = v
        case 28...30:
            throw .malformed
        default:  // 31
            // Indefinite length exists for strings, arrays and maps; 0xFF is the break.
            guard major >= 2 && major <= 5 || major == 7 else { throw .malformed }
            argument = 0
        }
        return Head(major: major, info: info, argument: argument, end: p)
    }

    /// Checks that `length` bytes follow `offset` and returns the end offset.
    func checkedEnd(_ offset: Int, length: UInt64) throws(CBORError) -> Int {
        guard length <= UInt64(input.count - offset) else { throw .lengthTooLarge }
        return offset + Int(length)
    }

    // MARK: - Typed reads

    /// The type of the next item, without consuming it.
    public func peekType() throws(CBORError) -> CBORType {
        let h = try head(at: position)
        switch h.major {
        case 0: return .unsigned
        case 1: return .negative
        case 2: return .bytes
        case 3: return .text
        case 4: return .array
        case 5: return .map
        case 6: return .tag
        default:
            switch h.info {
            case 20, 21: return .bool
            case 22: return .null
            case 23: return .undefined
            case 25, 26, 27: return .float
            case 31: return .break
            default: return .simple
            }
        }
    }

    /// An unsigned integer (major type 0).
    public mutating func readUnsigned() throws(CBORError) -> UInt64 {
        let h = try head(at: position)
        guard h.major == 0 else { throw .wrongType }
        position = h.end
        return h.argument
    }

    /// An unsigned integer that must fit 32 bits (MCUboot's `image`, `off` and `len` are 32-bit).
    public mutating func readUInt32() throws(CBORError) -> UInt32 {
        let h = try head(at: position)
        guard h.major == 0 else { throw .wrongType }
        guard h.argument <= UInt64(UInt32.max) else { throw .outOfRange }
        position = h.end
        return UInt32(h.argument)
    }

    /// A signed integer (major type 0 or 1) that fits `Int64`.
    public mutating func readSigned() throws(CBORError) -> Int64 {
        let h = try head(at: position)
        let value: Int64
        switch h.major {
        case 0:
            guard h.argument <= UInt64(Int64.max) else { throw .outOfRange }
            value = Int64(h.argument)
        case 1:
            // -1 - n; n ≤ Int64.max keeps it ≥ Int64.min.
            guard h.argument <= UInt64(Int64.max) else { throw .outOfRange }
            value = ~Int64(h.argument)
        default:
            throw .wrongType
        }
        position = h.end
        return value
    }

    public mutating func readBool() throws(CBORError) -> Bool {
        guard position < input.count else { throw .truncated }
        switch input[position] {
        case 0xF4: position += 1; return false
        case 0xF5: position += 1; return true
        default:
            _ = try head(at: position)  // malformed beats wrong type
            throw .wrongType
        }
    }

    /// Consumes a `null`.
    public mutating func readNull() throws(CBORError) {
        guard position < input.count else { throw .truncated }
        guard input[position] == 0xF6 else {
            _ = try head(at: position)
            throw .wrongType
        }
        position += 1
    }

    /// A definite-length text string, as a slice of the input. Its UTF-8 is validated
    /// (``CBORError/invalidUTF8``): handlers echo text back, and what they send must be CBOR a
    /// strict decoder accepts.
    public mutating func readText() throws(CBORError) -> UnsafeRawBufferPointer {
        let start = position
        let text = try readString(major: 3)
        guard UTF8Validation.isValid(text) else {
            position = start
            throw .invalidUTF8
        }
        return text
    }

    /// A definite-length byte string, as a slice of the input.
    public mutating func readBytes() throws(CBORError) -> UnsafeRawBufferPointer {
        try readString(major: 2)
    }

    mutating func readString(major: UInt8) throws(CBORError) -> UnsafeRawBufferPointer {
        let h = try head(at: position)
        guard h.major == major else { throw .wrongType }
        // Indefinite strings are chunked; returning one slice would need a copy.
        guard !h.isIndefinite else { throw .unsupported }
        let end = try checkedEnd(h.end, length: h.argument)
        position = end
        return UnsafeRawBufferPointer(rebasing: input[h.end..<end])
    }

    // MARK: - Containers

    /// Opens a map (definite or indefinite); iterate with ``next(in:)``, then read a key and its
    /// value for each `true`.
    public mutating func beginMap() throws(CBORError) -> CBORContainer {
        try beginContainer(major: 5)
    }

    /// Opens an array (definite or indefinite); iterate with ``next(in:)``.
    public mutating func beginArray() throws(CBORError) -> CBORContainer {
        try beginContainer(major: 4)
    }

    mutating func beginContainer(major: UInt8) throws(CBORError) -> CBORContainer {
        let h = try head(at: position)
        guard h.major == major else { throw .wrongType }
        let isMap = major == 5
        var items: UInt64 = 0
        if !h.isIndefinite {
            // Each item is at least one byte: a count the rest of the input cannot hold is a lie.
            let (doubled, overflow) = h.argument.multipliedReportingOverflow(by: 2)
            items = isMap ? doubled : h.argument
            guard !(isMap && overflow), items <= UInt64(input.count - h.end) else { throw .lengthTooLarge }
        }
        position = h.end
        return CBORContainer(remaining: items, isIndefinite: h.isIndefinite, isMap: isMap)
    }

    /// Advances to the next entry of `container`: true when a key (map) or item (array) follows,
    /// false when the container has ended (its break byte is consumed).
    public mutating func next(in container: inout CBORContainer) throws(CBORError) -> Bool {
        if container.isIndefinite {
            guard position < input.count else { throw .truncated }
            if input[position] == 0xFF {
                position += 1
                return false
            }
            return true
        }
        guard container.remaining > 0 else { return false }
        container.remaining -= container.isMap ? 2 : 1
        return true
    }

    /// Reads a text key and tells whether it equals `key`.
    public mutating func readKey(equals key: StaticString) throws(CBORError) -> Bool {
        let text = try readText()
        return CBORReader.equal(text, key)
    }

    /// Byte-wise comparison of a text slice with a literal.
    public static func equal(_ text: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { utf8 in
            guard utf8.count == text.count else { return false }
            for i in 0..<utf8.count where utf8[i] != text[i] { return false }
            return true
        }
    }

    // MARK: - Skipping

    /// Consumes one complete item of any type: nested containers (definite or indefinite), tags,
    /// chunked strings, floats and simple values. Iterative with a fixed-size stack, so a depth
    /// bomb costs neither the call stack nor the heap; beyond ``maxDepth`` it throws ``CBORError/tooDeep``.
    /// On error ``position`` is unchanged.
    public mutating func skip() throws(CBORError) {
        // Per open level: items left (definite) or items seen (indefinite, to reject a map whose
        // break follows a key), and whether it is indefinite / a map.
        var left = InlineArray<16, UInt64>(repeating: 0)
        var indefinite = InlineArray<16, Bool>(repeating: false)
        var isMap = InlineArray<16, Bool>(repeating: false)
        var depth = 0
        var p = position

        repeat {
            let h = try head(at: p)
            p = h.end
            var itemComplete = true
            switch h.major {
            case 0, 1:
                break
            case 2, 3:
                if h.isIndefinite {
                    // Chunks: definite strings of the same major type, then a break.
                    while true {
                        guard p < input.count else { throw .truncated }
                        if input[p] == 0xFF { p += 1; break }
                        let chunk = try head(at: p)
                        guard chunk.major == h.major, !chunk.isIndefinite else { throw .malformed }
                        let end = try checkedEnd(chunk.end, length: chunk.argument)
                        // Each chunk of a text string is itself valid UTF-8 (RFC 8949 §3.2.3).
                        if h.major == 3 {
                            guard UTF8Validation.isValid(UnsafeRawBufferPointer(rebasing: input[chunk.end..<end])) else { throw .invalidUTF8 }
                        }
                        p = end
                    }
                } else {
                    let end = try checkedEnd(p, length: h.argument)
                    if h.major == 3 {
                        guard UTF8Validation.isValid(UnsafeRawBufferPointer(rebasing: input[p..<end])) else { throw .invalidUTF8 }
                    }
                    p = end
                }
            case 4, 5, 6:
                let map = h.major == 5
                var items: UInt64 = 1  // a tag wraps exactly one item
                if h.major != 6 && !h.isIndefinite {
                    let (doubled, overflow) = h.argument.multipliedReportingOverflow(by: 2)
                    items = map ? doubled : h.argument
                    guard !(map && overflow), items <= UInt64(input.count - p) else { throw .lengthTooLarge }
                }
                if h.isIndefinite || items > 0 {
                    guard depth < CBORReader.maxDepth else { throw .tooDeep }
                    left[depth] = h.isIndefinite ? 0 : items
                    indefinite[depth] = h.isIndefinite
                    isMap[depth] = map
                    depth += 1
                    itemComplete = false
                }
            default:  // 7
                switch h.info {
                case 24:
                    // Two-byte simple values below 32 are not well-formed (RFC 8949 §3.3).
                    guard h.argument >= 32 else { throw .malformed }
                case 31:
                    // A break closes the innermost indefinite container, and nothing else.
                    guard depth > 0, indefinite[depth - 1] else { throw .malformed }
                    guard !isMap[depth - 1] || left[depth - 1] % 2 == 0 else { throw .malformed }
                    depth -= 1
                default:
                    break
                }
            }
            if itemComplete {
                // Count the finished item in its parent; close every definite level it completes.
                while depth > 0 {
                    if indefinite[depth - 1] {
                        left[depth - 1] &+= 1
                        break
                    }
                    left[depth - 1] -= 1
                    if left[depth - 1] > 0 { break }
                    depth -= 1
                }
            }
        } while depth > 0

        position = p
    }

    // MARK: - Whole requests

    /// Checks that `payload` is one well-formed CBOR map and nothing after it (or empty: requests
    /// without arguments may carry no body). Run once per request before any handler looks at it,
    /// so no handler can act on a request whose tail it never read: trailing bytes, a second item,
    /// invalid UTF-8 in a key it skips, or a map nested past ``maxDepth``.
    public static func checkRequestBody(_ payload: UnsafeRawBufferPointer) throws(CBORError) {
        guard !payload.isEmpty else { return }
        var reader = CBORReader(payload)
        guard try reader.peekType() == .map else { throw .notASingleMap }
        try reader.skip()
        guard reader.isAtEnd else { throw .notASingleMap }
    }
}
