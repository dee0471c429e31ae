/// Why an Ed25519 public key was refused.
public enum Ed25519Error: Error, Equatable, Sendable {
    /// The raw key is not exactly 32 bytes.
    case badKeyLength
    /// The encoded y is ≥ p (RFC 8032 §5.1.3 step 1): a second spelling of some other key.
    case nonCanonicalEncoding
    /// No point on edwards25519 has this encoding (x² = (y² − 1)/(d·y² + 1) has no root, or
    /// x = 0 with the sign bit set).
    case notOnCurve
    /// The point has order 1, 2, 4 or 8. See ``Ed25519PublicKey``.
    case smallOrder
    /// The SubjectPublicKeyInfo is not strict DER of the RFC 8410 shape.
    case malformedSubjectPublicKeyInfo
    /// The SubjectPublicKeyInfo names an algorithm other than id-Ed25519 (1.3.101.112), or has
    /// parameters (RFC 8410 §3: they MUST be absent).
    case wrongAlgorithm
}

/// An Ed25519 public key A (RFC 8032 §5.1.5), decoded and checked once so that each
/// verification starts from the point.
///
/// Refused at construction: lengths other than 32 bytes, non-canonical encodings (y ≥ p),
/// encodings of no curve point, and **small-order points** (order 1, 2, 4 or 8: the identity,
/// (0, −1), and the points of order 4 and 8). A small-order A is never the output of key
/// generation (A = [s]B lies in the prime-order subgroup), and with one, [k]A takes at most 8
/// values whatever the message, so a single forged (R, S = 0) pair verifies for about one
/// message in eight. Wycheproof does not list such keys as valid. Keys with a small-order
/// component added to a prime-order point ("mixed order") are not detected: that would cost a
/// full [L]A multiplication, and with the cofactorless equation used by ``Ed25519/verify(signature:message:publicKey:)``
/// such a key still only verifies what its owner signed.
///
/// ```
/// raw (32 bytes, little-endian):
///   +----------------------------------+-+
///   | y (255 bits, must be < 2^255-19) |s|   s = bit 255 = low bit of x
///   +----------------------------------+-+
///
/// SubjectPublicKeyInfo (RFC 8410 §4, as imgtool exports it, 44 bytes):
///   30 2a                    SEQUENCE
///      30 05                 SEQUENCE (AlgorithmIdentifier)
///         06 03 2b 65 70     OID 1.3.101.112 (id-Ed25519), no parameters
///      03 21 00 <32 bytes>   BIT STRING, 0 unused bits, the raw key
/// ```
public struct Ed25519PublicKey: Sendable {
    /// Bytes in a raw public key.
    public static let byteCount = 32

    /// The 32-byte encoding, exactly as given (it is hashed into k = SHA-512(R ‖ A ‖ M)).
    public let rawRepresentation: InlineArray<32, UInt8>

    /// −A: the verification equation computes [S]B + [k](−A).
    let negatedPoint: Curve25519.Point

    /// The key from its 32-byte encoding.
    public init(rawRepresentation raw: UnsafeRawBufferPointer) throws(Ed25519Error) {
        guard raw.count == Self.byteCount else { throw .badKeyLength }
        guard Curve25519.isCanonicalEncoding(raw, offset: 0) else { throw .nonCanonicalEncoding }
        guard let point = Curve25519.Point(decoding: raw, offset: 0) else { throw .notOnCurve }
        guard !point.hasSmallOrder else { throw .smallOrder }
        var bytes = InlineArray<32, UInt8>(repeating: 0)
        for i in 0..<32 { bytes[i] = raw[i] }
        self.rawRepresentation = bytes
        self.negatedPoint = point.negated
    }

    /// The key from a DER SubjectPublicKeyInfo (RFC 8410), the form imgtool embeds in MCUboot
    /// (`bootutil_keys[]`). Trailing bytes after the SEQUENCE, parameters in the
    /// AlgorithmIdentifier and BIT STRINGs with unused bits are refused.
    public init(subjectPublicKeyInfo der: UnsafeRawBufferPointer) throws(Ed25519Error) {
        let key: UnsafeRawBufferPointer?
        do throws(DERError) {
            key = try Self.parseSubjectPublicKeyInfo(der)
        } catch {
            throw .malformedSubjectPublicKeyInfo
        }
        guard let key else { throw .wrongAlgorithm }
        try self.init(rawRepresentation: key)
    }

    /// The BIT STRING contents of an id-Ed25519 SubjectPublicKeyInfo, or nil when the
    /// AlgorithmIdentifier is anything but the bare OID 1.3.101.112.
    private static func parseSubjectPublicKeyInfo(
        _ der: UnsafeRawBufferPointer
    ) throws(DERError) -> UnsafeRawBufferPointer? {
        var outer = DERReader(der)
        var info = try outer.readSequence()
        try outer.expectEnd()
        var algorithm = try info.readSequence()
        let oid = try algorithm.read(tag: 0x06)
        guard oid.count == 3, oid[0] == 0x2B, oid[1] == 0x65, oid[2] == 0x70, algorithm.isAtEnd else {
            return nil
        }
        let key = try info.readBitString()
        try info.expectEnd()
        return key
    }

    /// Calls `body` with a view of the 32 raw key bytes.
    public func withUnsafeBytes<R, E: Error>(
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        let copy = rawRepresentation
        return try copy.span.withUnsafeBytes { raw throws(E) in try body(raw) }
    }
}
