import DFUTarget
import Foundation
import Recovery
import SMP
import Testing

/// A frame whose CRC (or any stream byte) is corrupted: `mutate` gets the decoded stream
/// `[len][message][crc]` before base64.
func corruptFrame(_ message: [UInt8], mutate: (inout [UInt8]) -> Void) -> [UInt8] {
    let crc = message.withUnsafeBytes { CRC16XMODEM.checksum($0) }
    var stream = [UInt8((message.count + 2) >> 8), UInt8((message.count + 2) & 0xFF)] + message + [UInt8(crc >> 8), UInt8(crc & 0xFF)]
    mutate(&stream)
    let text = Array(Data(stream).base64EncodedString().utf8)
    precondition(text.count <= 124, "corruptFrame builds single-line frames only")
    return [0x06, 0x09] + text + [0x0A]
}

func echoMessage(_ text: String, sequence: UInt8 = 1) -> [UInt8] {
    smpMessage(group: 0, command: 0, sequence: sequence, payload: CBOR.map([("d", .text(text))]).encoded())
}

@Suite struct SerialLinkTests {
    /// A valid framed echo (one line and several lines) gets exactly its reply, framed as MCUboot does.
    @Test(arguments: ["hi", String(repeating: "lifeboat ", count: 40)])
    func echoRoundTrip(text: String) throws {
        let l = try LinkRig()
        let request = frame(echoMessage(text, sequence: 9))
        #expect(l.feed(request) == .none)
        let messages = l.takeMessages()
        try #require(messages.count == 1)
        let response = Response(bytes: messages[0], reply: RecoveryReply(length: messages[0].count))
        expectHeader(response, op: .write, group: 0, command: 0)
        #expect(response.header?.sequence == 9)
        #expect(response.body == .map([("r", .text(text))]))
        #expect(l.events == [.replied(bytes: messages[0].count)])
        #expect(l.link.droppedFrames == 0)
    }

    /// MCUboot's worked example: the image-list request line and its reply.
    @Test func workedExampleLine() throws {
        let l = try LinkRig()
        l.feed([0x06, 0x09] + Array("AAsAAAABAAEAAKCG/g==".utf8) + [0x0A])
        let messages = l.takeMessages()
        #expect(messages == [[0x01, 0x00, 0x00, 0x0B, 0x00, 0x01, 0x00, 0x00, 0xBF, 0x66] + Array("images".utf8) + [0x9F, 0xFF, 0xFF]])
    }

    /// Every truncation of a valid (three-line) frame gets no reply; a newline and a valid frame
    /// afterwards get exactly one.
    @Test func everyTruncationGetsNoReply() throws {
        let l = try LinkRig()
        let text = String(repeating: "t", count: 250)
        let full = frame(echoMessage(text))
        #expect(full.filter { $0 == 0x0A }.count == 3)
        for k in 1..<full.count {
            l.link.reboot()
            l.events = []
            l.feed(Array(full.dropLast(k)))
            #expect(l.output.isEmpty, "dropped \(k)")
            #expect(!l.events.contains { if case .replied = $0 { true } else { false } }, "dropped \(k)")
            l.feed([0x0A] + frame(echoMessage("ok")))
            let bodies = l.takeMessages().map { Response(bytes: $0, reply: RecoveryReply(length: 0)).body }
            // Only the final newline missing: the newline completes the original frame.
            let expected: [CBOR?] = (k == 1 ? [.map([("r", .text(text))])] : []) + [.map([("r", "ok")])]
            #expect(bodies == expected, "dropped \(k)")
        }
    }

    struct BadFrame: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var reason: FrameDropReason
        var testDescription: String { name }
    }

    static let badFrames: [BadFrame] = {
        let message = echoMessage("x")
        var frames = [
            BadFrame(name: "CRC low bit", bytes: corruptFrame(message) { $0[$0.count - 1] ^= 0x01 }, reason: .badCRC),
            BadFrame(name: "CRC high bit", bytes: corruptFrame(message) { $0[$0.count - 2] ^= 0x80 }, reason: .badCRC),
            BadFrame(name: "payload bit", bytes: corruptFrame(message) { $0[12] ^= 0x10 }, reason: .badCRC),
            BadFrame(name: "base64 garbage", bytes: [0x06, 0x09] + Array("!!@@".utf8) + [0x0A], reason: .badBase64),
            BadFrame(name: "base64 partial group", bytes: [0x06, 0x09] + Array("AAsAAAA".utf8) + [0x0A], reason: .badBase64),
            BadFrame(name: "200-char line", bytes: [0x06, 0x09] + [UInt8](repeating: UInt8(ascii: "A"), count: 198) + [0x0A], reason: .lineTooLong),
            BadFrame(name: "continuation without start", bytes: [0x04, 0x14] + Array("AAAA".utf8) + [0x0A], reason: .continuationWithoutStart),
            BadFrame(name: "length prefix 2", bytes: corruptFrame([]) { $0 = [0, 2, 0, 0] }, reason: .tooShort),
            BadFrame(name: "more than the prefix", bytes: corruptFrame(message) { $0[1] -= 1 }, reason: .lengthMismatch),
        ]
        // A valid frame carrying a response op: not a request.
        var response = message
        response[0] = 3
        frames.append(BadFrame(name: "response op", bytes: frame(response), reason: .badHeader))
        return frames
    }()

    /// Each bad frame: no reply, one `.dropped` event with the reason, and the next valid frame
    /// still gets its reply.
    @Test(arguments: badFrames)
    func badFrameIsDroppedAndLinkRecovers(bad: BadFrame) throws {
        let l = try LinkRig()
        l.feed(bad.bytes)
        #expect(l.output.isEmpty)
        #expect(l.events == [.dropped(bad.reason, total: 1)])
        #expect(l.link.droppedFrames == 1)
        l.events = []
        l.feed(frame(echoMessage("after")))
        let messages = l.takeMessages()
        #expect(messages.count == 1)
        #expect(messages.first.map { Response(bytes: $0, reply: RecoveryReply(length: 0)).body } == .map([("r", "after")]))
        #expect(l.link.droppedFrames == 1)
    }

    /// Drops accumulate in `droppedFrames` and in each event's total; console text is not a drop.
    @Test func droppedFramesCounts() throws {
        let l = try LinkRig()
        l.feed(Array("*** booting ***\n".utf8))
        for (i, bad) in Self.badFrames.enumerated() {
            l.feed(bad.bytes)
            #expect(l.events.last == .dropped(bad.reason, total: UInt64(i + 1)))
            l.feed(frame(echoMessage("n\(i)")))
        }
        #expect(l.link.droppedFrames == UInt64(Self.badFrames.count))
        #expect(l.takeMessages().count == Self.badFrames.count)
    }

    /// A reset request returns `.reset` after its reply; bytes after it are not processed; the
    /// reboot forgets the upload in progress.
    @Test func resetThroughTheLink() throws {
        let l = try LinkRig()
        let image = payloadBytes(3000)
        l.feed(frame(smpMessage(group: 1, command: 1, payload: uploadBody(off: 0, data: Array(image[0..<1000]), len: 3000).encoded())))
        #expect(l.link.server.upload.expectedOffset == 1000)
        #expect(l.events.last == .recovery(.uploadStarted(SlotAddress(image: 0, slot: 0), size: 3000)))
        _ = l.takeMessages()
        let action = l.feed(frame(smpMessage(group: 0, command: 5, payload: [0xA0])) + frame(echoMessage("lost")))
        #expect(action == .reset)
        let messages = l.takeMessages()
        #expect(messages.count == 1)
        #expect(messages.first.map { Response(bytes: $0, reply: RecoveryReply(length: 0)).body } == rcMap(0))
        l.link.reboot()
        #expect(l.link.server.upload.target == nil)
        l.feed(frame(smpMessage(group: 1, command: 1, payload: uploadBody(off: 1000, data: Array(image[1000..<2000])).encoded())))
        let reply = l.takeMessages()
        #expect(reply.first.map { Response(bytes: $0, reply: RecoveryReply(length: 0)).body } == .map([("rc", 0), ("off", 0)]))
    }

    /// A multi-line frame that is dropped on its first line counts as one drop: its continuation
    /// lines are discarded with it, not reported as continuations without a start.
    @Test(arguments: ["overflow", "badBase64", "lineTooLong", "badCRC"])
    func multiLineFrameIsOneDrop(kind: String) throws {
        let l = try LinkRig()
        var lines = frame(echoMessage(String(repeating: "m", count: kind == "overflow" ? 2031 : 600)))
        let firstEnd = lines.firstIndex(of: 0x0A)!
        let reason: FrameDropReason
        switch kind {
        case "overflow": reason = .overflow
        case "badBase64":
            lines[5] = UInt8(ascii: "*")
            reason = .badBase64
        case "lineTooLong":
            lines.insert(contentsOf: [UInt8](repeating: UInt8(ascii: "A"), count: 200), at: firstEnd)
            reason = .lineTooLong
        default:
            lines[lines.count - 3] = lines[lines.count - 3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            reason = .badCRC
        }
        #expect(lines.filter { $0 == 0x0A }.count >= 7)
        l.feed(lines)
        #expect(l.output.isEmpty)
        #expect(l.events == [.dropped(reason, total: 1)])
        #expect(l.link.droppedFrames == 1)
        // A stray continuation after a delivered frame is still a drop of its own.
        l.events = []
        l.feed(frame(echoMessage("ok")) + [0x04, 0x14] + Array("AAAA".utf8) + [0x0A])
        #expect(l.takeMessages().count == 1)
        #expect(l.events.last == .dropped(.continuationWithoutStart, total: 2))
    }

    /// A reboot also drops a partial frame.
    @Test func rebootDropsPartialFrame() throws {
        let l = try LinkRig()
        let f = frame(echoMessage(String(repeating: "p", count: 150)))
        let firstLine = f.firstIndex(of: 0x0A)! + 1
        l.feed(Array(f[0..<firstLine]))
        l.link.reboot()
        l.feed(Array(f[firstLine...]))
        #expect(l.output.isEmpty)
        #expect(l.events == [.dropped(.continuationWithoutStart, total: 1)])
    }

    /// The upload data size whose request message is exactly `size` bytes.
    static func uploadMessage(size: Int) -> [UInt8] {
        var d = size - 29
        while true {
            let m = smpMessage(group: 1, command: 1, payload: uploadBody(off: 0, data: payloadBytes(d), len: 0x8000).encoded())
            if m.count == size { return m }
            d += m.count < size ? 1 : -1
        }
    }

    /// 2044 bytes (buffer 2048 − prefix − CRC) is the largest SMP message: accepted. 2045 is dropped
    /// as overflow.
    @Test func largestMessage() throws {
        let l = try LinkRig()
        let max = Self.uploadMessage(size: 2044)
        l.feed(frame(max))
        let messages = l.takeMessages()
        try #require(messages.count == 1)
        let dataCount = 2044 - 29
        #expect(Response(bytes: messages[0], reply: RecoveryReply(length: 0)).body == .map([("rc", 0), ("off", .unsigned(UInt64(dataCount - dataCount % 4)))]))
        #expect(l.link.droppedFrames == 0)

        let over = Self.uploadMessage(size: 2045)
        l.events = []
        l.feed(frame(over))
        #expect(l.output.isEmpty)
        #expect(l.events == [.dropped(.overflow, total: 1)])
    }

    /// Replies are held to 2044 bytes, so a peer with the same 2048-byte buffer can read them:
    /// the largest echo whose reply fits is answered in full; one byte more is ENOMEM (rc 2),
    /// itself a reply that fits.
    @Test func largestEcho() throws {
        let l = try LinkRig()
        let fitting = String(repeating: "e", count: 2029)
        l.feed(frame(echoMessage(fitting)))
        var messages = l.takeMessages()
        try #require(messages.count == 1)
        #expect(messages[0].count == 2044)
        #expect(Response(bytes: messages[0], reply: RecoveryReply(length: 0)).body == .map([("r", .text(fitting))]))

        let text = String(repeating: "e", count: 2030)
        let request = echoMessage(text)
        #expect(request.count == 2044)
        l.feed(frame(request))
        messages = l.takeMessages()
        try #require(messages.count == 1)
        #expect(Response(bytes: messages[0], reply: RecoveryReply(length: 0)).body == .map([("rc", 2)]))
        l.feed(frame(echoMessage(text + "e")))
        #expect(l.output.isEmpty)
        #expect(l.events.last == .dropped(.overflow, total: 1))
    }

    /// The boot stage lends the response buffer (no heap): the same bytes go out as with the
    /// link's own buffer, whatever the lent buffer held before, and a shorter buffer holds
    /// responses to its size (a reply that does not fit is MCUboot's rc 2, not a trap).
    @Test func callerLentResponseBuffer() throws {
        let own = try LinkRig()
        let lent = try LinkRig()
        var storage = [UInt8](repeating: 0xA5, count: SerialRecoveryLink<TestSlots>.responseCapacity)
        let requests = [frame(echoMessage(String(repeating: "e", count: 2029))), frame(echoMessage("hi", sequence: 2))]
        for request in requests {
            own.feed(request)
            storage.withUnsafeMutableBytes { response in
                _ = request.withUnsafeBytes { raw in
                    lent.link.receive(raw, response: response, transmit: { lent.output += Array($0) }, observe: { lent.events.append($0) })
                }
            }
        }
        #expect(!own.output.isEmpty)
        #expect(lent.output == own.output)
        #expect(lent.events == own.events)

        let short = try LinkRig()
        var small = [UInt8](repeating: 0, count: 64)
        for text in ["hi", String(repeating: "e", count: 100)] {
            small.withUnsafeMutableBytes { response in
                _ = frame(echoMessage(text)).withUnsafeBytes { raw in
                    short.link.receive(raw, response: response, transmit: { short.output += Array($0) })
                }
            }
        }
        let messages = short.takeMessages()
        try #require(messages.count == 2)
        #expect(Response(bytes: messages[0], reply: RecoveryReply(length: 0)).body == .map([("r", .text("hi"))]))
        #expect(Response(bytes: messages[1], reply: RecoveryReply(length: 0)).body == .map([("rc", 2)]))
    }

    /// A whole image over the link, in 2044-byte messages, lands byte for byte.
    @Test func uploadOverTheLink() throws {
        let l = try LinkRig()
        let before = l.rig.flash.snapshot()
        let image = TestImage(bodySize: 20_000, seed: 3).bytes
        var off = 0
        while off < image.count {
            let end = min(off + 2000, image.count)
            l.feed(frame(smpMessage(group: 1, command: 1, payload: uploadBody(off: off, data: Array(image[off..<end]), len: off == 0 ? image.count : nil).encoded())))
            let messages = l.takeMessages()
            try #require(messages.count == 1)
            off = try #require(Response(bytes: messages[0], reply: RecoveryReply(length: 0)).body?["off"]?.int)
        }
        #expect(l.events.last == .recovery(.uploadCompleted(SlotAddress(image: 0, slot: 0), size: image.count)))
        let rig = l.rig
        expectUploaded(rig, image, at: SlotAddress(image: 0, slot: 0), before: before)
    }
}
