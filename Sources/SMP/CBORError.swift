/// Why a CBOR item was refused. Every input that is not exactly what the caller asked for ends in
/// one of these: the reader never traps on what arrives from the wire.
public enum CBORError: Error, Equatable, Sendable {
    /// The input ends inside an item (its head, or before a map/array is closed).
    case truncated
    /// Not well-formed CBOR: reserved additional info 28–30, a break where none may stand, an
    /// indefinite length on a major type that has none, a bad chunk in an indefinite string, a
    /// two-byte simple value below 32, an indefinite map with a key but no value.
    case malformed
    /// Well-formed, but outside what Lifeboat reads (indefinite-length strings where a slice of the
    /// input is asked for).
    case unsupported
    /// The item is of another type than the one asked for (the reader has not moved).
    case wrongType
    /// An integer does not fit the requested Swift type.
    case outOfRange
    /// Containers nested deeper than ``CBORReader/maxDepth``.
    case tooDeep
    /// A known map key appeared twice (MCUboot's `zcbor_map_decode_bulk` refuses this too).
    case duplicateKey
    /// A string length, or a container count, exceeds what the rest of the input could hold.
    /// Checked before anything is sliced, so a hostile 0xFFFFFFFFFFFFFFFF cannot overflow.
    case lengthTooLarge
    /// A text string is not well-formed UTF-8 (RFC 8949 §3.1 requires it; strict decoders reject
    /// a reply that echoes it).
    case invalidUTF8
    /// Bytes follow the request's one top-level item, or the request body is not a map.
    case notASingleMap
}

/// The kind of the next item, from its initial byte alone (``CBORReader/peekType()``).
public enum CBORType: Equatable, Sendable {
    case unsigned, negative, bytes, text, array, map, tag
    case bool, null, undefined, float, simple
    /// The "break" byte 0xFF that ends an indefinite-length container.
    case `break`
}
