import DFUTarget
import FlashKit
import Recovery
import SMP
import Testing

/// One refused upload request.
struct BadUpload: Sendable, CustomTestStringConvertible {
    var name: String
    var payload: [UInt8]
    /// The refusal reason when the request decodes; nil for an undecodable request (EINVAL, `{"rc":3}`
    /// in both versions).
    var error: UploadError?
    var policy: UploadPolicy = .primaryOnly
    var layout: SlotLayout = .single

    var testDescription: String { name }

    init(_ name: String, _ body: CBOR, _ error: UploadError? = nil, policy: UploadPolicy = .primaryOnly, layout: SlotLayout = .single) {
        self.name = name
        self.payload = body.encoded()
        self.error = error
        self.policy = policy
        self.layout = layout
    }

    init(_ name: String, raw: [UInt8]) {
        self.name = name
        self.payload = raw
    }

    /// The expected response body for SMP version `version`.
    func expected(version: UInt8) -> CBOR {
        guard let error, version == 1 else { return rcMap(3) }
        return errMap(group: 1, rc: UInt64(error.imageManagementError.rawValue))
    }
}

let d16: [UInt8] = Array(0..<16)

/// Requests refused before anything is written.
let refusedAtStart: [BadUpload] = [
    BadUpload("missing off", .map([("len", 16), ("data", .bytes(d16))])),
    BadUpload("missing data", .map([("len", 16), ("off", 0)])),
    BadUpload("missing both", .map([("len", 16), ("image", 0)])),
    BadUpload("off 0 without len", .map([("off", 0), ("data", .bytes(d16))]), .missingLength),
    BadUpload("len 0", .map([("len", 0), ("off", 0), ("data", .bytes([]))]), .emptyImage),
    BadUpload("len 0 with data", .map([("len", 0), ("off", 0), ("data", .bytes(d16))]), .emptyImage),
    BadUpload("len slot+1", .map([("len", 0x8001), ("off", 0), ("data", .bytes(d16))]), .lengthExceedsSlot),
    BadUpload("len 2^32", .map([("len", 0x1_0000_0000), ("off", 0), ("data", .bytes(d16))]), .lengthExceedsSlot),
    BadUpload("len UInt64.max", .map([("len", .unsigned(.max)), ("off", 0), ("data", .bytes(d16))]), .lengthExceedsSlot),
    BadUpload("data past len (first chunk)", .map([("len", 8), ("off", 0), ("data", .bytes(d16))]), .dataPastEnd),
    BadUpload("data one past len", .map([("len", 15), ("off", 0), ("data", .bytes(d16))]), .dataPastEnd),
    BadUpload("primary-only image 1 of 1", .map([("image", 1), ("len", 16), ("off", 0), ("data", .bytes(d16))]), .imageOutOfRange),
    BadUpload("primary-only image 2^32", .map([("image", 0x1_0000_0000), ("len", 16), ("off", 0), ("data", .bytes(d16))]), .imageOutOfRange),
    BadUpload("primary-only image UInt64.max", .map([("image", .unsigned(.max)), ("len", 16), ("off", 0), ("data", .bytes(d16))]), .imageOutOfRange),
    BadUpload("primary-only dual image 2", .map([("image", 2), ("len", 16), ("off", 0), ("data", .bytes(d16))]), .imageOutOfRange, layout: .dual),
    BadUpload("slot-mapping image 5 of 1", .map([("image", 5), ("len", 16), ("off", 0), ("data", .bytes(d16))]), .imageOutOfRange, policy: .slotMapping),
    BadUpload("slot-mapping image 3 of 1", .map([("image", 3), ("len", 16), ("off", 0), ("data", .bytes(d16))]), .imageOutOfRange, policy: .slotMapping),
    BadUpload("slot-mapping image 2 no secondary", .map([("image", 2), ("len", 16), ("off", 0), ("data", .bytes(d16))]), .imageOutOfRange, policy: .slotMapping, layout: .primaryOnly),
    BadUpload("slot-mapping dual image 5", .map([("image", 5), ("len", 16), ("off", 0), ("data", .bytes(d16))]), .imageOutOfRange, policy: .slotMapping, layout: .dual),
    BadUpload("slot-mapping image 2^32", .map([("image", 0x1_0000_0000), ("len", 16), ("off", 0), ("data", .bytes(d16))]), .imageOutOfRange, policy: .slotMapping),
    BadUpload("slot-mapping image UInt64.max", .map([("image", .unsigned(.max)), ("len", 16), ("off", 0), ("data", .bytes(d16))]), .imageOutOfRange, policy: .slotMapping),
    BadUpload("len too large for image 1 slot", .map([("image", 1), ("len", 0x4001), ("off", 0), ("data", .bytes(d16))]), .lengthExceedsSlot, layout: .dual),
    BadUpload("sha 33 bytes", .map([("len", 16), ("off", 0), ("sha", .bytes([UInt8](repeating: 1, count: 33))), ("data", .bytes(d16))]), .hashTooLong),
    BadUpload("sha 64 bytes", .map([("len", 16), ("off", 0), ("sha", .bytes([UInt8](repeating: 1, count: 64))), ("data", .bytes(d16))]), .hashTooLong),
    // Duplicate keys.
    BadUpload("off twice", .map([("len", 16), ("off", 0), ("off", 0), ("data", .bytes(d16))])),
    BadUpload("data twice", .map([("len", 16), ("off", 0), ("data", .bytes(d16)), ("data", .bytes(d16))])),
    BadUpload("len twice", .map([("len", 16), ("len", 16), ("off", 0), ("data", .bytes(d16))])),
    BadUpload("image twice", .map([("image", 0), ("image", 0), ("len", 16), ("off", 0), ("data", .bytes(d16))])),
    BadUpload("sha twice", .map([("sha", .bytes([1])), ("len", 16), ("off", 0), ("sha", .bytes([1])), ("data", .bytes(d16))])),
    BadUpload("upgrade twice", .map([("upgrade", false), ("len", 16), ("off", 0), ("upgrade", false), ("data", .bytes(d16))])),
    // Wrong types.
    BadUpload("off as text", .map([("len", 16), ("off", "0"), ("data", .bytes(d16))])),
    BadUpload("off negative", .map([("len", 16), ("off", .negative(-1)), ("data", .bytes(d16))])),
    BadUpload("off as float", .map([("len", 16), ("off", .raw([0xF9, 0x00, 0x00])), ("data", .bytes(d16))])),
    BadUpload("off null", .map([("len", 16), ("off", .null), ("data", .bytes(d16))])),
    BadUpload("data as text", .map([("len", 16), ("off", 0), ("data", "0123456789abcdef")])),
    BadUpload("data as array", .map([("len", 16), ("off", 0), ("data", .array([1, 2]))])),
    BadUpload("data indefinite bstr", .map([("len", 2), ("off", 0), ("data", .raw([0x5F, 0x41, 0x01, 0x41, 0x02, 0xFF]))])),
    BadUpload("data tagged", .map([("len", 16), ("off", 0), ("data", .raw([0xD8, 0x40] + CBOR.bytes(d16).encoded()))])),
    BadUpload("image negative", .map([("image", .negative(-1)), ("len", 16), ("off", 0), ("data", .bytes(d16))])),
    BadUpload("image as text", .map([("image", "0"), ("len", 16), ("off", 0), ("data", .bytes(d16))])),
    BadUpload("len as bool", .map([("len", true), ("off", 0), ("data", .bytes(d16))])),
    BadUpload("len negative", .map([("len", .negative(-16)), ("off", 0), ("data", .bytes(d16))])),
    BadUpload("sha as int", .map([("len", 16), ("off", 0), ("sha", 5), ("data", .bytes(d16))])),
    BadUpload("sha as text", .map([("len", 16), ("off", 0), ("sha", "abc"), ("data", .bytes(d16))])),
    BadUpload("upgrade as int", .map([("len", 16), ("off", 0), ("upgrade", 1), ("data", .bytes(d16))])),
    BadUpload("upgrade as null", .map([("len", 16), ("off", 0), ("upgrade", .null), ("data", .bytes(d16))])),
    BadUpload("integer key", .map([(.unsigned(1), 16), ("off", 0), ("data", .bytes(d16))])),
    // Hostile lengths and structure.
    BadUpload("data claims 2^64-1 bytes", .map([("len", 16), ("off", 0), ("data", .raw([0x5B] + [UInt8](repeating: 0xFF, count: 8) + Array(0..<16)))])),
    BadUpload("data claims 2^32 bytes", .map([("len", 16), ("off", 0), ("data", .raw([0x5B, 0, 0, 0, 1, 0, 0, 0, 0] + Array(0..<16)))])),
    BadUpload("data claims 17 of 16", .map([("len", 16), ("off", 0), ("data", .raw([0x51] + Array(0..<16)))])),
    BadUpload("key claims 2^64-1 bytes", raw: [0xA3, 0x7B] + [UInt8](repeating: 0xFF, count: 8) + Array("off".utf8) + [0x00]),
    BadUpload("map claims 2^64-1 pairs", raw: [0xBB] + [UInt8](repeating: 0xFF, count: 8) + CBOR.text("off").encoded() + [0x00]),
    BadUpload("map claims 2^63 pairs", raw: [0xBB, 0x80, 0, 0, 0, 0, 0, 0, 0] + CBOR.text("off").encoded() + [0x00]),
    BadUpload("unknown key with a depth bomb", raw: [0xA4] + CBOR.text("x").encoded() + [UInt8](repeating: 0x81, count: 10_000) + [0x00]
        + CBOR.text("len").encoded() + [0x10] + CBOR.text("off").encoded() + [0x00] + CBOR.text("data").encoded() + CBOR.bytes(d16).encoded()),
    BadUpload("reserved additional info", .map([("len", 16), ("off", .raw([0x1C])), ("data", .bytes(d16))])),
    BadUpload("break inside definite map", raw: [0xA3, 0xFF]),
    BadUpload("indefinite map missing value", raw: [0xBF] + CBOR.text("off").encoded() + [0xFF]),
    BadUpload("indefinite map without break", raw: [0xBF] + CBOR.text("len").encoded() + [0x10] + CBOR.text("off").encoded() + [0x00]
        + CBOR.text("data").encoded() + CBOR.bytes(d16).encoded()),
    // Not a map.
    BadUpload("empty payload", raw: []),
    BadUpload("array", .array([.map([("len", 16), ("off", 0), ("data", .bytes(d16))])])),
    BadUpload("unsigned", 0),
    BadUpload("text", "off"),
    BadUpload("bytes", .bytes(d16)),
    BadUpload("null", .null),
    BadUpload("lone break", raw: [0xFF]),
    BadUpload("tagged map", .raw([0xC0] + CBOR.map([("len", 16), ("off", 0), ("data", .bytes(d16))]).encoded())),
]

@Suite struct UploadBadInputTests {
    /// Each refusal: the exact rc (v1 `{"rc":3}`; v2 the image-group error, or `{"rc":3}` for an
    /// undecodable request), the refusal event, and not one byte of the device changed.
    @Test(arguments: refusedAtStart, [UInt8(0), 1])
    func refusedBeforeAnyWrite(bad: BadUpload, version: UInt8) throws {
        let rig = try Rig(policy: bad.policy, layout: bad.layout)
        try rig.fillWithJunk()
        let before = rig.flash.snapshot()
        let r = rig.send(version: version, group: 1, command: 1, payload: bad.payload)
        expectHeader(r, op: .write, version: version, group: 1, command: 1)
        #expect(r.body == bad.expected(version: version))
        #expect(r.reply.event == bad.error.map { .uploadRefused($0) })
        #expect(r.reply.action == .none)
        #expect(rig.mutations.isEmpty, "\(rig.mutations)")
        #expect(rig.flash.snapshot() == before)
        #expect(rig.server.statistics.errorResponses == 1)
        // Nothing was started: a non-zero offset is asked to start at 0.
        let probe = rig.upload(off: 16, data: Array(0..<16))
        #expect(probe.body == .map([("rc", 0), ("off", 0)]))
        #expect(rig.flash.snapshot() == before)
    }

    /// A refused off-0 request during an upload leaves that upload intact (UploadError: "the upload
    /// state is unchanged by a refused chunk"): the client can carry on at the offset it reached.
    @Test(arguments: refusedAtStart.filter { $0.policy == .primaryOnly && $0.layout == .single })
    func refusalDoesNotDisturbUploadInProgress(bad: BadUpload) throws {
        let rig = try Rig()
        try rig.fillWithJunk()
        let image = payloadBytes(3000, seed: 4)
        let sha = sha256(image)
        #expect(rig.upload(off: 0, data: Array(image[0..<1000]), len: 3000, sha: sha).body == .map([("rc", 0), ("off", 1000)]))
        let during = rig.flash.snapshot()
        let r = rig.send(group: 1, command: 1, payload: bad.payload)
        #expect(r.body == rcMap(3))
        #expect(rig.flash.snapshot() == during)
        #expect(rig.server.upload.expectedOffset == 1000)
        #expect(rig.server.upload.imageSize == 3000)
        #expect(rig.server.upload.target == SlotAddress(image: 0, slot: 0))
        // The session resumes with the same sha, and the rest of the upload completes.
        #expect(rig.upload(off: 0, data: Array(image[0..<1000]), len: 3000, sha: sha).body == .map([("rc", 0), ("off", 1000)]))
        #expect(rig.upload(off: 1000, data: Array(image[1000...])).body == .map([("rc", 0), ("off", 3000), ("match", true)]))
        #expect(Array(rig.slotBytes(SlotAddress(image: 0, slot: 0))[0..<3000]) == image)
    }

    /// A later chunk running past `len` is refused, nothing is written, and the upload continues.
    @Test(arguments: [UInt8(0), 1])
    func dataPastLenOnLaterChunk(version: UInt8) throws {
        let rig = try Rig()
        try rig.fillWithJunk()
        let image = payloadBytes(100)
        #expect(rig.upload(off: 0, data: Array(image[0..<40]), len: 100, version: version).body?["off"] == 40)
        let before = rig.flash.snapshot()
        let ops = rig.mutations.count
        let r = rig.upload(off: 40, data: Array(image[40...]) + [0], version: version)
        #expect(r.body == (version == 0 ? rcMap(3) : errMap(group: 1, rc: 31)))
        #expect(r.reply.event == .uploadRefused(.dataPastEnd))
        #expect(rig.mutations.count == ops)
        #expect(rig.flash.snapshot() == before)
        #expect(rig.upload(off: 40, data: Array(image[40...]), version: version).body?["off"] == 100)
        #expect(Array(rig.slotBytes(SlotAddress(image: 0, slot: 0))[0..<100]) == image)
    }

    /// Wrong offsets write nothing and are answered `{"rc":0,"off":expected}` (v1) / `{"off":expected}` (v2).
    @Test(arguments: [UInt8(0), 1], [UInt64(4), 8, 36, 44, 48, 99, 100, 0x7FFC, 0x8000, 0x1_0000_0000, .max])
    func wrongOffsetAsksForTheExpectedOne(version: UInt8, off: UInt64) throws {
        let rig = try Rig()
        try rig.fillWithJunk()
        let before = rig.flash.snapshot()
        func reply(_ expected: UInt64) -> CBOR {
            version == 0 ? .map([("rc", 0), ("off", .unsigned(expected))]) : .map([("off", .unsigned(expected))])
        }
        let body = CBOR.map([("off", .unsigned(off)), ("data", .bytes([1, 2, 3, 4]))])
        // No upload yet: only off 0 can start one.
        let r0 = rig.send(version: version, group: 1, command: 1, body: body)
        #expect(r0.body == reply(0))
        #expect(r0.reply.event == nil)
        #expect(rig.flash.snapshot() == before)
        // During an upload at 40: gaps, going back, past the slot.
        let image = payloadBytes(100)
        #expect(rig.upload(off: 0, data: Array(image[0..<40]), len: 100, version: version).body == reply(40))
        let during = rig.flash.snapshot()
        let ops = rig.mutations.count
        let r = rig.send(version: version, group: 1, command: 1, body: body)
        #expect(r.body == reply(40))
        #expect(r.reply.event == nil)
        #expect(rig.mutations.count == ops)
        #expect(rig.flash.snapshot() == during)
        expectUnchanged(before, during, except: [Addr.primary0])
        #expect(rig.upload(off: 40, data: Array(image[40...]), version: version).body == reply(100))
        // After completion, any non-zero offset gets the length back, nothing written.
        let done = rig.flash.snapshot()
        let after = rig.send(version: version, group: 1, command: 1, body: body)
        if off == 100 {
            // The expected offset, but the data runs past len.
            #expect(after.body == (version == 0 ? rcMap(3) : errMap(group: 1, rc: 31)))
            #expect(after.reply.event == .uploadRefused(.dataPastEnd))
        } else {
            #expect(after.body == reply(100))
        }
        #expect(rig.flash.snapshot() == done)
    }

    /// Every prefix of a valid upload request: shorter than a header gives no response; otherwise
    /// `{"rc":3}` and nothing written. Never a trap. Header length kept (larger than the prefix,
    /// accepted) and fitted to the prefix.
    @Test(arguments: [UInt8(0), 1], [false, true])
    func truncationAtEveryLength(version: UInt8, indefinite: Bool) throws {
        let rig = try Rig()
        try rig.fillWithJunk()
        let before = rig.flash.snapshot()
        var payload = uploadBody(off: 0, data: payloadBytes(40), len: 64, image: 0, sha: [UInt8](repeating: 9, count: 32)).encoded()
        if indefinite { payload = [0xBF] + payload.dropFirst() + [0xFF] }
        for keepLength in [true, false] {
            let full = smpMessage(version: version, group: 1, command: 1, payload: payload)
            for n in 0..<full.count {
                var prefix = Array(full[0..<n])
                if !keepLength && n >= 8 {
                    prefix[2] = UInt8((n - 8) >> 8)
                    prefix[3] = UInt8((n - 8) & 0xFF)
                }
                let r = rig.send(raw: prefix)
                if n < 8 {
                    #expect(r.isEmpty, "prefix \(n)")
                } else {
                    expectHeader(r, op: .write, version: version, group: 1, command: 1)
                    #expect(r.body == rcMap(3), "prefix \(n)")
                }
            }
        }
        #expect(rig.mutations.isEmpty)
        #expect(rig.flash.snapshot() == before)
        // The whole request works.
        let ok = rig.send(raw: smpMessage(version: version, group: 1, command: 1, payload: payload))
        #expect(ok.body?["off"] == 40)
    }
}
