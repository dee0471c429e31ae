/// Writes CBOR (RFC 8949) into a buffer the caller lends: the response encoder of every handler.
///
/// It never allocates and never traps on a full buffer: a write that does not fit sets
/// ``overflowed``, writes nothing, and every later write is ignored, so a handler encodes its whole
/// response and checks once at the end (mapping an overflow to `MGMT_ERR_ENOMEM`, as MCUboot's
/// `bs_echo` does).
///
/// Maps and arrays from ``beginMap()`` / ``beginArray()`` are indefinite-length (`0xBF … 0xFF`,
/// `0x9F … 0xFF`) because that is what MCUboot's zcbor emits without `ZCBOR_CANONICAL`, and tests
/// compare our replies byte for byte with MCUboot's. Integers and lengths always take the shortest
/// form.
public struct CBORWriter {
    public let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written so far (from the start of `buffer`).
    public private(set) var count: Int = 0
    /// Set by the first write that did not fit; sticky.
    public private(set) var overflowed = false

    public init(_ buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    /// The bytes written so far.
    public var written: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[0..<count])
    }

    /// Starts an indefinite-length map; close it with ``end()``.
    public mutating func beginMap() { put(0xBF) }
    /// Starts an indefinite-length array; close it with ``end()``.
    public mutating func beginArray() { put(0x9F) }
    /// Starts a map of exactly `count` pairs (no ``end()``).
    public mutating func beginMap(count: Int) {
        precondition(count >= 0, "negative map size")
        head(major: 5, UInt64(count))
    }
    /// Starts an array of exactly `count` items (no ``end()``).
    public mutating func beginArray(count: Int) {
        precondition(count >= 0, "negative array size")
        head(major: 4, UInt64(count))
    }
    /// Closes an indefinite-length map or array (the "break" byte 0xFF).
    public mutating func end() { put(0xFF) }

    public mutating func unsigned(_ value: UInt64) { head(major: 0, value) }

    public mutating func signed(_ value: Int64) {
        if value >= 0 {
            head(major: 0, UInt64(value))
        } else {
            // -1 - n encoded as n: ~value is exactly that and cannot overflow (Int64.min → Int64.max).
            head(major: 1, UInt64(~value))
        }
    }

    public mutating func bool(_ value: Bool) { put(value ? 0xF5 : 0xF4) }
    public mutating func null() { put(0xF6) }

    /// A text string from a literal (map keys, fixed strings such as `"MCUboot"`).
    public mutating func text(_ string: StaticString) {
        string.withUTF8Buffer { utf8 in
            head(major: 3, UInt64(utf8.count))
            append(UnsafeRawBufferPointer(utf8))
        }
    }
    /// A text string from bytes that are already UTF-8 (e.g. echoing a request's `"d"`).
    public mutating func text(bytes: UnsafeRawBufferPointer) {
        head(major: 3, UInt64(bytes.count))
        append(bytes)
    }
    /// A byte string.
    public mutating func bytes(_ bytes: UnsafeRawBufferPointer) {
        head(major: 2, UInt64(bytes.count))
        append(bytes)
    }
    /// A map key: a text string.
    public mutating func key(_ string: StaticString) { text(string) }

    // MARK: - Encoding primitives

    /// Writes a major type and its argument in the shortest form (RFC 8949 §3, preferred
    /// serialization): 0…23 in the initial byte, then 1, 2, 4 or 8 following bytes.
    mutating func head(major: UInt8, _ argument: UInt64) {
        let m = major << 5
        switch argument {
        case 0..<24:
            put(m | UInt8(argument))
        case 24...0xFF:
            guard reserve(2) else { return }
            raw(m | 24); raw(UInt8(argument))
        case 0x100...0xFFFF:
            guard reserve(3) else { return }
            raw(m | 25); bigEndian(argument, bytes: 2)
        case 0x1_0000...0xFFFF_FFFF:
            guard reserve(5) else { return }
            raw(m | 26); bigEndian(argument, bytes: 4)
        default:
            guard reserve(9) else { return }
            raw(m | 27); bigEndian(argument, bytes: 8)
        }
    }

    mutating func put(_ byte: UInt8) {
        guard reserve(1) else { return }
        raw(byte)
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard reserve(bytes.count) else { return }
        if let base = bytes.baseAddress, let dst = buffer.baseAddress {
            (dst + count).copyMemory(from: base, byteCount: bytes.count)
        }
        count += bytes.count
    }

    /// True when `n` more bytes fit; otherwise marks the writer overflowed. Once overflowed, every
    /// later write is refused too, so the output is a clean prefix, never a patchwork.
    mutating func reserve(_ n: Int) -> Bool {
        guard !overflowed, n <= buffer.count - count else {
            overflowed = true
            return false
        }
        return true
    }

    /// Unchecked store: only after `reserve`.
    private mutating func raw(_ byte: UInt8) {
        buffer[count] = byte
        count += 1
    }

    private mutating func bigEndian(_ value: UInt64, bytes n: Int) {
        var shift = (n - 1) * 8
        while shift >= 0 {
            raw(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            shift -= 8
        }
    }
}
