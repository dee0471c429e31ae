/// A validated ECDSA P-256 (secp256r1, prime256v1) public key: an affine point on the curve with
/// both coordinates below p. It cannot be the point at infinity (that has no uncompressed
/// encoding), and because P-256 has cofactor 1 every point on the curve is in the prime-order
/// group, so no further subgroup check is needed.
///
/// Two encodings are accepted, both strictly:
///
/// ```
/// uncompressed point (SEC 1 §2.3.3), 65 bytes:
/// +------+----------------------+----------------------+
/// | 0x04 | X (32 B, big-endian) | Y (32 B, big-endian) |
/// +------+----------------------+----------------------+
///
/// SubjectPublicKeyInfo (RFC 5480), what imgtool embeds and exports, 91 bytes:
/// 30 59                                    SEQUENCE
///    30 13                                   SEQUENCE (AlgorithmIdentifier)
///       06 07 2A 86 48 CE 3D 02 01             OID id-ecPublicKey
///       06 08 2A 86 48 CE 3D 03 01 07          OID prime256v1
///    03 42 00                                BIT STRING, 0 unused bits
///       04 X Y                                 the uncompressed point
/// ```
public struct P256PublicKey: Equatable, Sendable {
    var point: P256AffinePoint

    /// Parses and validates `0x04 ‖ X ‖ Y` (exactly 65 bytes).
    public init(uncompressed bytes: UnsafeRawBufferPointer) throws(P256Error) {
        guard bytes.count == 65 else { throw .badEncoding }
        switch bytes[0] {
        case 0x04: break
        case 0x02, 0x03, 0x06, 0x07: throw .unsupportedPointFormat
        default: throw .badEncoding
        }
        guard let xValue = Number256(bigEndian: UnsafeRawBufferPointer(rebasing: bytes[1..<33])),
            let yValue = Number256(bigEndian: UnsafeRawBufferPointer(rebasing: bytes[33..<65]))
        else { throw .badEncoding }
        guard let x = P256FieldElement(canonical: xValue), let y = P256FieldElement(canonical: yValue) else {
            throw .coordinateOutOfRange
        }
        let point = P256AffinePoint(x: x, y: y)
        guard point.isOnCurve else { throw .notOnCurve }
        self.point = point
    }

    /// Parses a DER SubjectPublicKeyInfo with algorithm id-ecPublicKey and named curve prime256v1
    /// whose key is an uncompressed point. The whole buffer must be that one structure.
    public init(subjectPublicKeyInfo der: UnsafeRawBufferPointer) throws(P256Error) {
        var outer = DERReader(der)
        var spki = try Self.der { () throws(DERError) in try outer.readSequence() }
        try Self.der { () throws(DERError) in try outer.expectEnd() }
        var algorithm = try Self.der { () throws(DERError) in try spki.readSequence() }
        let algorithmOID = try Self.der { () throws(DERError) in try algorithm.read(tag: 0x06) }
        guard Self.equal(algorithmOID, Self.idECPublicKey) else { throw .unsupportedAlgorithm }
        // RFC 5480 §2.1.1: the parameters must be a namedCurve OID; implicitCurve (NULL), explicit
        // specifiedCurve parameters and absent parameters are refused.
        guard !algorithm.isAtEnd, algorithm.input[algorithm.position] == 0x06 else { throw .unsupportedCurve }
        let curveOID = try Self.der { () throws(DERError) in try algorithm.read(tag: 0x06) }
        guard Self.equal(curveOID, Self.prime256v1) else { throw .unsupportedCurve }
        try Self.der { () throws(DERError) in try algorithm.expectEnd() }
        let key = try Self.der { () throws(DERError) in try spki.readBitString() }
        try Self.der { () throws(DERError) in try spki.expectEnd() }
        try self.init(uncompressed: key)
    }

    /// Runs one DER step, reporting any DER failure as `.badEncoding`.
    @inline(__always)
    private static func der<T>(_ step: () throws(DERError) -> T) throws(P256Error) -> T {
        do throws(DERError) {
            return try step()
        } catch {
            throw .badEncoding
        }
    }

    /// DER contents of OID 1.2.840.10045.2.1 (id-ecPublicKey).
    private static let idECPublicKey: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]
    /// DER contents of OID 1.2.840.10045.3.1.7 (prime256v1 / secp256r1).
    private static let prime256v1: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]

    private static func equal(_ bytes: UnsafeRawBufferPointer, _ expected: [UInt8]) -> Bool {
        guard bytes.count == expected.count else { return false }
        for i in 0..<bytes.count where bytes[i] != expected[i] { return false }
        return true
    }
}
