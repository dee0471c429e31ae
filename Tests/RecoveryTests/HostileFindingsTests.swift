import DFUTarget
import FlashKit
@testable import Recovery
import SMP
import Testing

/// Regressions for what an attacking client found (issue 7): interleaved uploads, echo of invalid
/// UTF-8, bytes after the request map, and counters that trap on the 32-bit target.
@Suite struct HostileFindingsTests {
    /// Finding 2: in slot-mapping mode, X starts image 1 (primary) at off 0, Y starts image 2
    /// (secondary) at off 0, then X sends `{"image": 1, "off": 4, …}`. That chunk used to be
    /// written into Y's slot (`BBBBXXXX`). Now it is refused, says why, and Y's upload goes on.
    @Test(arguments: [UInt8(0), 1])
    func interleavedUploadIsRefused(version: UInt8) throws {
        let rig = try Rig(policy: .slotMapping)
        let x = Array("XXXX".utf8), y = Array("YYYY".utf8)
        #expect(rig.upload(off: 0, data: Array("AAAA".utf8), len: 8, image: 1, version: version).body?["off"] == 4)
        #expect(rig.upload(off: 0, data: Array("BBBB".utf8), len: 8, image: 2, version: version).body?["off"] == 4)
        let before = rig.flash.snapshot()
        let r = rig.upload(off: 4, data: x, image: 1, version: version)
        // v1: EBADSTATE; v2: IMG_MGMT_ERR_FLASH_CONTEXT_ALREADY_SET (another upload holds the flash).
        #expect(r.body == (version == 0 ? rcMap(6) : errMap(group: 1, rc: 16)))
        #expect(r.reply.event == .uploadRefused(.imageMismatch))
        #expect(rig.flash.snapshot() == before, "nothing written")
        #expect(rig.server.upload.target == SlotAddress(image: 0, slot: 1) && rig.server.upload.expectedOffset == 4)
        // Y, whose session it is, completes; the secondary holds BBBBYYYY, not BBBBXXXX.
        #expect(rig.upload(off: 4, data: y, image: 2, version: version).body?["off"] == 8)
        #expect(Array(rig.slotBytes(SlotAddress(image: 0, slot: 1))[0..<8]) == Array("BBBBYYYY".utf8))
        #expect(Array(rig.slotBytes(SlotAddress(image: 0, slot: 0))[0..<4]) == Array("AAAA".utf8))
    }

    /// Numbers that reach the same slot are the same image: 0 and 1 both mean the primary slot of
    /// image 0 under slot mapping, so a later chunk with either belongs to a session started with
    /// the other. An out-of-range number names no slot and is refused like any other mismatch.
    @Test func sameSlotByAnotherNumberIsAccepted() throws {
        let rig = try Rig(policy: .slotMapping)
        #expect(rig.upload(off: 0, data: [1, 2, 3, 4], len: 12, image: 0).body?["off"] == 4)
        #expect(rig.upload(off: 4, data: [5, 6, 7, 8], image: 1).body?["off"] == 8)
        #expect(rig.upload(off: 8, data: [9, 9, 9, 9], image: 9).body == rcMap(6))
        #expect(rig.upload(off: 8, data: [9, 10, 11, 12]).body?["off"] == 12)
    }

    /// Finding 4a: `os echo` sent back text that was not valid UTF-8. Such a request is now
    /// refused (EINVAL) and valid multi-byte text is echoed unchanged.
    @Test(arguments: [
        [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x61, 0x80],
        [0xF8, 0x88, 0x80, 0x80, 0x80], [0xE0, 0x9F, 0xBF],
    ] as [[UInt8]])
    func echoOfInvalidUTF8IsRefused(text: [UInt8]) throws {
        let rig = try Rig()
        // {"d": <text string of these bytes>}, built by hand: the test CBOR encoder takes Strings.
        let body: [UInt8] = [0xA1, 0x61, 0x64, 0x60 + UInt8(text.count)] + text
        let r = rig.send(group: 0, command: 0, payload: body)
        #expect(r.body == rcMap(3))
        #expect(rig.server.statistics.malformedBodies == 1)
    }

    @Test func echoOfValidUTF8IsUnchanged() throws {
        let rig = try Rig()
        for text in ["€", "𝄞 clef", "\u{7F}", "\u{10FFFF}", "ü\u{0}ß"] {
            let r = rig.send(group: 0, command: 0, body: .map([("d", .text(text))]))
            #expect(r.body == .map([("r", .text(text))]))
        }
    }

    /// Finding 4b: bytes after the request's top-level map were ignored. Every command now refuses
    /// them (EINVAL), and nothing is written.
    @Test(arguments: [
        ("trailing zero", [0x00] as [UInt8]),
        ("second map", [0xA0]),
        ("break byte", [0xFF]),
        ("half an item", [0x62, 0x61]),
    ])
    func bytesAfterTheMapAreRefused(name: String, tail: [UInt8]) throws {
        let rig = try Rig(policy: .slotMapping)
        try rig.fillWithJunk()
        let before = rig.flash.snapshot()
        let requests: [(UInt16, UInt8, [UInt8])] = [
            (0, 0, CBOR.map([("d", "hi")]).encoded()),
            (1, 1, uploadBody(off: 0, data: [1, 2, 3, 4], len: 4).encoded()),
            (1, 5, CBOR.map([("slot", 1)]).encoded()),
            (0, 6, CBOR.map([]).encoded()),
            (0, 5, CBOR.map([]).encoded()),
        ]
        for (group, command, body) in requests {
            let r = rig.send(group: group, command: command, payload: body + tail)
            #expect(r.body == rcMap(3), "\(name): group \(group) command \(command)")
            #expect(r.reply.action == .none)
        }
        #expect(rig.flash.snapshot() == before)
        #expect(rig.server.upload.target == nil)
    }

    /// The body must be a map (or empty); a bare item is refused before any handler sees it.
    @Test(arguments: [[0x00], [0x80], [0x61, 0x61], [0xF6]] as [[UInt8]])
    func bodyThatIsNotAMapIsRefused(body: [UInt8]) throws {
        let rig = try Rig()
        #expect(rig.send(group: 0, command: 5, payload: body).body == rcMap(3))
        #expect(rig.send(group: 0, command: 5, payload: body).reply.action == .none)
    }

    /// Finding 4c: the counters were `Int` with `+=`, 32 bits on the target: a stream of garbage
    /// trapped the boot stage after 2^31 frames. They are 64-bit and wrap instead of trapping.
    @Test func countersDoNotTrapAtTheirLimit() throws {
        let l = try LinkRig()
        l.link.droppedFrames = .max
        l.link.server.statistics = RecoveryStatistics()
        l.link.server.statistics.requests = .max
        l.link.server.statistics.errorResponses = .max
        l.link.server.statistics.malformedRequests = .max
        l.link.server.statistics.malformedBodies = .max
        l.feed(Array("\u{6}\u{9}AAAA\n".utf8))  // a frame with a bad length: dropped
        #expect(l.link.droppedFrames == 0)
        l.feed(frame(smpMessage(version: 0, group: 0, command: 0, sequence: 1, payload: [0xA1, 0x61, 0x64, 0x61, 0xFF])))
        #expect(l.link.server.statistics.requests == 0)
        #expect(l.link.server.statistics.errorResponses == 0)
        #expect(l.link.server.statistics.malformedBodies == 0)
        #expect(l.takeMessages().count == 1, "the link still answers")
    }
}
