@testable import SMP
import Testing

/// Strict UTF-8 (RFC 3629) for CBOR text strings: what the reader accepts is what cbor2 accepts.
@Suite struct UTF8ValidationTests {
    @Test(arguments: [
        "", "ascii", "é", "€", "𝄞", "\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}", "\u{D7FF}\u{E000}",
    ])
    func validTextIsAccepted(text: String) {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBytes { UTF8Validation.isValid($0) })
    }

    @Test(arguments: [
        ("lone continuation", [0x80]),
        ("overlong 2-byte NUL", [0xC0, 0x80]),
        ("overlong 2-byte", [0xC1, 0xBF]),
        ("overlong 3-byte", [0xE0, 0x9F, 0xBF]),
        ("overlong 4-byte", [0xF0, 0x8F, 0xBF, 0xBF]),
        ("surrogate D800", [0xED, 0xA0, 0x80]),
        ("surrogate DFFF", [0xED, 0xBF, 0xBF]),
        ("above U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
        ("F5 lead", [0xF5, 0x80, 0x80, 0x80]),
        ("FF", [0xFF]),
        ("truncated 3-byte", [0xE2, 0x82]),
        ("truncated 4-byte at end", [0x61, 0xF0, 0x9D, 0x84]),
        ("bad second continuation", [0xE2, 0x82, 0x41]),
        ("5-byte form", [0xF8, 0x88, 0x80, 0x80, 0x80]),
    ] as [(String, [UInt8])])
    func invalidTextIsRefused(name: String, bytes: [UInt8]) {
        #expect(!bytes.withUnsafeBytes { UTF8Validation.isValid($0) }, "\(name)")
    }

    /// The reader refuses such text where it reads it and where it skips it, and the request-body
    /// check refuses it anywhere in the map.
    @Test func readerRefusesInvalidText() throws {
        let item: [UInt8] = [0x62, 0xC0, 0x80]
        item.withUnsafeBytes { raw in
            var r = CBORReader(raw)
            #expect(throws: CBORError.invalidUTF8) { _ = try r.readText() }
            #expect(r.position == 0)
            #expect(throws: CBORError.invalidUTF8) { try r.skip() }
        }
        // Indefinite text: each chunk is checked.
        let chunked: [UInt8] = [0x7F, 0x61, 0x61, 0x61, 0xFF, 0xFF]
        chunked.withUnsafeBytes { raw in
            var r = CBORReader(raw)
            #expect(throws: CBORError.invalidUTF8) { try r.skip() }
        }
        let body: [UInt8] = [0xA1, 0x61, 0x78, 0x81, 0x61, 0xFF]  // {"x": ["\xFF"]}
        body.withUnsafeBytes { raw in
            #expect(throws: CBORError.invalidUTF8) { try CBORReader.checkRequestBody(raw) }
        }
    }

    @Test(arguments: [
        ([0xA0], nil), ([0xBF, 0xFF], nil), ([], nil),
        ([0xA0, 0x00], CBORError.notASingleMap), ([0x80], .notASingleMap), ([0xA0, 0xA0], .notASingleMap),
        ([0xA1, 0x61, 0x61], .truncated), ([0xA1, 0x61], .lengthTooLarge),
    ] as [([UInt8], CBORError?)])
    func requestBodyIsOneMap(bytes: [UInt8], error: CBORError?) {
        bytes.withUnsafeBytes { raw in
            if let error {
                #expect(throws: error) { try CBORReader.checkRequestBody(raw) }
            } else {
                #expect(throws: Never.self) { try CBORReader.checkRequestBody(raw) }
            }
        }
    }
}
