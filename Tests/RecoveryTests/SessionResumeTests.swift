import DFUTarget
import FlashKit
import Recovery
import SMP
import Simulation
import Testing

@Suite struct SessionResumeTests {
    static let image = payloadBytes(12_000, seed: 21)
    static let sha = sha256(image)

    /// Sends the first `chunks` 1000-byte chunks of `image` (the first with `len` and `sha`).
    static func partialUpload(_ rig: Rig, chunks: Int, sha: [UInt8]? = Self.sha, target: Int? = nil, version: UInt8 = 0) {
        for i in 0..<chunks {
            let r = rig.upload(
                off: i * 1000, data: Array(image[(i * 1000)..<((i + 1) * 1000)]), len: i == 0 ? image.count : nil,
                image: i == 0 ? target : nil, sha: i == 0 ? sha : nil, version: version)
            #expect(r.body?["off"] == .unsigned(UInt64((i + 1) * 1000)))
        }
    }

    /// Restarting at off 0 with the same `sha` and `len` resumes: the reply asks for the offset
    /// reached, nothing is written or erased, and the rest completes byte for byte.
    @Test(arguments: [UInt8(0), 1])
    func sameSHAResumes(version: UInt8) throws {
        let rig = try Rig()
        try rig.fillWithJunk()
        let before = rig.flash.snapshot()
        Self.partialUpload(rig, chunks: 6, version: version)
        let during = rig.flash.snapshot()
        rig.flash.clearTrace()
        let r = rig.upload(off: 0, data: Array(Self.image[0..<1000]), len: Self.image.count, sha: Self.sha, version: version)
        expectHeader(r, op: .write, version: version, group: 1, command: 1)
        #expect(r.body == (version == 0 ? .map([("rc", 0), ("off", 6000)]) : .map([("off", 6000)])))
        #expect(r.reply.event == .uploadResumed(SlotAddress(image: 0, slot: 0), offset: 6000, size: Self.image.count))
        #expect(rig.mutations.isEmpty)
        #expect(rig.flash.snapshot() == during)
        // Resume again (a client retrying), then finish from 6000.
        #expect(rig.upload(off: 0, data: Array(Self.image[0..<1000]), len: Self.image.count, sha: Self.sha, version: version).body?["off"] == 6000)
        var off = 6000
        while off < Self.image.count {
            let r = rig.upload(off: off, data: Array(Self.image[off..<min(off + 1000, Self.image.count)]), version: version)
            off = try #require(r.body?["off"]?.int)
        }
        #expect(off == Self.image.count)
        // No sector below the resume point was erased again.
        for case .erase(let offset, _) in rig.mutations where offset < 0xB000 {
            #expect(offset >= 0x6000, "sector 0x\(String(offset, radix: 16)) erased again after resume")
        }
        expectUploaded(rig, Self.image, at: SlotAddress(image: 0, slot: 0), before: before)
    }

    struct Restart: Sendable, CustomTestStringConvertible {
        var name: String
        var sha: [UInt8]?
        var len: Int
        var testDescription: String { name }
    }

    static let restarts: [Restart] = [
        Restart(name: "different sha", sha: sha256([1, 2, 3]), len: 12_000),
        Restart(name: "sha one byte shorter", sha: Array(sha256(payloadBytes(12_000, seed: 21)).dropLast()), len: 12_000),
        Restart(name: "no sha", sha: nil, len: 12_000),
        Restart(name: "empty sha", sha: [], len: 12_000),
        Restart(name: "same sha, other len", sha: sha256(payloadBytes(12_000, seed: 21)), len: 12_004),
    ]

    /// Anything but the same sha and len restarts from 0: the first sector is erased and the new
    /// chunk written, and the old offset is no longer accepted.
    @Test(arguments: restarts)
    func otherStartRestarts(restart: Restart) throws {
        let rig = try Rig()
        try rig.fillWithJunk()
        let before = rig.flash.snapshot()
        Self.partialUpload(rig, chunks: 6)
        rig.flash.clearTrace()
        let other = payloadBytes(restart.len, seed: 99)
        let r = rig.upload(off: 0, data: Array(other[0..<1000]), len: restart.len, sha: restart.sha)
        #expect(r.body == .map([("rc", 0), ("off", 1000)]))
        #expect(r.reply.event == .uploadStarted(SlotAddress(image: 0, slot: 0), size: restart.len))
        // The first upload's journal (in the trailer sector, 0xB000) is scrubbed with the rest of
        // the trailer; the new one is journaled there when it has a sha.
        let journal: [FlashOperation] = restart.sha?.isEmpty == false ? [.write(offset: 0xB000, count: 48)] : []
        #expect(rig.mutations == [.erase(offset: 0xB000, count: 0x1000)] + journal + [.erase(offset: 0x4000, count: 0x1000), .write(offset: 0x4000, count: 1000)])
        #expect(rig.upload(off: 6000, data: Array(other[6000..<7000])).body == .map([("rc", 0), ("off", 1000)]))
        var off = 1000
        while off < other.count {
            off = try #require(rig.upload(off: off, data: Array(other[off..<min(off + 1500, other.count)])).body?["off"]?.int)
        }
        expectUploaded(rig, other, at: SlotAddress(image: 0, slot: 0), before: before)
    }

    /// Same sha and len but another target slot is a new upload.
    @Test func sameSHAOtherSlotRestarts() throws {
        let rig = try Rig(policy: .slotMapping)
        Self.partialUpload(rig, chunks: 3, target: 1)
        let r = rig.upload(off: 0, data: Array(Self.image[0..<1000]), len: Self.image.count, image: 2, sha: Self.sha)
        #expect(r.body == .map([("rc", 0), ("off", 1000)]))
        #expect(r.reply.event == .uploadStarted(SlotAddress(image: 0, slot: 1), size: Self.image.count))
        #expect(Array(rig.slotBytes(SlotAddress(image: 0, slot: 1))[0..<1000]) == Array(Self.image[0..<1000]))
    }

    /// A completed upload is not resumed: the same sha starts it again.
    @Test func completedUploadIsNotResumed() throws {
        let rig = try Rig()
        try rig.uploadAll(Self.image, chunkSize: 2000, sha: Self.sha)
        rig.flash.clearTrace()
        let r = rig.upload(off: 0, data: Array(Self.image[0..<1000]), len: Self.image.count, sha: Self.sha)
        #expect(r.body == .map([("rc", 0), ("off", 1000)]))
        // The completed upload erased its journal: the trailer sector is blank, only the new
        // upload's journal identity is written there.
        #expect(rig.mutations == [.write(offset: 0xB000, count: 48), .erase(offset: 0x4000, count: 0x1000), .write(offset: 0x4000, count: 1000)])
    }

    /// A reset forgets the session in RAM: non-zero offsets are answered with 0. The upload's
    /// journal in the slot is kept: the same sha and len resume from the last sector boundary
    /// reached (4096 of 6000 bytes), writing nothing, and the rest completes byte for byte.
    @Test func rebootForgetsTheSessionButTheJournalResumes() throws {
        let rig = try Rig()
        try rig.fillWithJunk()
        let before = rig.flash.snapshot()
        Self.partialUpload(rig, chunks: 6)
        let reset = rig.send(group: 0, command: 5, body: .map([]))
        #expect(reset.reply.action == .reset)
        rig.server.reboot()
        #expect(rig.server.upload.target == nil)
        let during = rig.flash.snapshot()
        for off in [6000, 1000, 4, 11_999] {
            #expect(rig.upload(off: off, data: Array(Self.image[off..<(off + 1)])).body == .map([("rc", 0), ("off", 0)]))
        }
        #expect(rig.flash.snapshot() == during)
        rig.flash.clearTrace()
        let r = rig.upload(off: 0, data: Array(Self.image[0..<1000]), len: Self.image.count, sha: Self.sha)
        #expect(r.body == .map([("rc", 0), ("off", 4096)]))
        #expect(rig.mutations.isEmpty)
        var off = 4096
        while off < Self.image.count {
            off = try #require(rig.upload(off: off, data: Array(Self.image[off..<min(off + 1000, Self.image.count)])).body?["off"]?.int)
        }
        expectUploaded(rig, Self.image, at: SlotAddress(image: 0, slot: 0), before: before)
    }
}
