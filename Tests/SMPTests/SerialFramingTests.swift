import SMP
import Testing

/// COBS as MCUboot's `cobs.c` and smpclient's `cobs_encode` (mcuboot-serial-recovery.md §1.6).
func cobs(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0]
    var codeIndex = 0
    var code: UInt8 = 1
    for byte in data {
        if byte != 0 {
            out.append(byte)
            code += 1
            if code != 0xFF { continue }
        }
        out[codeIndex] = code
        codeIndex = out.count
        out.append(0)
        code = 1
    }
    out[codeIndex] = code
    return out
}

func crcBytes(_ message: [UInt8]) -> [UInt8] {
    let crc = message.withUnsafeBytes { CRC16XMODEM.checksum($0) }
    return [UInt8(crc >> 8), UInt8(crc & 0xFF)]
}

/// A COBS frame as smpclient's `Cobs().encode` sends it.
func cobsFrame(_ message: [UInt8]) -> [UInt8] { cobs(message + crcBytes(message)) + [0] }

/// What the encoder emits for `message` in `framing`.
func encoded(_ message: [UInt8], _ framing: SerialFraming) -> [UInt8] {
    var out: [UInt8] = []
    message.withUnsafeBytes { SerialFrameEncoder.encode(message: $0, framing: framing) { out.append(contentsOf: $0) } }
    return out
}

/// Events (with the packet's bytes) from feeding `bytes` to a decoder.
func decode(_ bytes: [UInt8], into decoder: inout SerialFrameDecoder) -> [(ConsoleEvent, [UInt8], SerialFraming)] {
    var events: [(ConsoleEvent, [UInt8], SerialFraming)] = []
    for byte in bytes {
        guard let event = decoder.feed(byte) else { continue }
        let packet = decoder.withPacket { Array($0) }
        events.append((event, packet, decoder.packetFraming))
    }
    return events
}

func decode(_ bytes: [UInt8], framing: SerialFraming) -> [(ConsoleEvent, [UInt8], SerialFraming)] {
    var decoder = SerialFrameDecoder(framing: framing)
    return decode(bytes, into: &decoder)
}

let paramsRead = hex("08 00 0001 0000 00 06 a0")
let echoHello = hex("0a 00 0009 0000 01 00 a1 61 64 65 68656c6c6f")
let listV1 = hex("00 00 0001 0001 00 00 a0")

@Suite("Raw and COBS framings")
struct SerialFramingTests {
    @Test func cobsMatchesTheReferenceExamples() {
        // mcuboot-serial-recovery.md §1.6 and smpclient's doctests.
        #expect(cobs([]) == hex("01"))
        #expect(cobs(hex("01 02 03")) == hex("04 01 02 03"))
        #expect(cobs(hex("00")) == hex("01 01"))
        #expect(cobs(hex("11 00 22")) == hex("02 11 02 22"))
    }

    /// The encoder is byte-for-byte smpclient's, across block boundaries (253, 254, 255 non-zero
    /// bytes, zeros at the edges), and the decoder takes each frame back.
    @Test(arguments: [0, 1, 2, 252, 253, 254, 255, 508, 509, 2000])
    func cobsFramesRoundTrip(length: Int) {
        for zeros in [false, true] {
            var message = (0..<length).map { UInt8(truncatingIfNeeded: $0 % 255 + 1) }
            if zeros, length > 2 { message[0] = 0; message[length - 1] = 0; message[length / 2] = 0 }
            let frame = encoded(message, .cobs)
            #expect(frame == cobsFrame(message), "length \(length)")
            #expect(!frame.dropLast().contains(0))
            let events = decode(frame, framing: .cobs)
            if length == 0 {
                #expect(events.map(\.0) == [.dropped(.tooShort)], "a frame of nothing but a CRC carries no message")
            } else {
                #expect(events.map(\.0) == [.packet(count: length)])
                #expect(events.first?.1 == message)
            }
        }
    }

    @Test func cobsDamageIsDroppedAndTheNextFrameIsRead() {
        var damaged = echoHello
        damaged[12] ^= 0x02  // "hello" → "hgllo", the CRC kept: a well-formed frame with a bad CRC
        let bad = cobs(damaged + crcBytes(echoHello)) + [0]
        let whole = cobsFrame(echoHello)  // its last block holds "hello" and the CRC
        let cut = Array(whole.prefix(whole.count - 3)) + [0]
        let events = decode([0, 0] + bad + cut + cobsFrame(paramsRead), framing: .cobs)
        #expect(events.map(\.0) == [.dropped(.badCRC), .dropped(.badCOBS), .packet(count: paramsRead.count)])
        #expect(events.last?.1 == paramsRead)
        #expect(events.last?.2 == .cobs)
    }

    /// A delimiter-less stream past the buffer is one drop, and the frame after its `00` is read.
    @Test func cobsOverflowIsOneDrop() {
        let noise = [UInt8](repeating: 0xFF, count: 5000)
        let events = decode(noise + [0] + cobsFrame(echoHello), framing: .cobs)
        #expect(events.map(\.0) == [.dropped(.overflow), .packet(count: echoHello.count)])
    }

    /// smpclient's raw transport sends messages of the full reported `buf_size` (2048), CRC or
    /// not: both binary framings take them; one byte more is an overflow.
    @Test func binaryFramingsTakeMessagesOfTheWholeBuffer() {
        func message(_ total: Int) -> [UInt8] {
            let length = total - 8
            return [0x0A, 0, UInt8(length >> 8), UInt8(length & 0xFF), 0, 1, 7, 1] + (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 | 1) }
        }
        let full = message(SerialFrameDecoder.maxBinaryMessage)
        #expect(decode(full, framing: .raw).map(\.1) == [full])
        #expect(decode(cobsFrame(full), framing: .cobs).map(\.1) == [full])
        #expect(decode(message(2049), framing: .raw).map(\.0) == [.dropped(.overflow)])
        #expect(decode(cobsFrame(message(2049)), framing: .cobs).map(\.0) == [.dropped(.overflow)])
    }

    @Test func rawMessagesEndByTheirHeaderLength() {
        let events = decode(paramsRead + echoHello + listV1, framing: .raw)
        #expect(events.map(\.0) == [.packet(count: 9), .packet(count: 17), .packet(count: 9)])
        #expect(events.map(\.1) == [paramsRead, echoHello, listV1])
        #expect(events.allSatisfy { $0.2 == .raw })
        #expect(encoded(echoHello, .raw) == echoHello)
    }

    /// MCUboot discards a raw buffer with a bad op or a length past its buffer; without markers
    /// the stream is ignored until the line goes quiet, then read afresh.
    @Test func rawDropsWaitForAQuietLine() {
        var decoder = SerialFrameDecoder(framing: .raw)
        #expect(decode([0x0F] + echoHello, into: &decoder).map(\.0) == [.dropped(.badHeader)])
        #expect(decoder.inputIdle() == nil, "a drop already reported")
        #expect(decode(echoHello, into: &decoder).map(\.0) == [.packet(count: 17)])
        let huge = hex("0a 00 ffff 0001 00 01")
        #expect(decode(huge + echoHello, into: &decoder).map(\.0) == [.dropped(.overflow)])
        _ = decoder.inputIdle()
        #expect(decode(Array(echoHello.prefix(10)), into: &decoder).isEmpty)
        #expect(decoder.isInsideMessage)
        #expect(decoder.inputIdle() == .dropped(.inputTimeout))
        #expect(decode(paramsRead, into: &decoder).map(\.1) == [paramsRead])
    }

    /// (A stray `00` before a COBS frame is skipped; before a raw v1 read, which starts `00 00`,
    /// it cannot be told from the message and is not sent by any client.)
    @Test func autoTellsTheFramingsApartAndRemembersEach() {
        let consoleLine = line(start, "AAsIAAABAAAABqBzEw==")  // smpmgr params read
        var decoder = SerialFrameDecoder(framing: .auto)
        let stream = Array("boot log text\r\n".utf8) + consoleLine + paramsRead + [0] + cobsFrame(echoHello)
            + listV1 + echoHello + cobsFrame(listV1) + consoleLine
        let events = decode(stream, into: &decoder)
        #expect(events.map(\.0) == [
            .packet(count: 9), .packet(count: 9), .packet(count: 17), .packet(count: 9), .packet(count: 17),
            .packet(count: 9), .packet(count: 9),
        ])
        #expect(events.map(\.2) == [.console, .raw, .cobs, .raw, .raw, .cobs, .console])
        #expect(events.map(\.1) == [paramsRead, paramsRead, echoHello, listV1, echoHello, listV1, paramsRead])
    }

    /// `0A` is a newline between console lines, and also the first byte of a raw v2 write.
    @Test func autoReadsANewlineOrARawWrite() {
        var decoder = SerialFrameDecoder(framing: .auto)
        let consoleEcho = line(start, "ABMKAAAJAAABAKFhZGVoZWxsb3o2")
        let events = decode([0x0A, 0x0A] + consoleEcho + echoHello + [0x0A] + consoleEcho, into: &decoder)
        #expect(events.map(\.2) == [.console, .raw, .console])
        #expect(events.allSatisfy { $0.1 == echoHello })
    }

    /// Typed text (letters after a newline, a tab) is console text, never the start of a binary
    /// message that would swallow the console frames after it.
    @Test func autoKeepsTypedTextOnTheConsole() {
        var decoder = SerialFrameDecoder(framing: .auto)
        let text = Array("A\nhello world\n\tstatus\n\u{08}x\n".utf8)
        let consoleEcho = line(start, "ABMKAAAJAAABAKFhZGVoZWxsb3o2")
        let events = decode(text + consoleEcho + text + cobsFrame(echoHello) + text + echoHello, into: &decoder)
        #expect(events.map(\.2) == [.console, .cobs, .raw])
        #expect(events.allSatisfy { $0.1 == echoHello })
    }

    @Test func autoIgnoresJunkAndTimesOutAStalledMessage() {
        var decoder = SerialFrameDecoder(framing: .auto)
        #expect(decode(Array("AT+RESET\nhello\n".utf8), into: &decoder).isEmpty, "console text")
        #expect(decode(Array(cobsFrame(echoHello).prefix(12)), into: &decoder).isEmpty)
        #expect(decoder.inputIdle() == .dropped(.inputTimeout))
        #expect(decode(cobsFrame(echoHello), into: &decoder).map(\.2) == [.cobs])
        #expect(decode(Array(paramsRead.prefix(4)), into: &decoder).isEmpty)
        #expect(decoder.inputIdle() == .dropped(.inputTimeout))
        #expect(decode(paramsRead, into: &decoder).map(\.2) == [.raw])
    }

    /// Hostile streams in every framing: no trap, and every drop is reported.
    @Test(arguments: SerialFraming.allCases)
    func randomBytesNeverTrap(framing: SerialFraming) {
        var generator = SplitMix64(state: 0x5EED)
        var decoder = SerialFrameDecoder(framing: framing)
        for round in 0..<200 {
            let bytes = (0..<Int.random(in: 1...3000, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            for (event, packet, _) in decode(bytes, into: &decoder) {
                if case .packet(let n) = event { #expect(packet.count == n && n <= SerialFrameDecoder.maxBinaryMessage) }
            }
            if round % 7 == 0 { _ = decoder.inputIdle() }
        }
        // Whatever came before, a quiet line and then a valid message of the framing is read.
        _ = decoder.inputIdle()
        let message = framing == .console ? line(start, "ABMKAAAJAAABAKFhZGVoZWxsb3o2") : framing == .raw ? echoHello : cobsFrame(echoHello)
        let tail = framing == .console || framing == .auto ? [0x0A] + message : framing == .cobs ? [0] + message : message
        #expect(decode(tail, into: &decoder).map(\.1).last == echoHello)
    }
}
