import SMP

/// A CBOR data item on the host, for building requests and reading responses of any shape.
/// Decoding and encoding go through the portable ``SMP/CBORReader`` / ``SMP/CBORWriter``.
public indirect enum CBORValue: Equatable, Sendable, CustomStringConvertible {
    case unsigned(UInt64)
    case negative(Int64)
    case bytes([UInt8])
    case text(String)
    case array([CBORValue])
    /// Entries in wire order.
    case map([(CBORValue, CBORValue)])
    case bool(Bool)
    case null

    public static func == (lhs: CBORValue, rhs: CBORValue) -> Bool {
        switch (lhs, rhs) {
        case (.unsigned(let a), .unsigned(let b)): a == b
        case (.negative(let a), .negative(let b)): a == b
        case (.bytes(let a), .bytes(let b)): a == b
        case (.text(let a), .text(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.map(let a), .map(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.bool(let a), .bool(let b)): a == b
        case (.null, .null): true
        default: false
        }
    }

    /// The value of `key` in a map with text keys.
    public subscript(key: String) -> CBORValue? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.0 == .text(key) }?.1
    }

    public var intValue: Int? {
        switch self {
        case .unsigned(let v): Int(exactly: v)
        case .negative(let v): Int(exactly: v)
        default: nil
        }
    }

    public var stringValue: String? { if case .text(let s) = self { s } else { nil } }
    public var bytesValue: [UInt8]? { if case .bytes(let b) = self { b } else { nil } }
    public var arrayValue: [CBORValue]? { if case .array(let a) = self { a } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }

    public var description: String {
        switch self {
        case .unsigned(let v): "\(v)"
        case .negative(let v): "\(v)"
        case .bytes(let b): b.count <= 32 ? "h'\(b.map { String(format: "%02x", $0) }.joined())'" : "<\(b.count) bytes>"
        case .text(let s): "\"\(s)\""
        case .array(let a): "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .map(let m): "{" + m.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}"
        case .bool(let b): "\(b)"
        case .null: "null"
        }
    }

    // MARK: Encoding

    /// Encodes the value; maps and arrays with definite lengths, as cbor2 (smpclient) does.
    public func encoded() -> [UInt8] {
        var capacity = 256
        while true {
            var buffer = [UInt8](repeating: 0, count: capacity)
            let count: Int? = buffer.withUnsafeMutableBytes { raw in
                var writer = CBORWriter(raw)
                write(to: &writer)
                return writer.overflowed ? nil : writer.count
            }
            if let count { return Array(buffer[0..<count]) }
            capacity *= 4
        }
    }

    func write(to writer: inout CBORWriter) {
        switch self {
        case .unsigned(let v): writer.unsigned(v)
        case .negative(let v): writer.signed(v)
        case .bytes(let b): b.withUnsafeBytes { writer.bytes($0) }
        case .text(let s): Array(s.utf8).withUnsafeBytes { writer.text(bytes: $0) }
        case .array(let items):
            writer.beginArray(count: items.count)
            for item in items { item.write(to: &writer) }
        case .map(let entries):
            writer.beginMap(count: entries.count)
            for (key, value) in entries {
                key.write(to: &writer)
                value.write(to: &writer)
            }
        case .bool(let b): writer.bool(b)
        case .null: writer.null()
        }
    }

    // MARK: Decoding

    /// Decodes exactly one item that fills `bytes`.
    public static func decode(_ bytes: [UInt8]) throws(CBORError) -> CBORValue {
        let result = bytes.withUnsafeBytes { raw -> Result<CBORValue, CBORError> in
            var reader = CBORReader(raw)
            do throws(CBORError) {
                let value = try read(&reader, depth: 0)
                guard reader.isAtEnd else { throw .malformed }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    static func read(_ reader: inout CBORReader, depth: Int) throws(CBORError) -> CBORValue {
        guard depth < CBORReader.maxDepth else { throw .tooDeep }
        switch try reader.peekType() {
        case .unsigned: return .unsigned(try reader.readUnsigned())
        case .negative: return .negative(try reader.readSigned())
        case .bytes: return .bytes(Array(try reader.readBytes()))
        case .text: return .text(String(decoding: try reader.readText(), as: UTF8.self))
        case .bool: return .bool(try reader.readBool())
        case .null:
            try reader.readNull()
            return .null
        case .array:
            var container = try reader.beginArray()
            var items: [CBORValue] = []
            while try reader.next(in: &container) { items.append(try read(&reader, depth: depth + 1)) }
            return .array(items)
        case .map:
            var container = try reader.beginMap()
            var entries: [(CBORValue, CBORValue)] = []
            while try reader.next(in: &container) {
                let key = try read(&reader, depth: depth + 1)
                entries.append((key, try read(&reader, depth: depth + 1)))
            }
            return .map(entries)
        default:
            throw .unsupported
        }
    }
}

extension CBORValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: UInt64) { self = .unsigned(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
