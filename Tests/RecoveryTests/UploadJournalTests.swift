import DFUTarget
import FlashKit
import MCUbootImage
import Recovery
import SMP
import Simulation
import Testing

/// The upload journal: an upload with a `sha`, cut by a reset (RAM forgotten, flash kept),
/// resumes from the last sector boundary it reached when the same request comes again.
@Suite struct UploadJournalTests {
    static let image = payloadBytes(13_000, seed: 31)
    static let sha = sha256(image)
    static let primary = SlotAddress(image: 0, slot: 0)

    /// Sends chunks of 1000 bytes from 0 up to `upTo` (the first with `len` and `sha`).
    static func send(_ rig: Rig, upTo: Int, sha: [UInt8]? = Self.sha) {
        var off = 0
        while off < upTo {
            let r = rig.upload(off: off, data: Array(image[off..<min(off + 1000, image.count)]),
                               len: off == 0 ? image.count : nil, sha: off == 0 ? sha : nil)
            off = r.body?["off"]?.int ?? upTo
        }
    }

    /// What a reset does to the server: a new one over the same flash.
    static func reboot(_ rig: Rig) {
        rig.server = RecoveryServer(slots: rig.slots, configuration: RecoveryConfiguration(policy: .primaryOnly))
    }

    static func finish(_ rig: Rig, from start: Int) throws -> Int {
        var off = start
        var requests = 0
        while off < image.count && requests < 100 {
            let r = rig.upload(off: off, data: Array(image[off..<min(off + 1000, image.count)]))
            off = try #require(r.body?["off"]?.int)
            requests += 1
        }
        return off
    }

    @Test(arguments: Geometry.all)
    func resetMidUploadResumesFromTheLastSectorBoundary(geometry: Geometry) throws {
        let rig = try Rig(geometry: geometry)
        try rig.fillWithJunk()
        let before = rig.flash.snapshot()
        Self.send(rig, upTo: 9000)  // two whole sectors written, the third begun
        // MCUboot reading the slot mid-upload sees no trailer: the magic stays erased.
        let area = try #require(rig.slots.area(image: 0, slot: 0))
        #expect(try ImageTrailer(reading: area, layout: TrailerLayout(slot: area)).magic == .unset)
        Self.reboot(rig)
        rig.flash.clearTrace()
        let r = rig.upload(off: 0, data: Array(Self.image[0..<1000]), len: Self.image.count, sha: Self.sha)
        #expect(r.body?["off"] == .unsigned(0x2000))
        #expect(r.reply.event == .uploadResumed(Self.primary, offset: 0x2000, size: Self.image.count))
        #expect(rig.mutations.isEmpty, "a resume writes nothing")
        #expect(try Self.finish(rig, from: 0x2000) == Self.image.count)
        // The half-written third sector was erased again before it was rewritten; the first two
        // were not touched.
        let erases = rig.mutations.compactMap { if case .erase(let offset, _) = $0 { offset } else { nil } }
        #expect(erases.contains(Addr.primary0.lowerBound + 0x2000))
        #expect(!erases.contains { $0 < Addr.primary0.lowerBound + 0x2000 && $0 >= Addr.primary0.lowerBound })
        // Byte for byte, and the journal is gone: the trailer sector is erased as before.
        expectUploaded(rig, Self.image, at: Self.primary, before: before)
    }

    @Test func anotherUploadAfterTheResetStartsAtZero() throws {
        let rig = try Rig()
        Self.send(rig, upTo: 9000)
        Self.reboot(rig)
        let other = payloadBytes(13_000, seed: 77)
        let r = rig.upload(off: 0, data: Array(other[0..<1000]), len: other.count, sha: sha256(other))
        #expect(r.body?["off"] == .unsigned(1000))
        #expect(r.reply.event == .uploadStarted(Self.primary, size: other.count))
        // The same image with another length is another upload too.
        Self.reboot(rig)
        #expect(rig.upload(off: 0, data: Array(Self.image[0..<1000]), len: 12_000, sha: Self.sha).body?["off"] == .unsigned(1000))
    }

    @Test func withoutAShaNothingIsJournaled() throws {
        let rig = try Rig()
        let trailerSector = (Addr.primary0.upperBound - Addr.sector)..<Addr.primary0.upperBound
        Self.send(rig, upTo: 9000, sha: nil)
        #expect(rig.flash.bytes(in: trailerSector).allSatisfy { $0 == 0xFF }, "no journal without a sha")
        Self.reboot(rig)
        let r = rig.upload(off: 0, data: Array(Self.image[0..<1000]), len: Self.image.count)
        #expect(r.body?["off"] == .unsigned(1000), "starts again at 0")
    }

    @Test func aCompletedUploadLeavesNoJournal() throws {
        let rig = try Rig()
        Self.send(rig, upTo: Self.image.count)
        Self.reboot(rig)
        // The same file again is a new upload (the journal was erased with the last chunk).
        let r = rig.upload(off: 0, data: Array(Self.image[0..<1000]), len: Self.image.count, sha: Self.sha)
        #expect(r.body?["off"] == .unsigned(1000))
    }

    @Test func aDamagedJournalIsNotBelieved() throws {
        let rig = try Rig()
        Self.send(rig, upTo: 9000)
        let area = try #require(rig.slots.area(image: 0, slot: 0))
        let journal = try #require(UploadJournal(slot: area, imageSize: Self.image.count))
        // The second record claims an offset below the first: not a journal this code writes.
        let second = Addr.primary0.lowerBound + journal.offset + journal.identitySize + journal.recordSize
        #expect(rig.flash.bytes(in: second..<(second + 4)) == [0x00, 0x20, 0x00, 0x00])
        try rig.flash.load([0x00, 0x10, 0x00, 0x00], at: second)
        Self.reboot(rig)
        let r = rig.upload(off: 0, data: Array(Self.image[0..<1000]), len: Self.image.count, sha: Self.sha)
        #expect(r.body?["off"] == .unsigned(1000), "starts again at 0")
        #expect(try Self.finish(rig, from: 1000) == Self.image.count)
    }

    @Test func anImageThatReachesTheTrailerSectorHasNoJournal() throws {
        let area = try #require(try Rig().slots.area(image: 0, slot: 0))
        // 0x7100 bytes reach into the last sector (the trailer's): no room that is not the image's.
        #expect(UploadJournal(slot: area, imageSize: 0x7100) == nil)
        let journal = try #require(UploadJournal(slot: area, imageSize: 0x7000))
        #expect(journal.offset == 0x7000 && journal.maxRecords == 7)
        #expect(journal.offset + journal.identitySize + journal.maxRecords * journal.recordSize <= TrailerLayout(slot: area).swapSizeOffset)
    }
}
