import SMP
import Testing

@Suite("CRC-16/XMODEM")
struct CRCTests {
    @Test func checkValue() {
        let crc = Array("123456789".utf8).withUnsafeBytes { CRC16XMODEM.checksum($0) }
        #expect(crc == 0x31C3)
    }

    @Test func emptyIsSeed() {
        #expect(CRC16XMODEM.checksum(UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
        #expect(CRC16XMODEM.checksum(UnsafeRawBufferPointer(start: nil, count: 0), seed: 0x1234) == 0x1234)
    }

    @Test func seedContinues() {
        let data = Array("123456789".utf8)
        let split = data.withUnsafeBytes { raw in
            CRC16XMODEM.checksum(UnsafeRawBufferPointer(rebasing: raw[4...]),
                                 seed: CRC16XMODEM.checksum(UnsafeRawBufferPointer(rebasing: raw[..<4])))
        }
        #expect(split == 0x31C3)
    }

    @Test func residueOfMessagePlusCRCIsZero() {
        // The upload response of mcuboot-serial-recovery.md §1.4: CRC 0xFF57.
        let message = hex("03 00 000d 0001 42 01 bf 62 7263 00 63 6f6666 19 1000 ff")
        #expect(message.withUnsafeBytes { CRC16XMODEM.checksum($0) } == 0xFF57)
        #expect((message + [0xFF, 0x57]).withUnsafeBytes { CRC16XMODEM.checksum($0) } == 0)
    }
}

@Suite("Base64")
struct Base64Tests {
    /// RFC 4648 §10 test vectors.
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test(arguments: vectors)
    func encodes(_ plain: String, _ encoded: String) {
        let input = Array(plain.utf8)
        var out = [UInt8](repeating: 0, count: 16)
        let n = input.withUnsafeBytes { i in out.withUnsafeMutableBytes { Base64.encode(i, into: $0) } }
        #expect(n == encoded.utf8.count)
        #expect(Array(out[0..<(n ?? 0)]) == Array(encoded.utf8))
        #expect(Base64.encodedLength(input.count) == encoded.utf8.count)
    }

    @Test(arguments: vectors)
    func decodes(_ plain: String, _ encoded: String) throws {
        var out = [UInt8](repeating: 0, count: 16)
        let n = try Array(encoded.utf8).withUnsafeBytes { i in
            try out.withUnsafeMutableBytes { try Base64.decode(i, into: $0) }
        }
        #expect(Array(out[0..<n]) == Array(plain.utf8))
    }

    @Test func encodeRefusesSmallOutput() {
        var out = [UInt8](repeating: 0xAA, count: 7)
        let n = Array("foobar".utf8).withUnsafeBytes { i in out.withUnsafeMutableBytes { Base64.encode(i, into: $0) } }
        #expect(n == nil)
        #expect(out == [UInt8](repeating: 0xAA, count: 7))
    }

    @Test func allByteValuesRoundTrip() throws {
        let input = (0...255).map { UInt8($0) }
        var enc = [UInt8](repeating: 0, count: Base64.encodedLength(256))
        let n = input.withUnsafeBytes { i in enc.withUnsafeMutableBytes { Base64.encode(i, into: $0) } }
        #expect(n == 344)
        var dec = [UInt8](repeating: 0, count: 256)
        let m = try enc.withUnsafeBytes { i in try dec.withUnsafeMutableBytes { try Base64.decode(i, into: $0) } }
        #expect(m == 256)
        #expect(dec == input)
    }

    @Test func skipsSpacesAndLineEnds() throws {
        var out = [UInt8](repeating: 0, count: 16)
        let n = try Array(" Zm9v\r\nYmFy \r".utf8).withUnsafeBytes { i in
            try out.withUnsafeMutableBytes { try Base64.decode(i, into: $0) }
        }
        #expect(Array(out[0..<n]) == Array("foobar".utf8))
    }

    static let rejectCases: [(String, Base64Error)] = [
        ("Zm9", .badLength), ("Zm9vY", .badLength), ("Zg=", .badLength),
        ("Zm9v!A==", .invalidCharacter), ("Zm-v", .invalidCharacter), ("Zm9\u{0}", .invalidCharacter),
        ("Zg==Zg==", .badPadding), ("Z===", .badPadding), ("Zm=v", .badPadding), ("====", .badPadding),
        ("\u{00e9}AAA", .invalidCharacter),
    ]

    @Test(arguments: rejectCases)
    func rejects(_ text: String, _ error: Base64Error) {
        var out = [UInt8](repeating: 0xAA, count: 16)
        #expect(throws: error) {
            _ = try Array(text.utf8).withUnsafeBytes { i in
                try out.withUnsafeMutableBytes { try Base64.decode(i, into: $0) }
            }
        }
        #expect(out == [UInt8](repeating: 0xAA, count: 16), "a refused string writes nothing")
    }

    @Test func decodeRefusesSmallOutput() {
        var out = [UInt8](repeating: 0, count: 5)
        #expect(throws: Base64Error.outputTooSmall) {
            _ = try Array("Zm9vYmFy".utf8).withUnsafeBytes { i in
                try out.withUnsafeMutableBytes { try Base64.decode(i, into: $0) }
            }
        }
    }
}
