/// Walks a request map, reporting the keys a handler knows and skipping the rest: Lifeboat's
/// counterpart of MCUboot's `zcbor_map_decode_bulk`, without its heap-free-but-rigid descriptor
/// tables.
///
/// ```swift
/// var reader = CBORReader(payload)
/// var scan = try CBORMapScanner(&reader, keys: ["image", "len", "off", "data", "sha", "upgrade"])
/// while let key = try scan.next(&reader) {
///     switch key {
///     case 0: image = try reader.readUInt32()
///     case 2: off = try reader.readUInt32()
///     case 3: data = try reader.readBytes()
///     default: try reader.skip()      // a known key whose value this handler ignores
///     }
/// }
/// ```
///
/// After `next` returns an index the reader stands at that key's value, and the caller must
/// consume exactly that value (read it or ``CBORReader/skip()`` it). Unknown text keys are skipped
/// with their values, as MCUboot skips `sha` and `upgrade`. A known key seen twice throws
/// ``CBORError/duplicateKey`` (MCUboot: `-EADDRINUSE` → `EINVAL`); a key that is not a text string
/// throws ``CBORError/wrongType`` (zcbor fails on it too).
public struct CBORMapScanner<let keyCount: Int> {
    public let keys: InlineArray<keyCount, StaticString>
    /// Bit `i` is set once `keys[i]` has been seen.
    public private(set) var seen: UInt32 = 0
    var container: CBORContainer

    /// Opens the map at the reader's position.
    public init(_ reader: inout CBORReader, keys: InlineArray<keyCount, StaticString>) throws(CBORError) {
        precondition(keyCount <= 32, "at most 32 known keys")
        self.keys = keys
        self.container = try reader.beginMap()
    }

    /// The index in `keys` of the next known key (the reader then stands at its value), or nil
    /// at the end of the map.
    public mutating func next(_ reader: inout CBORReader) throws(CBORError) -> Int? {
        while try reader.next(in: &container) {
            let key = try reader.readText()
            var match: Int? = nil
            for i in 0..<keyCount where CBORReader.equal(key, keys[i]) {
                match = i
                break
            }
            guard let index = match else {
                try reader.skip()
                continue
            }
            let bit: UInt32 = 1 << UInt32(index)
            guard seen & bit == 0 else { throw .duplicateKey }
            seen |= bit
            return index
        }
        return nil
    }

    /// True once `keys[index]` has been seen.
    public func contains(_ index: Int) -> Bool {
        precondition(index >= 0 && index < keyCount, "key index out of range")
        return seen & (1 << UInt32(index)) != 0
    }
}
