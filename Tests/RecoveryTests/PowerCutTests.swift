import DFUTarget
import FlashKit
import Recovery
import SMP
import Simulation
import Testing

/// Power cuts during an upload: a cut at every mutating flash operation of a clean run.
@Suite struct PowerCutTests {
    static let image = payloadBytes(9_003, seed: 31)
    static let chunkSize = 1000

    /// A rig whose device is full of junk (so torn erases and the trailer erase are visible).
    static func makeRig(_ geometry: Geometry) throws -> Rig {
        let rig = try Rig(geometry: geometry)
        try rig.fillWithJunk()
        return rig
    }

    /// The mutating operations of a clean upload (identical for every geometry tested: chunk sizes
    /// are multiples of every write size).
    static func cleanRun(_ geometry: Geometry) throws -> [FlashOperation] {
        let rig = try makeRig(geometry)
        try rig.uploadAll(image, chunkSize: chunkSize)
        return rig.mutations
    }

    @Test func cleanRunShape() throws {
        let cleanRun = try Self.cleanRun(.standard)
        // The trailer sector first, then 3 sectors progressively, 9 chunks of 1000 and a final
        // 3-byte one (one padded unit).
        #expect(cleanRun.filter { if case .erase = $0 { true } else { false } }.count == 4)
        #expect(cleanRun.count == 4 + 10)
        #expect(cleanRun.first == .erase(offset: 0xB000, count: 0x1000))
    }

    struct Setup: Sendable, CustomTestStringConvertible {
        var geometry: Geometry
        var version: UInt8
        var testDescription: String { "\(geometry.testDescription), SMP v\(version + 1)" }
    }

    static let setups = [Setup(geometry: .standard, version: 0), Setup(geometry: Geometry(writeSize: 8, erasedValue: 0x00), version: 1)]

    @Test(arguments: 0..<14, setups)
    func cutAtEveryOperation(index: Int, setup: Setup) throws {
        let (geometry, version) = (setup.geometry, setup.version)
        let cleanRun = try Self.cleanRun(geometry)
        #expect(cleanRun.count == 14)
        let rig = try Self.makeRig(geometry)
        let before = rig.flash.snapshot()
        rig.flash.schedulePowerCut(afterOperations: index)

        var off = 0
        var failure: Response?
        while off < Self.image.count {
            let end = min(off + Self.chunkSize, Self.image.count)
            let r = rig.upload(off: off, data: Array(Self.image[off..<end]), len: off == 0 ? Self.image.count : nil, version: version)
            guard let next = r.body?["off"]?.int else {
                failure = r
                break
            }
            off = next
        }
        let r = try #require(failure, "the upload survived a power cut at operation \(index)")
        let cut = try #require(rig.flash.lastCut)
        #expect(cut == cleanRun[index])
        #expect(!rig.flash.isPowered)
        expectHeader(r, op: .write, version: version, group: 1, command: 1)
        let isErase = if case .erase = cut { true } else { false }
        if version == 0 {
            #expect(r.body == rcMap(3))
        } else {
            #expect(r.body == errMap(group: 1, rc: isErase ? 13 : 12))
        }
        #expect(r.reply.event == .uploadRefused(isErase ? .eraseFailed(.powerCut) : .writeFailed(.powerCut)))
        // The session is abandoned: the next chunk is asked to start over.
        #expect(rig.server.upload.target == nil)
        let retryOffset = off == 0 ? 1000 : off
        let retry = rig.upload(off: retryOffset, data: Array(Self.image[retryOffset..<min(retryOffset + 8, Self.image.count)]), version: version)
        #expect(retry.body == (version == 0 ? .map([("rc", 0), ("off", 0)]) : .map([("off", 0)])))
        expectUnchanged(before, rig.flash.snapshot(), except: [Addr.primary0])

        // Power back: a fresh upload completes byte for byte.
        rig.flash.restorePower()
        try rig.uploadAll(Self.image, chunkSize: 1500, version: version)
        expectUploaded(rig, Self.image, at: SlotAddress(image: 0, slot: 0), before: before)
    }

    /// Power off between operations: the next chunk fails with the erase (first chunk) and the
    /// session is gone.
    @Test func powerOffBeforeFirstChunk() throws {
        let rig = try Rig()
        let before = rig.flash.snapshot()
        rig.flash.cutPower()
        let r = rig.upload(off: 0, data: Array(Self.image[0..<1000]), len: Self.image.count, version: 1)
        #expect(r.body == errMap(group: 1, rc: 13))
        #expect(rig.server.upload.target == nil)
        #expect(rig.flash.snapshot() == before)
        // The image list reads nothing but still answers.
        let list = rig.send(op: .read, group: 1, command: 0, body: .map([]))
        #expect(list.body == .map([("images", .array([]))]))
    }
}
