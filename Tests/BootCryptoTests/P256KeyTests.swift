import BootCrypto
import Testing

@Suite struct P256KeyTests {
    static let point = p256Bytes(
        hex: "0404aaec73635726f213fb8a9e64da3b8632e41495a944d0045b522eba7240fad587d9315798aaa3a5ba01775787ced05eaaf7b4e09fc81d6d1aa546e8365d525d"
    )
    static let algorithm = p256Bytes(hex: "301306072a8648ce3d020106082a8648ce3d030107")

    static func spki(algorithm: [UInt8], bitString: [UInt8]) -> [UInt8] {
        let bits = [0x03, UInt8(bitString.count)] + bitString
        let body = algorithm + bits
        return [0x30, UInt8(body.count)] + body
    }

    static func expectRefusal(_ spki: [UInt8], _ error: P256Error, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: error, sourceLocation: sourceLocation) { try p256Key(spki: spki) }
    }

    @Test func spkiRoundTrip() throws {
        let der = Self.spki(algorithm: Self.algorithm, bitString: [0] + Self.point)
        #expect(der.count == 91)
        #expect(try p256Key(spki: der) == p256Key(uncompressed: Self.point))
    }

    @Test func otherCurvesAndAlgorithmsAreRefused() {
        let bits = [0] + Self.point
        // id-ecPublicKey with secp384r1 (1.3.132.0.34).
        Self.expectRefusal(
            Self.spki(algorithm: p256Bytes(hex: "301006072a8648ce3d020106052b81040022"), bitString: bits),
            .unsupportedCurve)
        // id-ecPublicKey with secp256k1 (1.3.132.0.10).
        Self.expectRefusal(
            Self.spki(algorithm: p256Bytes(hex: "301006072a8648ce3d020106052b8104000a"), bitString: bits),
            .unsupportedCurve)
        // id-ecPublicKey with NULL parameters, and with none.
        Self.expectRefusal(
            Self.spki(algorithm: p256Bytes(hex: "300b06072a8648ce3d02010500"), bitString: bits), .unsupportedCurve)
        Self.expectRefusal(
            Self.spki(algorithm: p256Bytes(hex: "300906072a8648ce3d0201"), bitString: bits), .unsupportedCurve)
        // Ed25519 (1.3.101.112) and rsaEncryption.
        Self.expectRefusal(Self.spki(algorithm: p256Bytes(hex: "300506032b6570"), bitString: bits), .unsupportedAlgorithm)
        Self.expectRefusal(
            Self.spki(algorithm: p256Bytes(hex: "300d06092a864886f70d0101010500"), bitString: bits),
            .unsupportedAlgorithm)
        // Extra element after the curve OID.
        Self.expectRefusal(
            Self.spki(algorithm: p256Bytes(hex: "301506072a8648ce3d020106082a8648ce3d0301070500"), bitString: bits),
            .badEncoding)
    }

    @Test func malformedSPKIIsRefused() {
        let good = Self.spki(algorithm: Self.algorithm, bitString: [0] + Self.point)
        Self.expectRefusal(good + [0], .badEncoding)
        Self.expectRefusal(Array(good.dropLast()), .badEncoding)
        Self.expectRefusal([], .badEncoding)
        // Unused bits in the BIT STRING.
        Self.expectRefusal(Self.spki(algorithm: Self.algorithm, bitString: [1] + Self.point), .badEncoding)
        // Point too short / too long.
        Self.expectRefusal(Self.spki(algorithm: Self.algorithm, bitString: [0] + Self.point.dropLast()), .badEncoding)
        Self.expectRefusal(Self.spki(algorithm: Self.algorithm, bitString: [0] + Self.point + [0]), .badEncoding)
        for length in 0..<good.count {
            #expect(throws: P256Error.self) { try p256Key(spki: Array(good[..<length])) }
        }
    }

    @Test func pointEncodingsAreChecked() throws {
        var compressed = Array(Self.point[0..<33])
        compressed[0] = 0x03
        #expect(throws: P256Error.badEncoding) { try p256Key(uncompressed: compressed) }
        var hybrid = Self.point
        hybrid[0] = 0x07
        #expect(throws: P256Error.unsupportedPointFormat) { try p256Key(uncompressed: hybrid) }
        var zeroPrefix = Self.point
        zeroPrefix[0] = 0x00
        #expect(throws: P256Error.badEncoding) { try p256Key(uncompressed: zeroPrefix) }
        #expect(throws: P256Error.badEncoding) { try p256Key(uncompressed: [0x00]) }  // infinity
        var offCurve = Self.point
        offCurve[64] ^= 1
        #expect(throws: P256Error.notOnCurve) { try p256Key(uncompressed: offCurve) }
        let zeros = [0x04] + [UInt8](repeating: 0, count: 64)
        #expect(throws: P256Error.notOnCurve) { try p256Key(uncompressed: zeros) }
    }

    /// x or y ≥ p: the same residue as a valid coordinate, non-canonical, refused.
    @Test func coordinatesAtOrAboveThePrimeAreRefused() throws {
        let p = p256Bytes(hex: "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff")
        let ff = [UInt8](repeating: 0xff, count: 32)
        for coordinate in [p, ff] {
            #expect(throws: P256Error.coordinateOutOfRange) {
                try p256Key(uncompressed: [0x04] + coordinate + Self.point[33...])
            }
            #expect(throws: P256Error.coordinateOutOfRange) {
                try p256Key(uncompressed: [0x04] + Self.point[1..<33] + coordinate)
            }
        }
    }
}
