import SMP
import Testing

/// Runs `body` on a reader over `bytes`.
func reading<R>(_ bytes: [UInt8], _ body: (inout CBORReader) throws -> R) throws -> R {
    try bytes.withUnsafeBytes { (raw) -> R in
        var reader = CBORReader(raw)
        return try body(&reader)
    }
}

/// The upload request smpmgr sends first (host-clients.md §2.3), with a short `data`.
let uploadRequest = hex("""
    a6 63 6c656e 19 5290 63 6f6666 00 63 736861 58 20 7db1d2c9859f4087f980345260113a9d12fb9c4be1b3080bd852957470ff21c1
    64 64617461 44 3db8f396 65 696d616765 00 67 75706772616465 f4
    """)

/// What an upload handler decodes, the way the Recovery module will.
struct UploadFields: Equatable {
    var image: UInt32? = nil
    var len: UInt32? = nil
    var off: UInt32? = nil
    var data: [UInt8]? = nil
}

func decodeUpload(_ bytes: [UInt8]) throws -> UploadFields {
    try reading(bytes) { (r) -> UploadFields in
        var fields = UploadFields()
        var scan = try CBORMapScanner(&r, keys: ["image", "len", "off", "data", "sha", "upgrade"])
        while let key = try scan.next(&r) {
            switch key {
            case 0: fields.image = try r.readUInt32()
            case 1: fields.len = try r.readUInt32()
            case 2: fields.off = try r.readUInt32()
            case 3: fields.data = Array(try r.readBytes())
            case 5: _ = try r.readBool()
            default: try r.skip()
            }
        }
        return fields
    }
}

@Suite("CBOR reader")
struct CBORReaderTests {
    @Test func definiteUploadRequest() throws {
        let f = try decodeUpload(uploadRequest)
        #expect(f == UploadFields(image: 0, len: 0x5290, off: 0, data: [0x3d, 0xb8, 0xf3, 0x96]))
    }

    @Test func indefiniteMapWithUnknownKeys() throws {
        // {_ "off": 87, "x": [_ 1, {"y": h''}], "data": h'0102'}
        let bytes = hex("bf 63 6f6666 18 57 61 78 9f 01 a1 61 79 40 ff 64 64617461 42 0102 ff")
        let f = try decodeUpload(bytes)
        #expect(f == UploadFields(off: 87, data: [1, 2]))
    }

    @Test func scannerReportsSeenKeys() throws {
        try reading(hex("a2 63 6f6666 00 61 64 40")) { (r) throws in
            var scan = try CBORMapScanner(&r, keys: ["d", "off"])
            while try scan.next(&r) != nil { try r.skip() }
            #expect(scan.contains(0) && scan.contains(1))
            #expect(r.isAtEnd)
        }
    }

    @Test func duplicateKnownKey() {
        #expect(throws: CBORError.duplicateKey) {
            _ = try decodeUpload(hex("bf 63 6f6666 00 63 6f6666 01 ff"))
        }
    }

    @Test func duplicateUnknownKeyIsSkipped() throws {
        let f = try decodeUpload(hex("a3 61 78 40 61 78 40 63 6f6666 05"))
        #expect(f.off == 5)
    }

    @Test func nonTextKeyIsRejected() {
        #expect(throws: CBORError.wrongType) { _ = try decodeUpload(hex("a1 01 02")) }
    }

    static let wrongTypes: [[UInt8]] = [
        hex("a1 63 6f6666 40"),            // off: bstr
        hex("a1 63 6f6666 20"),            // off: -1
        hex("a1 64 64617461 60"),          // data: tstr
        hex("a1 65 696d616765 f5"),        // image: true
        hex("a1 67 75706772616465 00"),    // upgrade: 0
        hex("80"),                         // not a map
    ]

    @Test(arguments: wrongTypes)
    func wrongType(_ bytes: [UInt8]) {
        #expect(throws: CBORError.wrongType) { _ = try decodeUpload(bytes) }
    }

    @Test func wrongTypeLeavesPosition() throws {
        try reading(hex("63 616263")) { (r) throws in
            #expect(throws: CBORError.wrongType) { _ = try r.readUnsigned() }
            #expect(r.position == 0)
            #expect(try r.peekType() == .text)
            #expect(Array(try r.readText()) == Array("abc".utf8))
        }
    }

    @Test func integers() throws {
        try reading(hex("1b ffffffffffffffff 3b 7fffffffffffffff 3b 8000000000000000 1b 8000000000000000 1a 00010000 1b 0000000100000000")) { (r) throws in
            #expect(try r.readUnsigned() == UInt64.max)
            #expect(try r.readSigned() == Int64.min)
            #expect(throws: CBORError.outOfRange) { _ = try r.readSigned() }
            try r.skip()
            #expect(throws: CBORError.outOfRange) { _ = try r.readSigned() }
            try r.skip()
            #expect(try r.readUInt32() == 65536)
            #expect(throws: CBORError.outOfRange) { _ = try r.readUInt32() }
        }
    }

    static let hostileLengths: [[UInt8]] = [
        hex("5b ffffffffffffffff 00"),     // bstr of 2^64-1
        hex("7a ffffffff 00"),              // tstr of 2^32-1
        hex("5b 7fffffffffffffff"),
        hex("59 0005 01020304"),             // one short
        hex("7b 8000000000000000"),
    ]

    @Test(arguments: hostileLengths)
    func hostileStringLength(_ bytes: [UInt8]) {
        #expect(throws: CBORError.lengthTooLarge) {
            try reading(bytes) { (r) throws in
                if try r.peekType() == .bytes { _ = try r.readBytes() } else { _ = try r.readText() }
            }
        }
        #expect(throws: CBORError.lengthTooLarge) { try reading(bytes) { (r) throws in try r.skip() } }
    }

    static let hostileCounts: [[UInt8]] = [
        hex("bb ffffffffffffffff"), hex("bb 8000000000000000 00 00"), hex("9b ffffffffffffffff 00"),
        hex("ba ffffffff 00 00"), hex("a2 00 00"), hex("83 00 00"),
    ]

    @Test(arguments: hostileCounts)
    func hostileContainerCount(_ bytes: [UInt8]) {
        #expect(throws: CBORError.lengthTooLarge) { try reading(bytes) { (r) throws in try r.skip() } }
        #expect(throws: CBORError.lengthTooLarge) {
            try reading(bytes) { (r) throws in
                _ = try (bytes[0] >> 5 == 5) ? r.beginMap() : r.beginArray()
            }
        }
    }

    @Test func everyTruncationOfARequestThrows() throws {
        _ = try decodeUpload(uploadRequest)
        for n in 0..<uploadRequest.count {
            #expect(throws: CBORError.self, "prefix \(n)") { _ = try decodeUpload(Array(uploadRequest[0..<n])) }
            #expect(throws: CBORError.self, "skip prefix \(n)") {
                try reading(Array(uploadRequest[0..<n])) { (r) throws in try r.skip() }
            }
        }
        // The same map indefinite: every prefix must throw too.
        let indefinite = [0xBF] + uploadRequest.dropFirst() + [0xFF]
        _ = try decodeUpload(Array(indefinite))
        for n in 0..<indefinite.count {
            #expect(throws: CBORError.self) { _ = try decodeUpload(Array(indefinite[0..<n])) }
        }
    }

    @Test(arguments: [UInt8(0x81), 0x9F, 0xA1, 0xBF, 0xC6])
    func depthBomb(_ opener: UInt8) {
        var bomb = [UInt8](repeating: opener, count: 10_000)
        if opener == 0xA1 || opener == 0xBF {
            // Maps need a key before each nested value: {0: {0: …}}.
            bomb = Array([[UInt8]](repeating: [opener, 0x00], count: 5_000).joined())
        }
        #expect(throws: CBORError.tooDeep) { try reading(bomb) { (r) throws in try r.skip() } }
        #expect(throws: CBORError.tooDeep) { _ = try decodeUpload(hex("a1 61 78") + bomb) }
    }

    @Test func nestingUpToTheLimitIsFine() throws {
        let nested = [UInt8](repeating: 0x81, count: CBORReader.maxDepth) + [0x00]
        try reading(nested) { (r) throws in
            try r.skip()
            #expect(r.isAtEnd)
        }
        #expect(throws: CBORError.tooDeep) {
            try reading([0x81] + nested) { (r) throws in try r.skip() }
        }
    }

    static let skippable: [String] = [
        "00", "37", "f4", "f6", "f7", "f0", "f8 20", "f9 3c00", "fa 47c35000", "fb 3ff0000000000000",
        "c1 1a 514b67b0", "d8 20 63 616263", "5f 42 0102 41 03 ff", "7f 61 61 62 6263 ff", "5f ff",
        "9f 9f ff ff", "bf 01 9f ff ff", "a0", "80", "82 bf ff 9f ff", "a1 bf ff 5f ff",
    ]

    @Test(arguments: skippable)
    func skipsWellFormed(_ item: String) throws {
        try reading(hex(item) + [0x07]) { (r) throws in
            try r.skip()
            #expect(try r.readUnsigned() == 7, "positioned right after the item")
        }
    }

    static let malformed: [String] = [
        "1c", "1d", "1e", "3c", "5c", "7d", "9e", "bc", "dc", "fc", "fd", "fe",  // reserved 28-30
        "ff", "1f", "3f", "df",                                                 // break / indefinite where none allowed
        "82 00 ff", "a2 00 ff 00 00",                                                   // break in definite container
        "bf 00 ff",                                                              // key without value
        "5f 61 00 ff", "5f 5f ff ff", "7f 41 00 ff",                             // bad chunks
        "f8 00", "f8 1f",                                                        // two-byte simple < 32
    ]

    @Test(arguments: malformed)
    func rejectsMalformed(_ item: String) {
        #expect(throws: CBORError.malformed) { try reading(hex(item)) { (r) throws in try r.skip() } }
    }

    @Test func reservedInfoInRead() {
        #expect(throws: CBORError.malformed) { try reading(hex("1c")) { (r) throws in _ = try r.readUnsigned() } }
        #expect(throws: CBORError.malformed) { try reading(hex("fc")) { (r) throws in _ = try r.readBool() } }
    }

    @Test func indefiniteStringIsUnsupportedForSlices() {
        #expect(throws: CBORError.unsupported) {
            try reading(hex("7f 61 61 ff")) { (r) throws in _ = try r.readText() }
        }
        #expect(throws: CBORError.unsupported) {
            try reading(hex("5f 41 00 ff")) { (r) throws in _ = try r.readBytes() }
        }
    }

    @Test func containersDefiniteAndIndefinite() throws {
        for bytes in [hex("83 01 02 03"), hex("9f 01 02 03 ff")] {
            let values = try reading(bytes) { (r) -> [UInt64] in
                var c = try r.beginArray()
                var out: [UInt64] = []
                while try r.next(in: &c) { out.append(try r.readUnsigned()) }
                #expect(r.isAtEnd)
                return out
            }
            #expect(values == [1, 2, 3])
        }
        #expect(throws: CBORError.truncated) {
            try reading(hex("9f 01")) { (r) throws in
                var c = try r.beginArray()
                while try r.next(in: &c) { _ = try r.readUnsigned() }
            }
        }
    }

    @Test func peekTypes() throws {
        let items: [(String, CBORType)] = [
            ("00", .unsigned), ("20", .negative), ("40", .bytes), ("60", .text), ("80", .array), ("a0", .map),
            ("c0 00", .tag), ("f5", .bool), ("f6", .null), ("f7", .undefined), ("f9 0000", .float), ("e0", .simple),
            ("ff", .break),
        ]
        for (bytes, type) in items {
            #expect(try reading(hex(bytes)) { (r) throws in try r.peekType() } == type)
        }
        #expect(throws: CBORError.truncated) { _ = try reading([]) { (r) throws in try r.peekType() } }
    }

    @Test func writerOutputReadsBack() throws {
        let bytes = cbor { w in
            w.beginMap(); w.key("rc"); w.signed(-3); w.key("r"); w.text("hello"); w.key("ok"); w.bool(true); w.end()
        }
        try reading(bytes) { (r) throws in
            var c = try r.beginMap()
            #expect(try r.next(in: &c) && r.readKey(equals: "rc"))
            #expect(try r.readSigned() == -3)
            #expect(try r.next(in: &c) && r.readKey(equals: "r"))
            #expect(Array(try r.readText()) == Array("hello".utf8))
            #expect(try r.next(in: &c) && r.readKey(equals: "ok"))
            #expect(try r.readBool())
            #expect(try !r.next(in: &c))
            #expect(r.isAtEnd)
        }
    }
}
