import DFUTarget
import Foundation
import LifeboatHost
import MCUbootImage
import MeshDFU
import Simulation
import Testing

/// A Distributor in a test: drives a Mesh DFU node through an update with access-layer payloads,
/// losing and reordering chunks as asked.
struct TestDistributor {
    var node: MeshDFUNode<BoardSlots>
    var random = SplitMix64(seed: 42)
    var loss = 0.0
    var sent = 0

    mutating func send(_ opcode: UInt16, _ payload: [UInt8] = []) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 380)
        let reply = payload.withUnsafeBytes { p in buffer.withUnsafeMutableBytes { node.handle(opcode: opcode, payload: p, reply: $0) } }
        sent += 1
        return reply.map { Array(buffer[0..<$0.count]) }
    }

    struct NoReply: Error { var opcode: UInt16 }

    /// A message that must be answered.
    mutating func ask(_ opcode: UInt16, _ payload: [UInt8] = []) throws -> [UInt8] {
        guard let reply = send(opcode, payload) else { throw NoReply(opcode: opcode) }
        return reply
    }

    static func le(_ value: UInt64, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * $0)) } }

    static func metadata(version: ImageVersion, size: Int) -> [UInt8] {
        [version.major, version.minor] + le(UInt64(version.revision), 2) + le(UInt64(version.build), 4) + le(UInt64(size), 3) + [0x01]
            + le(0x1234_5678, 4) + le(1, 2)
    }

    /// Start → BLOB transfer (blocks of 4 KiB, chunks of `chunk` bytes, shuffled, `loss` of them
    /// dropped and resent after a Block Get) → the DFU phase the node reports at the end.
    mutating func transfer(_ image: [UInt8], version: ImageVersion, blobID: UInt64 = 0x00B1_0B00, chunk: Int = 208) throws -> MeshDFUPhase {
        let meta = Self.metadata(version: version, size: image.count)
        let start = try ask(MeshDFUOpcode.start.rawValue, [3] + Self.le(2, 2) + Self.le(blobID, 8) + [0] + meta)
        guard start[0] & 7 == 0 else { return MeshDFUPhase(rawValue: start[0] >> 5)! }
        let xfer = try ask(BLOBOpcode.transferStart.rawValue, [0x40] + Self.le(blobID, 8) + Self.le(UInt64(image.count), 4) + [12] + Self.le(376, 2))
        #expect(xfer[0] & 0x0F == 0, "transfer start: \(xfer)")
        let blocks = (image.count + 4095) / 4096
        for block in (0..<blocks).shuffled(using: &random) {
            let status = try ask(BLOBOpcode.blockStart.rawValue, Self.le(UInt64(block), 2) + Self.le(UInt64(chunk), 2))
            #expect(status[0] & 0x0F == 0, "block start \(block): \(status)")
            let base = block * 4096, end = min(base + 4096, image.count)
            var pending = Array(0..<((end - base + chunk - 1) / chunk))
            while !pending.isEmpty {
                for c in pending.shuffled(using: &random) where Double.random(in: 0..<1, using: &random) >= loss {
                    let from = base + c * chunk
                    _ = send(UInt16(BLOBOpcode.chunk.rawValue), Self.le(UInt64(c), 2) + Array(image[from..<min(from + chunk, end)]))
                }
                let report = try ask(BLOBOpcode.blockGet.rawValue)
                switch report[0] >> 6 {
                case 1: pending = []  // none missing
                case 2:
                    let bitmap = report[5...]
                    pending = pending.filter { bitmap[bitmap.startIndex + $0 / 8] & (1 << UInt8($0 % 8)) != 0 }
                default: break  // all still missing: send them all again
                }
            }
        }
        let get = try ask(MeshDFUOpcode.get.rawValue)
        return MeshDFUPhase(rawValue: get[0] >> 5)!
    }
}

@Suite struct MeshDFUEndToEndTests {
    static func node(_ board: SimulatedBoard) -> MeshDFUNode<BoardSlots> {
        MeshDFUNode(target: SlotUpdateTarget(core: DFUCore(slots: board.slots), policy: board.bootConfiguration.imagePolicy))
    }

    /// The whole update on a simulated nRF52840 DK: v1 runs; the Distributor reads its firmware
    /// id, checks the metadata, transfers v2 with 10 % of the chunks lost and every block and
    /// chunk out of order; the node verifies it, the image in the secondary is byte-identical to
    /// the file (what an SMP upload leaves), Apply marks it for test, the boot stage swaps it in,
    /// the firmware id reads 2.0.0, the application confirms, the update is applied.
    @Test func lossyReorderedUpdateEndsRunningTheNewImage() throws {
        let board = try simulatedBoard(policy: .slotMapping)
        let v1 = try DeviceClientTests.signed("1.0.0", seed: 1), v2 = try DeviceClientTests.signed("2.0.0", seed: 2)
        try board.devices["internal"]!.load(v1, at: 0xC000)
        var distributor = TestDistributor(node: Self.node(board))
        distributor.loss = 0.1
        let info = try distributor.ask(MeshDFUOpcode.infoGet.rawValue, [0, 1])
        #expect(info == [1, 0, 10, 0x59, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])
        let v2Version = ImageVersion(major: 2, minor: 0, revision: 0)
        let check = try distributor.ask(MeshDFUOpcode.metadataCheck.rawValue, [0] + TestDistributor.metadata(version: v2Version, size: v2.count))
        #expect(check == [0, 0])
        let old = try distributor.ask(MeshDFUOpcode.metadataCheck.rawValue, [0] + TestDistributor.metadata(version: ImageVersion(major: 1, minor: 0, revision: 0), size: v1.count))
        #expect(old[0] & 7 == MeshDFUStatus.metadataCheckFailed.rawValue, "not newer than the running image")
        let ended = try distributor.transfer(v2, version: v2Version)
        #expect(ended == .verifyOK)
        #expect(board.devices["internal"]!.bytes(in: 0x82000..<(0x82000 + v2.count)) == v2)
        // The same file uploaded over SMP (slot mapping: image 2 is image 0's secondary) into
        // another board leaves the whole secondary slot byte for byte as the Mesh transfer did.
        let other = try simulatedBoard(policy: .slotMapping)
        try other.devices["internal"]!.load(v1, at: 0xC000)
        _ = try SMPClient(transport: LoopbackTransport(board: other, baud: nil)).upload(v2, image: 2)
        #expect(other.devices["internal"]!.bytes(in: 0x82000..<0xF8000) == board.devices["internal"]!.bytes(in: 0x82000..<0xF8000))
        let apply = try distributor.ask(MeshDFUOpcode.apply.rawValue)
        #expect(apply[0] >> 5 == MeshDFUPhase.applying.rawValue)
        let applyError = distributor.node.update.completeApply()
        #expect(applyError == nil)
        #expect(DFUCore(slots: board.slots).state(image: 0).nextBoot == .test)
        board.reset()
        let (outcome, _) = board.boot()
        #expect(outcome == .boot(version: v2Version))
        #expect(distributor.node.update.target.firmwareID(image: 0)?.version == v2Version)
        try distributor.node.update.target.confirmRunning(image: 0)
        distributor.node.update.applied()
        #expect(distributor.node.update.update == .idle)
        #expect(DFUCore(slots: board.slots).state(image: 0).flags(slot: 0).contains(.confirmed))
    }

    /// A tampered image: received whole, it fails verification with the validator's reason, and
    /// Apply is refused.
    @Test func aTamperedImageEndsInVerifyFail() throws {
        let board = try simulatedBoard(policy: .slotMapping)
        try board.devices["internal"]!.load(try DeviceClientTests.signed("1.0.0", seed: 1), at: 0xC000)
        var v2 = try DeviceClientTests.signed("2.0.0", seed: 2)
        v2[1000] ^= 0x01
        var distributor = TestDistributor(node: Self.node(board))
        let ended = try distributor.transfer(v2, version: ImageVersion(major: 2, minor: 0, revision: 0))
        #expect(ended == .verifyFail)
        #expect(distributor.node.update.target.lastRejection == .hashMismatch)
        let apply = try distributor.ask(MeshDFUOpcode.apply.rawValue)
        #expect(apply[0] & 7 == MeshDFUStatus.wrongPhase.rawValue)
        #expect(DFUCore(slots: board.slots).state(image: 0).nextBoot == .normal)
    }

    /// An identical image already verified in the secondary skips the transfer (straight to
    /// VERIFY_OK); once it is marked for test, another update is refused until the swap is done.
    @Test func anImageAlreadyThereSkipsTheTransferAndAPendingSwapRefusesAnother() throws {
        let board = try simulatedBoard(policy: .slotMapping)
        try board.devices["internal"]!.load(try DeviceClientTests.signed("1.0.0", seed: 1), at: 0xC000)
        let v2 = try DeviceClientTests.signed("2.0.0", seed: 2)
        var distributor = TestDistributor(node: Self.node(board))
        let ended = try distributor.transfer(v2, version: ImageVersion(major: 2, minor: 0, revision: 0))
        #expect(ended == .verifyOK)
        // The same image again (another Distributor session): already present.
        var again = TestDistributor(node: Self.node(board))
        let meta = TestDistributor.metadata(version: ImageVersion(major: 2, minor: 0, revision: 0), size: v2.count)
        let start = try again.ask(MeshDFUOpcode.start.rawValue, [3] + TestDistributor.le(2, 2) + TestDistributor.le(9, 8) + [0] + meta)
        #expect(start[0] >> 5 == MeshDFUPhase.verifyOK.rawValue)
        // Mark it for test, then start another update: refused while the swap is pending.
        #expect(again.sent == 1, "no BLOB transfer")
        _ = again.send(MeshDFUOpcode.apply.rawValue)
        _ = again.node.update.completeApply()
        var third = TestDistributor(node: Self.node(board))
        let v3 = TestDistributor.metadata(version: ImageVersion(major: 3, minor: 0, revision: 0), size: v2.count)
        let refused = try third.ask(MeshDFUOpcode.start.rawValue, [3] + TestDistributor.le(2, 2) + TestDistributor.le(10, 8) + [0] + v3)
        #expect(refused[0] & 7 == MeshDFUStatus.temporarilyUnavailable.rawValue)
    }
}

/// The simulated Distributor and `lifeboat sim mesh-update`, as a user runs them.
@Suite struct MeshDistributorTests {
    static func board() throws -> (SimulatedBoard, [UInt8]) {
        let board = try simulatedBoard(policy: .slotMapping)
        try board.devices["internal"]!.load(try DeviceClientTests.signed("1.0.0", seed: 1), at: 0xC000)
        return (board, try DeviceClientTests.signed("2.0.0", seed: 2))
    }

    /// Power cut early and late in the transfer: the Target comes back in TRANSFER_ERR, the
    /// identical Start resumes it, only the blocks it lacks are sent again (all of them when the
    /// cut came inside the first block; about five fewer after 120 messages), and the update
    /// still ends applied with v2 running.
    @Test(arguments: [5, 120])
    func aPowerCutDuringTheTransferIsSurvived(cutAt: Int) throws {
        let (board, v2) = try Self.board()
        var options = MeshUpdateOptions()
        options.cutAt = cutAt
        options.reorder = true
        let report = MeshDistributor(board: board, options: options).update(v2)
        #expect(report.result == "applied" && report.runningVersion == "2.0.0", "\(report.phases)")
        let reboot = try #require(report.phases.first { $0.name == "reboot" })
        #expect(reboot.detail.contains("transferError"), "\(reboot)")
        #expect(report.phases.filter { $0.name == "start" }.count == 2)
        // The blocks received before the cut are not sent again.
        let transfer = try #require(report.phases.last { $0.name == "transfer" })
        let chunks = Int(transfer.detail.split(separator: " ")[2])!
        let all = stride(from: 0, to: v2.count, by: 4096).reduce(0) { $0 + (min(4096, v2.count - $1) + 207) / 208 }
        #expect(cutAt < 40 ? chunks == all : chunks < all - 60, "\(transfer.detail)")
    }

    @Test func withoutAConfirmTheNextResetReverts() throws {
        let (board, v2) = try Self.board()
        var options = MeshUpdateOptions()
        options.confirm = false
        let report = MeshDistributor(board: board, options: options).update(v2)
        #expect(report.result == "reverted" && report.runningVersion == "1.0.0")
        #expect(report.phases.filter { $0.name == "reboot" }.map(\.status) == ["booted 2.0.0", "booted 1.0.0"])
    }

    @Test(.enabled(if: lifeboatBinary != nil))
    func theCommandAppliesALossyUpdateAndRefusesATamperedOne() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("app-v2.signed.bin")
        var v2 = try DeviceClientTests.signed("2.0.0", seed: 2)
        try Data(v2).write(to: URL(fileURLWithPath: path))
        let good = try run(lifeboatBinary!, ["sim", "mesh-update", path, "--loss", "0.1", "--reorder", "--json"])
        #expect(good.status == 0, "\(good.output)")
        let report = try DeviceCommandTests.json(good.output)
        #expect(report["result"] as? String == "applied" && report["running_version"] as? String == "2.0.0")
        let names = (report["phases"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(names == ["info", "metadata-check", "start", "transfer", "verify", "apply", "reboot", "confirm", "report"])
        v2[3000] ^= 0x40
        try Data(v2).write(to: URL(fileURLWithPath: path))
        let bad = try run(lifeboatBinary!, ["sim", "mesh-update", path, "--loss", "0.1", "--reorder"])
        #expect(bad.status == 1)
        #expect(bad.output.contains("VERIFY_FAIL") && bad.output.contains("mesh-update: verify-failed (image hash mismatch), running 1.0.0"), "\(bad.output)")
    }
}

extension MeshDistributorTests {
    /// A chunk size the Target refuses (not whole flash words) ends the transfer with the BLOB
    /// status named, instead of a Distributor waiting forever.
    @Test func aRefusedChunkSizeEndsTheTransferWithTheReason() throws {
        let (board, v2) = try Self.board()
        var options = MeshUpdateOptions()
        options.chunkSize = 201
        let report = MeshDistributor(board: board, options: options).update(v2)
        #expect(report.result == "transfer-failed" && report.runningVersion == "1.0.0")
        #expect(report.phases.last?.status == "BLOB invalidChunkSize", "\(report.phases)")
    }
}
