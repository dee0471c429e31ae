/// A hash digest of `count` bytes held inline (no heap), comparable with `==`: the result type of
/// ``SHA256`` (32 bytes) and ``SHA512`` (64 bytes).
///
/// `==` is an ordinary, early-exit comparison, fine for tests and for digests that are not
/// secrets. Comparing a computed hash with one read from an image goes through
/// ``ConstantTime/equal(_:_:)`` instead (MCUboot's `boot_fih_memequal`).
public struct HashDigest<let count: Int>: Equatable, Sendable {
    public static var byteCount: Int { count }

    public var bytes: InlineArray<count, UInt8>

    public init(_ bytes: InlineArray<count, UInt8>) {
        self.bytes = bytes
    }

    /// The digest held in `raw`, or nil unless `raw` is exactly `count` bytes long.
    public init?(copying raw: UnsafeRawBufferPointer) {
        guard raw.count == count else { return nil }
        var bytes = InlineArray<count, UInt8>(repeating: 0)
        for i in 0..<count { bytes[i] = raw[i] }
        self.bytes = bytes
    }

    public subscript(index: Int) -> UInt8 { bytes[index] }

    /// Calls `body` with a view of the digest bytes.
    public func withUnsafeBytes<R, E: Error>(
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        let copy = bytes
        return try copy.span.withUnsafeBytes { raw throws(E) in try body(raw) }
    }

    public static func == (lhs: HashDigest, rhs: HashDigest) -> Bool {
        for i in 0..<count where lhs.bytes[i] != rhs.bytes[i] { return false }
        return true
    }
}

extension SHA256 {
    /// A SHA-256 digest (32 bytes).
    public typealias Digest = HashDigest<32>
}

extension SHA512 {
    /// A SHA-512 digest (64 bytes).
    public typealias Digest = HashDigest<64>
}
