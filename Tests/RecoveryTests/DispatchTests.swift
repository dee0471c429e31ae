import DFUTarget
import FlashKit
import Recovery
import SMP
import Testing

/// The dispatcher and the small commands: what each (group, command, op, version) answers, and
/// the response header rules (op + 1, flags 0, seq/id echoed, length = payload).
@Suite struct DispatchTests {
    static let versions: [UInt8] = [0, 1]

    // MARK: Echo

    @Test(arguments: versions, [SMPOperation.read, .write])
    func echoReturnsTheText(version: UInt8, op: SMPOperation) throws {
        let rig = try Rig()
        let before = rig.flash.snapshot()
        let r = rig.send(op: op, version: version, group: 0, command: 0, body: .map([("d", "hello, lifeboat")]), sequence: 0x5C)
        expectHeader(r, op: op, version: version, group: 0, command: 0)
        #expect(r.header?.sequence == 0x5C)
        #expect(r.body == .map([("r", "hello, lifeboat")]))
        // Indefinite-length map, as MCUboot's zcbor writes it.
        #expect(r.payload.first == 0xBF && r.payload.last == 0xFF)
        #expect(r.reply.action == .none)
        #expect(rig.flash.snapshot() == before)
        #expect(rig.flash.trace.filter(\.isMutating).isEmpty)
    }

    @Test(arguments: versions)
    func echoOfEmptyAndUnicodeText(version: UInt8) throws {
        let rig = try Rig()
        #expect(rig.send(version: version, group: 0, command: 0, body: .map([("d", "")])).body == .map([("r", "")]))
        #expect(rig.send(version: version, group: 0, command: 0, body: .map([("d", "ünïcødé ⛵️")])).body == .map([("r", "ünïcødé ⛵️")]))
        // Unknown keys around `d` are skipped.
        let r = rig.send(version: version, group: 0, command: 0, body: .map([("x", 1), ("d", "a"), ("y", .array([1, 2]))]))
        #expect(r.body == .map([("r", "a")]))
    }

    static let badEchoBodies: [CBOR] = [
        .map([("d", .bytes([0x41]))]),  // bstr, not tstr
        .map([("d", 7)]),
        .map([("d", .null)]),
        .map([]),  // missing d
        .map([("e", "x")]),
        .map([("d", "a"), ("d", "b")]),  // duplicate
        .array(["d", "x"]),
        "d",
        .raw([]),  // empty payload
        .raw([0xA1, 0x61, 0x64, 0x63, 0x61]),  // text truncated
        .raw([0xA1, 0x61, 0x64, 0x7B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),  // 2^64-1 byte text
    ]

    /// A non-text or missing `d` is EINVAL, `{"rc": 3}` in both versions (an SMP-layer error).
    @Test(arguments: badEchoBodies, versions)
    func echoRejectsBadInput(body: CBOR, version: UInt8) throws {
        let rig = try Rig()
        let r = rig.send(version: version, group: 0, command: 0, body: body)
        expectHeader(r, op: .write, version: version, group: 0, command: 0)
        #expect(r.body == rcMap(3))
        #expect(rig.server.statistics.errorResponses == 1)
    }

    @Test func echoDisabledIsNotSupported() throws {
        let rig = try Rig(echo: false)
        let r = rig.send(group: 0, command: 0, body: .map([("d", "hi")]))
        #expect(r.body == rcMap(8))
    }

    /// An echo whose reply does not fit the response buffer is answered with ENOMEM, in full.
    @Test func echoThatDoesNotFitIsNoMemory() throws {
        let rig = try Rig()
        let text = String(repeating: "x", count: 100)
        let r = rig.send(raw: smpMessage(group: 0, command: 0, payload: CBOR.map([("d", .text(text))]).encoded()), responseCapacity: 64)
        expectHeader(r, op: .write, group: 0, command: 0)
        #expect(r.body == rcMap(2))
    }

    // MARK: Console echo control, reset, params, bootloader info

    @Test(arguments: versions)
    func consoleEchoControlSucceeds(version: UInt8) throws {
        let rig = try Rig()
        let r = rig.send(version: version, group: 0, command: 1, body: .map([("echo", false)]))
        expectHeader(r, op: .write, version: version, group: 0, command: 1)
        #expect(r.body == (version == 0 ? rcMap(0) : .map([])))
        #expect(r.reply.action == .none)
    }

    @Test(arguments: versions)
    func resetAnswersThenResets(version: UInt8) throws {
        let rig = try Rig()
        for payload in [CBOR.map([]), .map([("force", 1)]), .raw([])] {
            let r = rig.send(version: version, group: 0, command: 5, body: payload)
            expectHeader(r, op: .write, version: version, group: 0, command: 5)
            #expect(r.body == (version == 0 ? rcMap(0) : .map([])))
            #expect(r.reply.action == .reset)
        }
    }

    @Test(arguments: versions)
    func mcumgrParams(version: UInt8) throws {
        let rig = try Rig()
        let r = rig.send(op: .read, version: version, group: 0, command: 6, body: .map([]))
        expectHeader(r, op: .read, version: version, group: 0, command: 6)
        #expect(r.body == .map([("buf_size", 2048), ("buf_count", 1)]))
    }

    @Test(arguments: versions, [CBOR.raw([]), .map([])])
    func bootloaderInfoWithoutQuery(version: UInt8, body: CBOR) throws {
        let rig = try Rig()
        let r = rig.send(op: .read, version: version, group: 0, command: 8, body: body)
        expectHeader(r, op: .read, version: version, group: 0, command: 8)
        #expect(r.body == .map([("bootloader", "MCUboot")]))
    }

    @Test(arguments: [(UploadPolicy.primaryOnly, UInt64(0)), (.slotMapping, 3)])
    func bootloaderInfoMode(policy: UploadPolicy, mode: UInt64) throws {
        let rig = try Rig(policy: policy)
        for version: UInt8 in [0, 1] {
            let r = rig.send(op: .read, version: version, group: 0, command: 8, body: .map([("query", "mode")]))
            #expect(r.body == .map([("mode", .unsigned(mode))]))
        }
    }

    @Test(arguments: ["", "bootloader", "Mode", "mode ", "modes"])
    func bootloaderInfoOtherQuery(query: String) throws {
        let rig = try Rig()
        let v1 = rig.send(op: .read, version: 0, group: 0, command: 8, body: .map([("query", .text(query))]))
        #expect(v1.body == rcMap(3))
        let v2 = rig.send(op: .read, version: 1, group: 0, command: 8, body: .map([("query", .text(query))]))
        expectHeader(v2, op: .read, version: 1, group: 0, command: 8)
        #expect(v2.body == errMap(group: 0, rc: 3))
    }

    @Test func bootloaderInfoNonTextQueryIsInvalid() throws {
        let rig = try Rig()
        #expect(rig.send(op: .read, group: 0, command: 8, body: .map([("query", 1)])).body == rcMap(3))
        #expect(rig.send(op: .read, group: 0, command: 8, body: .array([])).body == rcMap(3))
    }

    // MARK: Unsupported

    static let unsupported: [(UInt16, UInt8, SMPOperation)] = [
        (0, 2, .read), (0, 3, .write), (0, 4, .read), (0, 7, .write), (0, 9, .read), (0, 255, .write),
        (1, 2, .write), (1, 3, .read), (1, 4, .write), (1, 7, .read), (1, 255, .write),
        (1, 6, .write),  // slot info WRITE
        (2, 0, .read), (3, 0, .write), (8, 0, .read), (9, 1, .write), (63, 0, .write), (64, 0, .write), (0xFFFF, 0, .read),
    ]

    @Test(arguments: unsupported, versions)
    func unsupportedCommandsAreENOTSUP(command: (UInt16, UInt8, SMPOperation), version: UInt8) throws {
        let rig = try Rig()
        let before = rig.flash.snapshot()
        let (group, id, op) = command
        let r = rig.send(op: op, version: version, group: group, command: id, body: .map([("confirm", true)]), sequence: 0xEE)
        expectHeader(r, op: op, version: version, group: group, command: id)
        #expect(r.header?.sequence == 0xEE)
        #expect(r.body == rcMap(8))
        #expect(r.reply.action == .none)
        #expect(rig.flash.snapshot() == before)
    }

    // MARK: Slot info

    @Test(arguments: [UploadPolicy.primaryOnly, .slotMapping], SlotLayout.allCases)
    func slotInfo(policy: UploadPolicy, layout: SlotLayout) throws {
        let rig = try Rig(policy: policy, layout: layout)
        let r = rig.send(op: .read, group: 1, command: 6, body: .map([]))
        expectHeader(r, op: .read, group: 1, command: 6)
        func slot(_ s: UInt64, _ size: UInt64, _ id: UInt64?) -> CBOR {
            var e: [(CBOR, CBOR)] = [("slot", .unsigned(s)), ("size", .unsigned(size))]
            if let id { e.append(("upload_image_id", .unsigned(id))) }
            return .map(e)
        }
        let mapping = policy == .slotMapping
        var images: [CBOR]
        switch layout {
        case .single:
            images = [.map([("image", 0), ("slots", .array([slot(0, 0x8000, mapping ? 1 : 0), slot(1, 0x8000, mapping ? 2 : nil)]))])]
        case .primaryOnly:
            images = [.map([("image", 0), ("slots", .array([slot(0, 0x8000, mapping ? 1 : 0)]))])]
        case .dual:
            images = [
                .map([("image", 0), ("slots", .array([slot(0, 0x8000, mapping ? 1 : 0), slot(1, 0x8000, mapping ? 2 : nil)]))]),
                .map([("image", 1), ("slots", .array([slot(0, 0x4000, mapping ? 3 : 1), slot(1, 0x4000, mapping ? 4 : nil)]))]),
            ]
        }
        #expect(r.body == .map([("images", .array(images))]))
    }

    // MARK: Versions and headers

    /// SMP versions 2 and 3 are too new: rc 13, and the response claims version 1 (v2).
    @Test(arguments: [UInt8(2), 3], [(UInt16(0), UInt8(0)), (1, 1), (1, 0), (0, 5), (7, 7)])
    func tooNewVersion(version: UInt8, command: (UInt16, UInt8)) throws {
        let rig = try Rig()
        let r = rig.send(version: version, group: command.0, command: command.1, body: .map([("d", "x")]))
        expectHeader(r, op: .write, version: 1, group: command.0, command: command.1)
        #expect(r.header?.version == 1)
        #expect(r.bytes.first == 0x0B)  // WRITE_RSP | v2
        #expect(r.body == rcMap(13))
        #expect(r.reply.action == .none)  // a too-new reset is not executed
    }

    @Test func responseHeaderBytes() throws {
        let rig = try Rig()
        // READ, flags 0xA5, seq 0x7E, group 0, id 6; and a v2 WRITE echo.
        let r = rig.send(raw: smpMessage(op: .read, flags: 0xA5, group: 0, command: 6, sequence: 0x7E, payload: [0xA0]))
        let n = r.bytes.count - 8
        #expect(Array(r.bytes[0..<8]) == [0x01, 0x00, UInt8(n >> 8), UInt8(n & 0xFF), 0x00, 0x00, 0x7E, 0x06])
        let e = rig.send(raw: smpMessage(op: .write, version: 1, group: 0, command: 0, sequence: 0x01, payload: CBOR.map([("d", "z")]).encoded()))
        // {"r":"z"} indefinite: BF 61 72 61 7A FF
        #expect(e.bytes == [0x0B, 0x00, 0x00, 0x06, 0x00, 0x00, 0x01, 0x00, 0xBF, 0x61, 0x72, 0x61, 0x7A, 0xFF])
    }

    /// MCUboot's worked example: an image-list request `000b 00 00 0001 0001 00 00 a0` with an
    /// empty device lists no images.
    @Test func imageListOfEmptyDevice() throws {
        let rig = try Rig()
        let r = rig.send(raw: [0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xA0])
        #expect(r.bytes == [0x01, 0x00, 0x00, 0x0B, 0x00, 0x01, 0x00, 0x00]
            + [0xBF, 0x66] + Array("images".utf8) + [0x9F, 0xFF, 0xFF])
    }

    /// Header sanity (MCUboot `boot_serial_input`): shorter than 8 bytes, a response op, or a
    /// header length smaller than the payload → no response at all. A larger header length is
    /// accepted.
    @Test func malformedHeadersGetNoResponse() throws {
        let rig = try Rig()
        let echo = CBOR.map([("d", "x")]).encoded()
        for n in 0..<8 {
            let r = rig.send(raw: Array(smpMessage(group: 0, command: 0, payload: echo).prefix(n)))
            #expect(r.isEmpty && r.reply.length == 0 && r.reply.action == .none)
        }
        for op: UInt8 in [1, 3, 4, 5, 6, 7] {
            var m = smpMessage(group: 0, command: 0, payload: echo)
            m[0] = op
            #expect(rig.send(raw: m).isEmpty)
        }
        // A reset with a response op is not executed.
        var reset = smpMessage(group: 0, command: 5, payload: [0xA0])
        reset[0] = 3
        #expect(rig.send(raw: reset).reply.action == .none)
        #expect(rig.send(raw: smpMessage(group: 0, command: 0, payload: echo, length: echo.count - 1)).isEmpty)
        let longer = rig.send(raw: smpMessage(group: 0, command: 0, payload: echo, length: echo.count + 100))
        #expect(longer.body == .map([("r", "x")]))
        // Reserved bits 5-7 of byte 0 are ignored.
        var reserved = smpMessage(group: 0, command: 0, payload: echo)
        reserved[0] |= 0xE0
        #expect(rig.send(raw: reserved).body == .map([("r", "x")]))
        #expect(rig.server.statistics.malformedRequests == 8 + 6 + 1 + 1)
        #expect(rig.server.statistics.requests == 2)
    }

    /// A response buffer of 8 bytes or less cannot hold anything: no response.
    @Test func tinyResponseBuffer() throws {
        let rig = try Rig()
        let r = rig.send(raw: smpMessage(group: 0, command: 6, payload: [0xA0]), responseCapacity: 8)
        #expect(r.isEmpty)
    }
}
