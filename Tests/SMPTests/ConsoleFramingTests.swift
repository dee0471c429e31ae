import SMP
import Testing

/// Frames from the references, with the SMP message each carries.
struct WorkedExample: CustomTestStringConvertible, Sendable {
    var name: String
    var lines: [[UInt8]]
    var message: [UInt8]
    var testDescription: String { name }
}

/// The first upload chunk smpmgr 0.19.1 sent (host-clients.md §2.3), 238 bytes in two lines. The
/// elided hexdump rows of line 2 are all '/' (0xFF header padding); the CRC confirms it.
let uploadChunkLine1 =
    "AKsKAAChAAEBAaZjbGVuGVKQY29mZgBjc2hhWCB9sdLJhZ9Ah/mANFJgETqdEvucS+GzCAvYUpV0cP8hwWRkYXRhWFc9uPOWAAAAAAACAAAAUAAAAAAAAAECAwAA"
let uploadChunkLine2 =
    "AAAAAAAAAP/////" + String(repeating: "/", count: 64) + "///9laW1hZ2UAZ3VwZ3JhZGX0h0k="
let uploadChunkMessage = hex("""
    0a 00 00a1 0001 01 01 a6 63 6c656e 19 5290 63 6f6666 00 63 736861 58 20
    7db1d2c9859f4087f980345260113a9d12fb9c4be1b3080bd852957470ff21c1 64 64617461 58 57
    3db8f396 00000000 0002 0000 00500000 00000000 01020300 00000000 00000000
    """) + [UInt8](repeating: 0xFF, count: 55) + hex("65 696d616765 00 67 75706772616465 f4")

let workedExamples: [WorkedExample] = [
    WorkedExample(name: "image list request (mcuboot §1.4)", lines: [line(start, "AAsAAAABAAEAAKCG/g==")],
                  message: hex("00 00 0001 0001 00 00 a0")),
    WorkedExample(name: "upload response (mcuboot §1.4)", lines: [line(start, "ABcDAAANAAFCAb9icmMAY29mZhkQAP//Vw==")],
                  message: hex("03 00 000d 0001 42 01 bf 62 7263 00 63 6f6666 19 1000 ff")),
    WorkedExample(name: "smpmgr params read", lines: [line(start, "AAsIAAABAAAABqBzEw==")],
                  message: hex("08 00 0001 0000 00 06 a0")),
    WorkedExample(name: "MCUboot params ENOTSUP reply", lines: [line(start, "AA8JAAAFAAAABqFicmMIXD4=")],
                  message: hex("09 00 0005 0000 00 06 a1 62 7263 08")),
    WorkedExample(name: "smpmgr echo", lines: [line(start, "ABMKAAAJAAABAKFhZGVoZWxsb3o2")],
                  message: hex("0a 00 0009 0000 01 00 a1 61 64 65 68656c6c6f")),
    WorkedExample(name: "echo reply", lines: [line(start, "ABMLAAAJAAABAKFhcmVoZWxsb/yK")],
                  message: hex("0b 00 0009 0000 01 00 a1 61 72 65 68656c6c6f")),
    WorkedExample(name: "upload reply off 87", lines: [line(start, "ABULAAALAAEBAaJicmMAY29mZhhXAps=")],
                  message: hex("0b 00 000b 0001 01 01 a2 62 7263 00 63 6f6666 18 57")),
    WorkedExample(name: "smpmgr reset", lines: [line(start, "AAsKAAABAACTBaDBTg==")],
                  message: hex("0a 00 0001 0000 93 05 a0")),
    WorkedExample(name: "smpmgr first upload chunk (2 lines)",
                  lines: [line(start, uploadChunkLine1), line(continuation, uploadChunkLine2)],
                  message: uploadChunkMessage),
]

@Suite("Console framing")
struct ConsoleFramingTests {
    @Test(arguments: workedExamples)
    func decodesWorkedExample(_ example: WorkedExample) {
        #expect(decode(Array(example.lines.joined())) == [.packet(example.message)])
    }

    @Test(arguments: workedExamples)
    func encodesWorkedExampleByteForByte(_ example: WorkedExample) {
        #expect(encodeLines(example.message) == example.lines)
    }

    @Test func uploadChunkLineSizes() {
        let lines = encodeLines(uploadChunkMessage)
        #expect(lines.map(\.count) == [127, 111])
        #expect(uploadChunkMessage.count == 169)
    }

    @Test func uploadResponseBuiltFromParts() {
        // Header from the request, CBOR from the writer: the §1.4 line, byte for byte.
        let request = SMPHeader(operation: .write, length: 0, group: SMPGroup.image, sequence: 0x42, command: ImageCommand.upload)
        let payload = cbor { w in w.beginMap(); w.key("rc"); w.unsigned(0); w.key("off"); w.unsigned(4096); w.end() }
        var message = [UInt8](repeating: 0, count: 8)
        message.withUnsafeMutableBytes { request.response(payloadLength: payload.count).encode(into: $0) }
        message += payload
        #expect(encodeLines(message) == [line(start, "ABcDAAANAAFCAb9icmMAY29mZhkQAP//Vw==")])
    }

    @Test func everyTruncationYieldsNoPacket() {
        let stream = Array(workedExamples.last!.lines.joined())
        for n in 0..<stream.count {
            let events = decode(Array(stream[0..<n]))
            #expect(!events.contains { if case .packet = $0 { true } else { false } }, "prefix \(n)")
        }
    }

    /// Builds one frame line from an arbitrary decoded stream (length prefix and CRC up to the caller).
    func rawFrame(_ stream: [UInt8]) -> [UInt8] {
        var text = [UInt8](repeating: 0, count: Base64.encodedLength(stream.count))
        _ = stream.withUnsafeBytes { s in text.withUnsafeMutableBytes { Base64.encode(s, into: $0) } }
        return start + text + [0x0A]
    }

    @Test(arguments: 0..<(8 * 11))
    func flippedBitIsBadCRC(_ bit: Int) {
        // Flip every bit of header, payload and CRC of the image list request in turn.
        var stream = hex("000b 00 00 0001 0001 00 00 a0 86fe")
        stream[2 + bit / 8] ^= UInt8(1 << (bit % 8))
        #expect(decode(rawFrame(stream)) == [.dropped(.badCRC)])
    }

    @Test func tooShortAndOvershoot() {
        #expect(decode(rawFrame(hex("0002 0000"))) == [.dropped(.tooShort)])
        #expect(decode(rawFrame(hex("0000"))) == [.dropped(.tooShort)])
        #expect(decode(rawFrame(hex("0001 aabbcc"))) == [.dropped(.lengthMismatch)])
        #expect(decode(rawFrame(hex("000b 00 00 0001 0001 00 00 a0 86fe 00 00 00"))) == [.dropped(.lengthMismatch)])
    }

    @Test(arguments: ["AAs!AAABAAEAAKCG/g==", "AAsAAAABAAEAAKCG/g=", "AAsA=AABAAEAAKCG/g==", "AAsAAAABAAEAAKCG/g==AAAA"])
    func badBase64(_ text: String) {
        let good = line(start, "AAsAAAABAAEAAKCG/g==")
        #expect(decode(line(start, text) + good) == [.dropped(.badBase64), .packet(hex("00 00 0001 0001 00 00 a0"))])
    }

    @Test func lineLengthLimit() {
        // 128 bytes including '\n' fit (124 base64 characters plus a CR the decoder skips) …
        let message = [UInt8](repeating: 0x5A, count: 200)
        var lines = encodeLines(message)
        lines[0].insert(0x0D, at: lines[0].count - 1)
        #expect(lines[0].count == 128)
        #expect(decode(Array(lines.joined())) == [.packet(message)])
        // … 129 do not, and the rest of that line is discarded up to its '\n'.
        lines[0].insert(0x0D, at: lines[0].count - 1)
        let events = decode(Array(lines.joined()))
        #expect(events.first == .dropped(.lineTooLong))
        #expect(!events.contains { if case .packet = $0 { true } else { false } })
    }

    @Test func overlongLineThenValidFrame() {
        let long = start + [UInt8](repeating: UInt8(ascii: "A"), count: 500) + [0x0A]
        let good = line(start, "AAsAAAABAAEAAKCG/g==")
        #expect(decode(long + good) == [.dropped(.lineTooLong), .packet(hex("00 00 0001 0001 00 00 a0"))])
        // Console text that long is not a frame: silently ignored.
        let text = [UInt8](repeating: UInt8(ascii: "x"), count: 300) + [0x0A]
        #expect(decode(text + good) == [.packet(hex("00 00 0001 0001 00 00 a0"))])
    }

    @Test func continuationWithoutStart() {
        let good = line(start, "AAsAAAABAAEAAKCG/g==")
        #expect(decode(line(continuation, "AAAA") + good) == [.dropped(.continuationWithoutStart), .packet(hex("00 00 0001 0001 00 00 a0"))])
        // After a delivered packet, a stray continuation has no start either.
        #expect(decode(good + line(continuation, "AAAA")) == [.packet(hex("00 00 0001 0001 00 00 a0")), .dropped(.continuationWithoutStart)])
    }

    @Test func startLineResetsReassembly() {
        let partial = line(start, uploadChunkLine1)
        let good = line(start, "AAsAAAABAAEAAKCG/g==")
        #expect(decode(partial + good) == [.packet(hex("00 00 0001 0001 00 00 a0"))])
    }

    @Test func prefixBeyondCapacityIsOverflow() {
        let message = [UInt8](repeating: 1, count: ConsoleFrameDecoder.capacity - 3)  // stream 2049 bytes
        let events = decode(Array(encodeLines(message).joined()))
        #expect(events.first == .dropped(.overflow))
        #expect(!events.contains { if case .packet = $0 { true } else { false } })
    }

    @Test func dataBeyondCapacityIsOverflow() {
        // The prefix fits (2046) but the lines carry 2049 bytes: the decode runs out of room first.
        let stream = hex("07fe") + [UInt8](repeating: 0, count: 2047)
        var text = [UInt8](repeating: 0, count: Base64.encodedLength(stream.count))
        _ = stream.withUnsafeBytes { s in text.withUnsafeMutableBytes { Base64.encode(s, into: $0) } }
        var lines: [UInt8] = []
        for (i, offset) in stride(from: 0, to: text.count, by: 124).enumerated() {
            lines += (i == 0 ? start : continuation) + text[offset..<min(offset + 124, text.count)] + [0x0A]
        }
        #expect(decode(lines) == [.dropped(.overflow)])
    }

    @Test func largestMessageRoundTrips() {
        var rng = SplitMix64(state: 2044)
        let message = (0..<(ConsoleFrameDecoder.capacity - 4)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let lines = encodeLines(message)
        #expect(lines.count == 23)  // 2048 bytes / 93 per line
        #expect(decode(Array(lines.joined())) == [.packet(message)])
    }

    @Test(arguments: [1, 2, 3, 7, 64, 127, 128, 1000])
    func chunkingInvariance(_ chunk: Int) {
        var rng = SplitMix64(state: UInt64(chunk))
        for size in [1, 85, 86, 87, 88, 89, 90, 91, 180, 181, 500, 1021, 2044] {
            let message = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let stream = Array(encodeLines(message).joined())
            #expect(decode(stream, chunk: chunk) == [.packet(message)], "size \(size)")
        }
    }

    @Test func encoderLineShape() {
        for lineLength in [8, 64, 127, 128, 256] {
            let message = [UInt8](repeating: 0xC3, count: 700)
            let lines = encodeLines(message, lineLength: lineLength)
            for (i, l) in lines.enumerated() {
                #expect(l.count <= lineLength - 1)
                #expect(l.last == 0x0A)
                #expect(Array(l[0..<2]) == (i == 0 ? start : continuation))
                #expect((l.count - 3) % 4 == 0, "whole base64 groups")
            }
        }
    }

    @Test func longerLinesAreDroppedLikeMCUboot() {
        // smpmgr --line-length 256 against a 128-byte line buffer: every long line is lost.
        let message = [UInt8](repeating: 7, count: 400)
        let events = decode(Array(encodeLines(message, lineLength: 256).joined()))
        #expect(events.first == .dropped(.lineTooLong))
        #expect(!events.contains { if case .packet = $0 { true } else { false } })
    }

    @Test func consoleTextInterleaved() {
        let echo = workedExamples[4]
        let upload = workedExamples.last!
        var stream: [UInt8] = Array("*** Booting Zephyr OS ***\r\n".utf8)
        stream += echo.lines[0]
        stream += Array("I: Starting bootloader\n\n\r\n".utf8)
        stream += upload.lines[0]
        stream += Array("[00:00:01.000] log line in the middle of a frame\n".utf8)
        stream += upload.lines[1]
        stream += Array("trailing text without newline".utf8)
        #expect(decode(stream) == [.packet(echo.message), .packet(upload.message)])
    }

    @Test func withPacketIsEmptyWithoutPacket() {
        var decoder = ConsoleFrameDecoder()
        for b in line(start, "AAsAAAABAAEAAKCG/g==") {
            if let event = decoder.feed(b) {
                #expect(event == .packet(count: 9))
                #expect(decoder.withPacket { Array($0) } == hex("00 00 0001 0001 00 00 a0"))
            }
        }
        _ = decoder.feed(0x41)
        #expect(decoder.withPacket { $0.count } == 0)
    }

    @Test func requestHeaderCheckOnDecodedPackets() {
        // Responses decode fine (the host reads them) but are not requests.
        for example in workedExamples {
            let packets = decode(Array(example.lines.joined()))
            guard case .packet(let message)? = packets.first else { Issue.record("no packet"); continue }
            let header = message.withUnsafeBytes { SMPHeader.parseRequest($0) }
            #expect((header != nil) == (message[0] & 0x07 == 0 || message[0] & 0x07 == 2), "\(example.name)")
        }
    }

    @Test func dropReasonsHaveDescriptions() {
        let reasons: [FrameDropReason] = [.lineTooLong, .badBase64, .badCRC, .overflow, .lengthMismatch,
                                          .continuationWithoutStart, .tooShort, .badHeader]
        #expect(Set(reasons.map { $0.description.description }).count == reasons.count)
    }
}
