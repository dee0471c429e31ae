extension SHA512 {
    /// A SHA-512 digest: 64 bytes held inline (no heap), comparable with `==`.
    ///
    /// `==` is an ordinary, early-exit comparison, fine for tests and for digests that are not
    /// secrets. Comparing a computed hash with one read from an image goes through
    /// ``ConstantTime/equal(_:_:)`` instead.
    public struct Digest: Equatable, Sendable {
        public static let byteCount = 64

        public var bytes: InlineArray<64, UInt8>

        public init(_ bytes: InlineArray<64, UInt8>) {
            self.bytes = bytes
        }

        /// The digest held in `raw`, or nil unless `raw` is exactly 64 bytes long.
        public init?(copying raw: UnsafeRawBufferPointer) {
            guard raw.count == Self.byteCount else { return nil }
            var bytes = InlineArray<64, UInt8>(repeating: 0)
            for i in 0..<64 { bytes[i] = raw[i] }
            self.bytes = bytes
        }

        public subscript(index: Int) -> UInt8 { bytes[index] }

        /// Calls `body` with a view of the 64 digest bytes.
        public func withUnsafeBytes<R, E: Error>(
            _ body: (UnsafeRawBufferPointer) throws(E) -> R
        ) throws(E) -> R {
            let copy = bytes
            return try copy.span.withUnsafeBytes { raw throws(E) in try body(raw) }
        }

        public static func == (lhs: Digest, rhs: Digest) -> Bool {
            for i in 0..<64 where lhs.bytes[i] != rhs.bytes[i] { return false }
            return true
        }
    }
}
