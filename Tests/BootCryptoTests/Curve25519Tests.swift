@testable import BootCrypto
import Testing

/// The arithmetic under Ed25519, checked against values computed with Python integers.
@Suite struct Ed25519CurveArithmeticTests {
    private func digest(_ hex: String) -> SHA512.Digest {
        ed25519Bytes(hex).withUnsafeBytes { SHA512.Digest(copying: $0)! }
    }

    private func bytes(_ value: Number256) -> [UInt8] {
        let encoded = value.littleEndianBytes
        return (0..<32).map { encoded[$0] }
    }

    private func number(_ hex: String) -> Number256 {
        ed25519Bytes(hex).withUnsafeBytes { Number256(littleEndian: $0, offset: 0) }
    }

    private func element(_ value: UInt32) -> Curve25519.FieldElement {
        Curve25519.FieldElement(canonical: Number256(small: value))!
    }

    @Test(arguments: [
        // SHA-512("") and SHA-512("abc") as 512-bit little-endian numbers, and 2^512 − 1.
        ("cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
         "9ef5a0ea93678eb78d69b33367e129543b0d8520122c42e7dfe9d1977f6c3a0c"),
        ("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
         "d15dbef29abf1ff29f9cf91c4b75ee0bb1012cb031d9605d684e841df034de0b"),
        (String(repeating: "ff", count: 64), "000f9c44e31106a447938568a71b0ed065bef517d273ecce3d9a307c1b419903"),
        (String(repeating: "00", count: 64), String(repeating: "00", count: 32)),
        // L itself, and L − 1, padded to 512 bits.
        ("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010" + String(repeating: "00", count: 32),
         String(repeating: "00", count: 32)),
        ("ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010" + String(repeating: "00", count: 32),
         "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"),
    ])
    func scalarReduction(_ wide: String, _ reduced: String) {
        #expect(ed25519Hex(bytes(Curve25519.reduce(digest(wide)))) == reduced)
    }

    @Test func canonicalScalarBound() {
        let order = ed25519Bytes("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
        var below = order
        below[0] -= 1
        #expect(below.withUnsafeBytes { Curve25519.canonicalScalar($0, offset: 0) } != nil)
        #expect(order.withUnsafeBytes { Curve25519.canonicalScalar($0, offset: 0) } == nil)
        #expect([UInt8](repeating: 0xff, count: 32).withUnsafeBytes { Curve25519.canonicalScalar($0, offset: 0) } == nil)
        #expect([UInt8](repeating: 0, count: 32).withUnsafeBytes { Curve25519.canonicalScalar($0, offset: 0) } != nil)
    }

    /// The Montgomery-form constants are what their definitions say.
    @Test func fieldConstants() {
        let d = Curve25519.FieldElement.d
        #expect(d * element(121_666) == -element(121_665))
        #expect(Curve25519.FieldElement.twoD == d + d)
        let i = Curve25519.FieldElement.sqrtMinusOne
        #expect(i * i == -Curve25519.FieldElement.one)
        #expect(Curve25519.FieldElement.one.canonical == Number256(small: 1))
        #expect(element(4) * element(5).inverse() == Curve25519.Point.basepoint.y)
        let b = Curve25519.Point.basepoint
        #expect(b.x * b.y == b.t)
    }

    @Test func fieldInverse() {
        var x = element(123_456_789)
        for _ in 0..<20 {
            #expect(x * x.inverse() == .one)
            x = x.squared() + .one
        }
        #expect(Curve25519.FieldElement.zero.inverse().isZero)
    }

    /// y below p is canonical whatever the sign bit; p and above are not, and are never reduced.
    @Test func canonicalEncoding() {
        let pMinusOne = ed25519Bytes("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
        let p = ed25519Bytes("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
        var pMinusOneSigned = pMinusOne
        pMinusOneSigned[31] |= 0x80
        var pSigned = p
        pSigned[31] |= 0x80
        #expect(pMinusOne.withUnsafeBytes { Curve25519.isCanonicalEncoding($0, offset: 0) })
        #expect(pMinusOneSigned.withUnsafeBytes { Curve25519.isCanonicalEncoding($0, offset: 0) })
        #expect(!p.withUnsafeBytes { Curve25519.isCanonicalEncoding($0, offset: 0) })
        #expect(!pSigned.withUnsafeBytes { Curve25519.isCanonicalEncoding($0, offset: 0) })
        #expect(Curve25519.FieldElement(canonical: number(ed25519Hex(p))) == nil)
        #expect(Curve25519.FieldElement(canonical: number(ed25519Hex(pMinusOne))) == -.one)
    }

    @Test func basepointEncodesDecodesAndHasPrimeOrder() {
        let b = Curve25519.Point.basepoint
        let encoded = (0..<32).map { b.encoded[$0] }
        #expect(ed25519Hex(encoded) == "5866666666666666666666666666666666666666666666666666666666666666")
        let decoded = encoded.withUnsafeBytes { Curve25519.Point(decoding: $0, offset: 0) }
        #expect(decoded?.x == b.x && decoded?.y == b.y && decoded?.t == b.t)
        #expect(!b.hasSmallOrder)
        // [L − 1]B + [0]B = −B: same y, x negated (B's x is even, so −B's is odd).
        let lMinusOne = number("ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
        let minusB = Curve25519.Point.basepointTimes(lMinusOne, plus: .zero, times: b)
        var expected = encoded
        expected[31] |= 0x80
        #expect((0..<32).map { minusB.encoded[$0] } == expected)
        // [1]B + [L − 1]B = identity, which encodes as y = 1.
        let identity = Curve25519.Point.basepointTimes(Number256(small: 1), plus: lMinusOne, times: b)
        #expect(ed25519Hex((0..<32).map { identity.encoded[$0] }) == "01" + String(repeating: "00", count: 31))
    }

    /// The identity and the point of order 2 (y = −1) decode and are of small order.
    @Test func smallOrderPoints() {
        for hex in ["01" + String(repeating: "00", count: 31),
                    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"] {
            let point = ed25519Bytes(hex).withUnsafeBytes { Curve25519.Point(decoding: $0, offset: 0) }
            #expect(point?.hasSmallOrder == true, "\(hex)")
        }
    }
}
