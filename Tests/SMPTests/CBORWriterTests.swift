import SMP
import Testing

@Suite("CBOR writer")
struct CBORWriterTests {
    @Test func uploadResponse() {
        let out = cbor { w in
            w.beginMap(); w.key("rc"); w.unsigned(0); w.key("off"); w.unsigned(4096); w.end()
        }
        #expect(out == hex("bf 62 72 63 00 63 6f 66 66 19 10 00 ff"))
    }

    static let unsignedCases: [(UInt64, String)] = [
        (0, "00"), (23, "17"), (24, "1818"), (255, "18ff"), (256, "190100"), (65535, "19ffff"),
        (65536, "1a00010000"), (0xFFFF_FFFF, "1affffffff"), (0x1_0000_0000, "1b0000000100000000"),
        (UInt64.max, "1bffffffffffffffff"),
    ]

    @Test(arguments: unsignedCases)
    func shortestUnsigned(_ value: UInt64, _ expected: String) {
        #expect(cbor { $0.unsigned(value) } == hex(expected))
    }

    static let signedCases: [(Int64, String)] = [
        (0, "00"), (-1, "20"), (-24, "37"), (-25, "3818"), (-256, "38ff"), (-257, "390100"),
        (100, "1864"), (Int64.min, "3b7fffffffffffffff"), (Int64.max, "1b7fffffffffffffff"),
    ]

    @Test(arguments: signedCases)
    func shortestSigned(_ value: Int64, _ expected: String) {
        #expect(cbor { $0.signed(value) } == hex(expected))
    }

    @Test func simpleValuesAndStrings() {
        let data: [UInt8] = [1, 2, 3]
        let out = cbor { w in
            w.beginArray(); w.bool(true); w.bool(false); w.null()
            data.withUnsafeBytes { w.bytes($0) }
            Array("hi".utf8).withUnsafeBytes { w.text(bytes: $0) }
            w.text("MCUboot")
            w.end()
        }
        #expect(out == hex("9f f5 f4 f6 43 010203 62 6869 67 4d4355626f6f74 ff"))
    }

    @Test func definiteContainers() {
        let out = cbor { w in
            w.beginMap(count: 1); w.key("images"); w.beginArray(count: 0)
        }
        #expect(out == hex("a1 66 696d61676573 80"))
    }

    @Test func longStringHeads() {
        let data = [UInt8](repeating: 0xAB, count: 300)
        let out = cbor(capacity: 400) { w in data.withUnsafeBytes { w.bytes($0) } }
        #expect(Array(out[0..<3]) == hex("59 012c"))
        #expect(out.count == 303)
    }

    @Test(arguments: 0..<13)
    func overflowNeverTrapsAndKeepsACleanPrefix(_ capacity: Int) {
        let full = hex("bf 62 72 63 00 63 6f 66 66 19 10 00 ff")
        var out = [UInt8](repeating: 0, count: capacity)
        out.withUnsafeMutableBytes { raw in
            var w = CBORWriter(raw)
            w.beginMap(); w.key("rc"); w.unsigned(0); w.key("off"); w.unsigned(4096); w.end()
            #expect(w.overflowed)
            #expect(w.count <= capacity)
            #expect(Array(w.written) == Array(full[0..<w.count]), "output is a prefix of the full encoding")
            w.unsigned(1)
            #expect(w.overflowed, "sticky")
        }
    }

    @Test func zeroCapacity() {
        var w = CBORWriter(UnsafeMutableRawBufferPointer(start: nil, count: 0))
        w.text("x")
        #expect(w.overflowed && w.count == 0)
    }
}
