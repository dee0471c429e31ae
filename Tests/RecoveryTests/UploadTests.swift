import DFUTarget
import FlashKit
import MCUbootImage
import Recovery
import SMP
import Simulation
import Testing

/// Checks a slot after a complete upload of `image`, given the device snapshot from before the
/// upload: the image byte for byte, the final write unit padded with the erased value (and
/// programmed), the rest of the last sector reached erased, sectors the upload never reached as
/// they were, the trailer sector erased, and nothing outside the slot changed.
func expectUploaded(
    _ rig: Rig, _ image: [UInt8], at address: SlotAddress, before: [UInt8],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let range = Addr.range(address)
    let slot = rig.slotBytes(address)
    let size = range.count
    let ws = rig.geometry.writeSize
    let erased = rig.geometry.erasedValue
    let length = image.count
    let aligned = (length + ws - 1) / ws * ws
    let reached = min(size, (aligned + Addr.sector - 1) / Addr.sector * Addr.sector)
    let trailer = size - Addr.sector

    if let d = firstDifference(Array(slot[0..<length]), image, base: range.lowerBound) {
        Issue.record("image bytes: \(d)", sourceLocation: sourceLocation)
    }
    #expect(slot[length..<aligned].allSatisfy { $0 == erased }, "padding", sourceLocation: sourceLocation)
    #expect((length..<aligned).allSatisfy { rig.flash.isProgrammed(range.lowerBound + $0) }, "padding programmed", sourceLocation: sourceLocation)
    #expect(!(aligned..<reached).contains { rig.flash.isProgrammed(range.lowerBound + $0) }, "rest of the last sector erased", sourceLocation: sourceLocation)
    #expect(slot[aligned..<reached].allSatisfy { $0 == erased }, sourceLocation: sourceLocation)
    if reached < trailer {
        let old = Array(before[(range.lowerBound + reached)..<(range.lowerBound + trailer)])
        if let d = firstDifference(Array(slot[reached..<trailer]), old, base: range.lowerBound + reached) {
            Issue.record("sectors the upload never reached changed: \(d)", sourceLocation: sourceLocation)
        }
    }
    if reached <= trailer {
        #expect(slot[trailer...].allSatisfy { $0 == erased }, "trailer sector erased", sourceLocation: sourceLocation)
    }
    expectUnchanged(before, rig.flash.snapshot(), except: [range], sourceLocation: sourceLocation)
}

/// Checks the trace of one upload: erases are progressive (contiguous sectors from the start of
/// the slot, in order, each just before the first write that needs it, never the whole slot up
/// front), every write lands in erased sectors, and the trailer sector is erased first, once, only
/// when `trailerNeedsErase` (storage preparation before the first write).
func expectProgressiveErase(
    _ trace: [FlashOperation], slot range: Range<Int>, length: Int, writeSize: Int, trailerNeedsErase: Bool,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let ops = trace.filter(\.isMutating)
    let aligned = (length + writeSize - 1) / writeSize * writeSize
    let reached = min(range.count, (aligned + Addr.sector - 1) / Addr.sector * Addr.sector)
    let trailerStart = range.upperBound - Addr.sector
    var frontier = range.lowerBound
    var pendingErase = false
    var trailerErased = false
    for (i, op) in ops.enumerated() {
        switch op {
        case .erase(let offset, let count):
            if trailerNeedsErase, offset == trailerStart, frontier <= trailerStart {
                #expect(i == 0 && count == Addr.sector, "trailer erase must come first: \(ops)", sourceLocation: sourceLocation)
                trailerErased = true
                continue
            }
            #expect(offset == frontier, "erase \(op) not at the frontier 0x\(String(frontier, radix: 16))", sourceLocation: sourceLocation)
            #expect(!pendingErase, "sector erased before any write needed it: \(ops)", sourceLocation: sourceLocation)
            #expect(count > 0 && count <= 2 * Addr.sector, "erase \(op) larger than a chunk needs", sourceLocation: sourceLocation)
            frontier = offset + count
            pendingErase = true
        case .write(let offset, let count):
            #expect(offset >= range.lowerBound && offset + count <= frontier, "write \(op) outside erased sectors", sourceLocation: sourceLocation)
            // A write that reaches the last erased sector shows the erase was needed.
            if offset + count > frontier - Addr.sector { pendingErase = false }
        case .read: break
        }
    }
    #expect(!pendingErase, "last sector erased but never written: \(ops)", sourceLocation: sourceLocation)
    #expect(frontier == range.lowerBound + reached, "erased up to 0x\(String(frontier, radix: 16))", sourceLocation: sourceLocation)
    #expect(trailerErased == trailerNeedsErase, "trailer erased: \(trailerErased)", sourceLocation: sourceLocation)
}

@Suite struct UploadHappyPathTests {
    static let chunkSizes = [64, 100, 127, 509, 1000, 1023, 1500, 2000]

    /// A valid MCUboot image, uploaded in chunks of various sizes over a device full of junk, ends
    /// byte for byte in the primary slot.
    @Test(arguments: Geometry.all, chunkSizes)
    func chunkedUploadLandsInPrimary(geometry: Geometry, chunkSize: Int) throws {
        let rig = try Rig(geometry: geometry)
        try rig.fillWithJunk()
        let before = rig.flash.snapshot()
        let image = TestImage(bodySize: 9001).bytes  // 9553 bytes: not a multiple of 2, 4 or 8
        let target = SlotAddress(image: 0, slot: 0)
        let responses = try rig.uploadAll(image, chunkSize: chunkSize)

        // Replies: each non-final chunk is trimmed to the write size.
        var off = 0
        for (i, r) in responses.enumerated() {
            expectHeader(r, op: .write, group: 1, command: 1)
            let sent = min(chunkSize, image.count - off)
            let isLast = off + sent == image.count
            let next = isLast ? image.count : off + sent - sent % geometry.writeSize
            #expect(r.body == .map([("rc", 0), ("off", .unsigned(UInt64(next)))]))
            let event: RecoveryEvent =
                isLast ? .uploadCompleted(target, size: image.count)
                : i == 0 ? .uploadStarted(target, size: image.count)
                : .uploadProgress(target, offset: next, size: image.count)
            #expect(r.reply.event == event)
            off = next
        }
        expectUploaded(rig, image, at: target, before: before)
        expectProgressiveErase(
            rig.flash.trace, slot: Addr.primary0, length: image.count, writeSize: geometry.writeSize, trailerNeedsErase: true)
        #expect(rig.server.upload.isComplete)

        // The image list now shows it.
        let list = rig.send(op: .read, group: 1, command: 0, body: .map([]))
        expectHeader(list, op: .read, group: 1, command: 0)
        // With MCUboot's IMAGE_STATE flags, each only when true: nothing pending, so the primary
        // is the active, confirmed image.
        #expect(list.body == .map([("images", .array([.map([
            ("slot", 0), ("version", "1.2.3"), ("hash", .bytes(TestImage(bodySize: 9001).hash)),
            ("bootable", true), ("confirmed", true), ("active", true),
        ])]))]))
    }

    /// Small images with every chunk size 1…13: with write size 1 every size makes progress; with
    /// larger write sizes a non-final chunk shorter than the write size writes nothing and is
    /// answered with the same offset (the client can never finish with it, as with MCUboot).
    @Test(arguments: Geometry.all, 1...13)
    func smallImageEveryChunkSize(geometry: Geometry, chunkSize: Int) throws {
        let rig = try Rig(geometry: geometry)
        try rig.fillWithJunk(Addr.primary0)
        let before = rig.flash.snapshot()
        let image = payloadBytes(37, seed: chunkSize)
        if chunkSize >= geometry.writeSize {
            let responses = try rig.uploadAll(image, chunkSize: chunkSize)
            #expect(responses.last?.body == .map([("rc", 0), ("off", 37)]))
            expectUploaded(rig, image, at: SlotAddress(image: 0, slot: 0), before: before)
            expectProgressiveErase(rig.flash.trace, slot: Addr.primary0, length: 37, writeSize: geometry.writeSize, trailerNeedsErase: true)
        } else {
            let r = rig.upload(off: 0, data: Array(image[0..<chunkSize]), len: 37)
            #expect(r.body == .map([("rc", 0), ("off", 0)]))
            #expect(r.reply.event == .uploadStarted(SlotAddress(image: 0, slot: 0), size: 37))
            #expect(rig.mutations.isEmpty)
            #expect(rig.flash.snapshot() == before)
            // The next chunk is again at 0 (the client resends), still nothing.
            let again = rig.upload(off: 0, data: Array(image[0..<chunkSize]), len: 37)
            #expect(again.body == .map([("rc", 0), ("off", 0)]))
            #expect(rig.flash.snapshot() == before)
        }
    }

    /// After the last byte, a repeated empty chunk at the end offset writes nothing and does not
    /// report the upload as completed a second time.
    @Test func emptyChunkAfterCompletionIsNotASecondCompletion() throws {
        let rig = try Rig(geometry: Geometry(writeSize: 4, erasedValue: 0xFF))
        let first = rig.upload(off: 0, data: [1, 2, 3, 4, 5, 6, 7, 8], len: 8)
        #expect(first.reply.event == .uploadCompleted(SlotAddress(image: 0, slot: 0), size: 8))
        let after = rig.flash.snapshot()
        let mutations = rig.mutations.count
        let again = rig.upload(off: 8, data: [])
        #expect(again.body == .map([("rc", 0), ("off", 8)]))
        #expect(again.reply.event == nil)
        #expect(rig.flash.snapshot() == after)
        #expect(rig.mutations.count == mutations)
    }

    /// An image shorter than the write size is one final chunk, padded to a whole unit.
    @Test(arguments: Geometry.all)
    func tinyImageIsPadded(geometry: Geometry) throws {
        let rig = try Rig(geometry: geometry)
        let before = rig.flash.snapshot()
        let r = rig.upload(off: 0, data: [0x5A], len: 1)
        #expect(r.body == .map([("rc", 0), ("off", 1)]))
        #expect(r.reply.event == .uploadCompleted(SlotAddress(image: 0, slot: 0), size: 1))
        expectUploaded(rig, [0x5A], at: SlotAddress(image: 0, slot: 0), before: before)
        #expect(rig.mutations == [.erase(offset: 0x4000, count: 0x1000), .write(offset: 0x4000, count: geometry.writeSize)])
    }

    /// The exact trace of a 10 000-byte upload in 2000-byte chunks (write size 4), junk trailer:
    /// the trailer sector first (storage preparation), then each sector erased just before the
    /// chunk that first reaches it.
    @Test(arguments: [10_000, 10_001, 10_003])
    func exactProgressiveTrace(length: Int) throws {
        let rig = try Rig()
        try rig.fillWithJunk(Addr.primary0)
        let image = payloadBytes(length, seed: 3)
        try rig.uploadAll(image, chunkSize: 2000)
        var expected: [FlashOperation] = [
            .erase(offset: 0xB000, count: 0x1000),
            .erase(offset: 0x4000, count: 0x1000), .write(offset: 0x4000, count: 2000), .write(offset: 0x47D0, count: 2000),
            .erase(offset: 0x5000, count: 0x1000), .write(offset: 0x4FA0, count: 2000), .write(offset: 0x5770, count: 2000),
            .erase(offset: 0x6000, count: 0x1000),
        ]
        let rem = length % 4
        if rem == 0 {
            expected.append(.write(offset: 0x5F40, count: 2000))
        } else {
            // The final chunk (2001 or 2003 bytes): its aligned part, then one padded unit.
            expected += [.write(offset: 0x5F40, count: 2000), .write(offset: 0x6710, count: 4)]
        }
        #expect(rig.mutations == expected)
    }

    // MARK: Trailer

    /// A junk trailer sector is erased before the first write; a blank one is left alone (no erase
    /// in the trace).
    @Test(arguments: Geometry.all, [true, false])
    func trailerErasedOnlyWhenNotBlank(geometry: Geometry, junkTrailer: Bool) throws {
        let rig = try Rig(geometry: geometry)
        if junkTrailer { try rig.fillWithJunk(0xB000..<0xC000) }
        let before = rig.flash.snapshot()
        let image = payloadBytes(5000, seed: 9)
        let responses = try rig.uploadAll(image, chunkSize: 1024)
        let trailerErases = rig.mutations.filter { $0 == .erase(offset: 0xB000, count: 0x1000) }
        #expect(trailerErases.count == (junkTrailer ? 1 : 0))
        if junkTrailer {
            // Before anything of the new image is written: a stale trailer never describes it.
            #expect(rig.mutations.first == .erase(offset: 0xB000, count: 0x1000))
            #expect(responses.count >= 2)
        }
        expectUploaded(rig, image, at: SlotAddress(image: 0, slot: 0), before: before)
    }

    /// One programmed byte at the very end of the trailer is enough to erase it.
    @Test func trailerWithOneStaleByteIsErased() throws {
        let rig = try Rig()
        try rig.flash.load([0x00], at: 0xBFFF)
        try rig.uploadAll(payloadBytes(100), chunkSize: 100)
        #expect(rig.mutations.first == .erase(offset: 0xB000, count: 0x1000))
        #expect(rig.flash.bytes(in: 0xB000..<0xC000).allSatisfy { $0 == 0xFF })
    }

    /// An upload that reaches the last sector has erased it itself: its bytes stay, no second erase.
    @Test(arguments: [0x7001, 0x7800, 0x8000])
    func uploadIntoTrailerSectorKeepsIt(length: Int) throws {
        let rig = try Rig()
        try rig.fillWithJunk()
        let before = rig.flash.snapshot()
        let image = payloadBytes(length, seed: 5)
        try rig.uploadAll(image, chunkSize: 1536)
        #expect(rig.mutations.filter { $0 == .erase(offset: 0xB000, count: 0x1000) }.count == 1)
        expectUploaded(rig, image, at: SlotAddress(image: 0, slot: 0), before: before)
        expectProgressiveErase(rig.flash.trace, slot: Addr.primary0, length: length, writeSize: 4, trailerNeedsErase: false)
    }

    /// An upload that ends exactly where the trailer sector starts did not erase it: a junk
    /// trailer is erased at completion.
    @Test func uploadEndingAtTrailerBoundary() throws {
        let rig = try Rig()
        try rig.fillWithJunk()
        let before = rig.flash.snapshot()
        let image = payloadBytes(0x7000, seed: 6)
        try rig.uploadAll(image, chunkSize: 2048)
        expectUploaded(rig, image, at: SlotAddress(image: 0, slot: 0), before: before)
        expectProgressiveErase(rig.flash.trace, slot: Addr.primary0, length: 0x7000, writeSize: 4, trailerNeedsErase: true)
    }

    // MARK: Policies and targets

    struct TargetCase: Sendable, CustomTestStringConvertible {
        var policy: UploadPolicy
        var layout: SlotLayout
        var image: Int?
        var target: SlotAddress
        var testDescription: String { "\(policy) \(layout) image \(image.map(String.init) ?? "absent") → \(target.image)/\(target.slot)" }
    }

    static let targets: [TargetCase] = [
        TargetCase(policy: .primaryOnly, layout: .single, image: nil, target: SlotAddress(image: 0, slot: 0)),
        TargetCase(policy: .primaryOnly, layout: .single, image: 0, target: SlotAddress(image: 0, slot: 0)),
        TargetCase(policy: .primaryOnly, layout: .primaryOnly, image: 0, target: SlotAddress(image: 0, slot: 0)),
        TargetCase(policy: .primaryOnly, layout: .dual, image: 1, target: SlotAddress(image: 1, slot: 0)),
        TargetCase(policy: .slotMapping, layout: .single, image: nil, target: SlotAddress(image: 0, slot: 0)),
        TargetCase(policy: .slotMapping, layout: .single, image: 0, target: SlotAddress(image: 0, slot: 0)),
        TargetCase(policy: .slotMapping, layout: .single, image: 1, target: SlotAddress(image: 0, slot: 0)),
        TargetCase(policy: .slotMapping, layout: .single, image: 2, target: SlotAddress(image: 0, slot: 1)),
        TargetCase(policy: .slotMapping, layout: .primaryOnly, image: 1, target: SlotAddress(image: 0, slot: 0)),
        TargetCase(policy: .slotMapping, layout: .dual, image: 2, target: SlotAddress(image: 0, slot: 1)),
        TargetCase(policy: .slotMapping, layout: .dual, image: 3, target: SlotAddress(image: 1, slot: 0)),
        TargetCase(policy: .slotMapping, layout: .dual, image: 4, target: SlotAddress(image: 1, slot: 1)),
    ]

    @Test(arguments: targets, [UInt8(0), 1])
    func uploadGoesToThePolicysSlot(c: TargetCase, version: UInt8) throws {
        let rig = try Rig(policy: c.policy, layout: c.layout)
        try rig.fillWithJunk()
        let before = rig.flash.snapshot()
        let image = TestImage(bodySize: 6000, seed: 11, version: ImageVersion(major: 2, minor: 0, revision: 7, build: 42)).bytes
        let responses = try rig.uploadAll(image, chunkSize: 777, target: c.image, version: version)
        #expect(responses.first?.reply.event == .uploadStarted(c.target, size: image.count))
        #expect(responses.last?.reply.event == .uploadCompleted(c.target, size: image.count))
        // SMP v2 omits the legacy rc.
        #expect(responses.last?.body == (version == 0
            ? .map([("rc", 0), ("off", .unsigned(UInt64(image.count)))]) : .map([("off", .unsigned(UInt64(image.count)))])))
        for r in responses { expectHeader(r, op: .write, version: version, group: 1, command: 1) }
        expectUploaded(rig, image, at: c.target, before: before)
        expectProgressiveErase(rig.flash.trace, slot: Addr.range(c.target), length: image.count, writeSize: 4, trailerNeedsErase: true)

        // Image list: only that slot holds a valid image ("image" only with two images).
        let list = rig.send(op: .read, version: version, group: 1, command: 0, body: .map([]))
        var entry: [(CBOR, CBOR)] = []
        if c.layout == .dual { entry.append(("image", .unsigned(UInt64(c.target.image)))) }
        entry += [("slot", .unsigned(UInt64(c.target.slot))), ("version", "2.0.7.42"),
                  ("hash", .bytes(TestImage(bodySize: 6000, seed: 11, version: ImageVersion(major: 2, minor: 0, revision: 7, build: 42)).hash)),
                  ("bootable", true)]
        // No swap pending: a primary is the active, confirmed one; a secondary has no flag.
        if c.target.slot == 0 { entry += [("confirmed", true), ("active", true)] }
        #expect(list.body == .map([("images", .array([.map(entry)]))]))
    }

    /// A READ upload is processed like a WRITE (MCUboot does not check the op).
    @Test func readOpUploads() throws {
        let rig = try Rig()
        let r = rig.send(op: .read, group: 1, command: 1, body: uploadBody(off: 0, data: [1, 2, 3, 4, 5, 6, 7, 8], len: 8))
        expectHeader(r, op: .read, group: 1, command: 1)
        #expect(r.body == .map([("rc", 0), ("off", 8)]))
        #expect(Array(rig.slotBytes(SlotAddress(image: 0, slot: 0))[0..<8]) == [1, 2, 3, 4, 5, 6, 7, 8])
    }

    /// Indefinite-length request maps, unknown keys, `upgrade`, a 32-byte `sha` and any key order
    /// are all accepted.
    @Test func requestShapesAccepted() throws {
        let rig = try Rig()
        let data = payloadBytes(40)
        // Indefinite map: BF "off" 0 "len" 40 "upgrade" true "data" h'..' "zzz" [1, {..}] FF
        let body: [UInt8] = [0xBF] + CBOR.text("data").encoded() + CBOR.bytes(Array(data[0..<20])).encoded()
            + CBOR.text("upgrade").encoded() + CBOR.bool(true).encoded()
            + CBOR.text("zzz").encoded() + CBOR.array([1, .map([("a", .null)])]).encoded()
            + CBOR.text("sha").encoded() + CBOR.bytes([UInt8](repeating: 7, count: 32)).encoded()
            + CBOR.text("len").encoded() + CBOR.unsigned(40).encoded()
            + CBOR.text("off").encoded() + CBOR.unsigned(0).encoded() + [0xFF]
        let r = rig.send(group: 1, command: 1, payload: body)
        #expect(r.body == .map([("rc", 0), ("off", 20)]))
        // `len` is ignored after off 0; `image`, when present, must name the session's slot.
        let r2 = rig.upload(off: 20, data: Array(data[20...]), len: 9999, image: 0)
        // The 32-byte `sha` (all 7s) is not the data's SHA-256: the image check says so.
        #expect(r2.body == .map([("rc", 0), ("off", 40), ("match", false)]))
        #expect(Array(rig.slotBytes(SlotAddress(image: 0, slot: 0))[0..<40]) == data)
    }

    /// A non-final chunk that is not a whole number of write units is trimmed: the tail is not
    /// written, and the reply asks for it again.
    @Test(arguments: [Geometry(writeSize: 4, erasedValue: 0xFF), Geometry(writeSize: 8, erasedValue: 0x00)])
    func nonFinalChunkTrimmed(geometry: Geometry) throws {
        let rig = try Rig(geometry: geometry)
        let data = payloadBytes(100, seed: 1)
        let ws = geometry.writeSize
        let r = rig.upload(off: 0, data: Array(data[0..<(2 * ws + 3)]), len: 100)
        #expect(r.body == .map([("rc", 0), ("off", .unsigned(UInt64(2 * ws)))]))
        #expect(rig.mutations == [.erase(offset: 0x4000, count: 0x1000), .write(offset: 0x4000, count: 2 * ws)])
        #expect(!rig.flash.isProgrammed(0x4000 + 2 * ws))
        // The client resends from the returned offset.
        let r2 = rig.upload(off: 2 * ws, data: Array(data[(2 * ws)...]), len: nil)
        #expect(r2.body == .map([("rc", 0), ("off", 100)]))
        #expect(Array(rig.slotBytes(SlotAddress(image: 0, slot: 0))[0..<100]) == data)
    }

    /// A second image uploaded over a first replaces it completely.
    @Test func reuploadOverwrites() throws {
        let rig = try Rig()
        let first = TestImage(bodySize: 12000, seed: 1).bytes
        let second = TestImage(bodySize: 3000, seed: 2, version: ImageVersion(major: 3, minor: 1, revision: 0)).bytes
        try rig.uploadAll(first, chunkSize: 2000)
        let before = rig.flash.snapshot()
        rig.flash.clearTrace()
        try rig.uploadAll(second, chunkSize: 1111)
        expectUploaded(rig, second, at: SlotAddress(image: 0, slot: 0), before: before)
        let list = rig.send(op: .read, group: 1, command: 0, body: .map([]))
        #expect(list.body?["images"]?.array?.first?["version"] == "3.1.0")
    }

    /// Zephyr's image check on the final chunk: with a 32-byte `sha` the slot is read back and
    /// hashed (`"match"`); a shorter `sha` is only a session tag and gets no `match`.
    @Test(arguments: [UInt8(0), 1])
    func finalChunkReportsMatch(version: UInt8) throws {
        let image = payloadBytes(5000, seed: 9)
        for (sha, expected) in [(sha256(image), CBOR.bool(true)), (sha256(image.reversed()), .bool(false))] {
            let rig = try Rig()
            #expect(rig.upload(off: 0, data: Array(image[0..<3000]), len: 5000, sha: sha, version: version).body?["off"] == 3000)
            let last = rig.upload(off: 3000, data: Array(image[3000...]), version: version)
            #expect(last.body?["off"] == 5000)
            #expect(last.body?["match"] == expected)
        }
        let rig = try Rig()
        _ = rig.upload(off: 0, data: Array(image[0..<3000]), len: 5000, sha: [1, 2, 3, 4], version: version)
        let last = rig.upload(off: 3000, data: Array(image[3000...]), version: version)
        #expect(last.body?["off"] == 5000 && last.body?["match"] == nil)
    }
}
