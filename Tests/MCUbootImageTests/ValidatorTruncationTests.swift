import MCUbootImage
import Testing

/// A signed image cut short: never a trap, never valid.
@Suite(.enabled(if: imgtoolPath != nil, validatorImgtoolMissing))
struct ValidatorTruncationTests {
    static let cases = KeyType.allCases.flatMap { key in [true, false].map { BitFlipCase(key: key, securityCounter: $0) } }

    /// Every 1/37th of the image plus the last 100 byte positions.
    static func cuts(_ n: Int) -> [Int] {
        Array(Set((0..<37).map { $0 * n / 37 } + ((n - 100)..<n))).sorted()
    }

    /// The slot is exactly as large as what is left: the image runs off the end of the slot.
    /// Before 32 bytes there is no header; up to the end of the hashed part header + body +
    /// protected TLVs do not end strictly inside the slot; after it, the unprotected TLV info or
    /// its total reaches past the slot.
    @Test(arguments: cases)
    func cutAtTheEndOfTheSlot(_ c: BitFlipCase) throws {
        let image = try signedImage(SignOptions(key: c.key, securityCounter: c.securityCounter ? 7 : nil))
        let policy = policy(trusting: try keyFixture(c.key))
        let n = image.bytes.count
        #expect(validate(image.bytes, slotSize: n, policy: policy).image != nil)
        for length in Self.cuts(n) {
            let result = validate(Array(image.bytes[0..<length]), slotSize: length, policy: policy)
            let expected: ImageRejection =
                length < 32 ? .headerTruncated : length <= image.unprotectedStart ? .imageExceedsSlot : .tlvOutOfBounds
            #expect(result.rejection == expected, "cut at \(length) of \(n)")
        }
    }

    /// The slot is as large as the whole image, and the bytes after the cut are erased (0xff or
    /// 0x00 flash): the reason is the reference model's, and nothing is valid unless the erased
    /// bytes happen to equal what was cut off.
    @Test(arguments: cases)
    func cutAndErasedTail(_ c: BitFlipCase) throws {
        let image = try signedImage(SignOptions(key: c.key, securityCounter: c.securityCounter ? 7 : nil))
        let key = try keyFixture(c.key)
        let policy = policy(trusting: key)
        let sig = try #require(image.entry(c.key.signatureTLV))
        let n = image.bytes.count
        for erased in [0xFF, 0x00] as [UInt8] {
            let model = ValidatorReferenceModel(
                key: key, originalSignatureType: c.key.signatureTLV,
                originalSignature: Array(image.bytes[(sig.offset + 4)..<(sig.offset + 4 + sig.length)]), erasedValue: erased)
            for length in Self.cuts(n) {
                let slot = Array(image.bytes[0..<length]) + [UInt8](repeating: erased, count: n - length)
                let result = validate(slot, slotSize: n, erasedValue: erased, policy: policy)
                if slot == image.bytes {
                    #expect(result.image != nil, "cut at \(length), erased \(erased): the tail was already erased bytes")
                } else {
                    #expect(result.image == nil, "cut at \(length), erased \(erased): accepted")
                    #expect(result.rejection == model.expected(slot), "cut at \(length), erased \(erased)")
                }
            }
        }
    }
}
