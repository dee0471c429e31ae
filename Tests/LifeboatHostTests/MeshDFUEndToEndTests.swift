import DFUTarget
import Foundation
import LifeboatHost
import MCUbootImage
import MeshDFU
import Simulation
import Testing

@Suite struct MeshDFUEndToEndTests {
    static let v2Version = ImageVersion(major: 2, minor: 0, revision: 0)
    static func le(_ value: UInt64, _ width: Int) -> [UInt8] { MeshDistributor.le(value, width) }

    /// A simulated DK running v1, and v2.
    static func board() throws -> (SimulatedBoard, v1: [UInt8], v2: [UInt8]) {
        let board = try simulatedBoard(policy: .slotMapping)
        let v1 = try DeviceClientTests.signed("1.0.0", seed: 1)
        try board.devices["internal"]!.load(v1, at: 0xC000)
        return (board, v1, try DeviceClientTests.signed("2.0.0", seed: 2))
    }

    struct NoReply: Error {}

    /// A message that must be answered.
    static func ask(_ distributor: MeshDistributor, _ opcode: UInt16, _ payload: [UInt8] = []) throws -> [UInt8] {
        guard let reply = try distributor.send(opcode, payload) else { throw NoReply() }
        return reply
    }

    /// The Target's answers byte for byte: Info Status lists v1's firmware id, the metadata check
    /// accepts v2 and refuses an image no newer than the running one.
    @Test func infoAndMetadataCheckAnswerExactly() throws {
        let (board, v1, v2) = try Self.board()
        let distributor = MeshDistributor(board: board)
        #expect(try Self.ask(distributor, MeshDFUOpcode.infoGet.rawValue, [0, 1]) == [1, 0, 10, 0x59, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])
        let check = try Self.ask(distributor, MeshDFUOpcode.metadataCheck.rawValue, [0] + MeshDistributor.metadata(version: Self.v2Version, size: v2.count))
        #expect(check == [0, 0])
        let old = try Self.ask(distributor, MeshDFUOpcode.metadataCheck.rawValue, [0] + MeshDistributor.metadata(version: ImageVersion(major: 1, minor: 0, revision: 0), size: v1.count))
        #expect(old[0] & 7 == MeshDFUStatus.metadataCheckFailed.rawValue, "not newer than the running image")
    }

    /// A transfer with 10 % of the chunks lost and every block and chunk out of order leaves the
    /// secondary slot byte for byte as an SMP upload of the same file does (slot mapping: image 2
    /// is image 0's secondary), trailer included; nothing is marked before the Apply.
    @Test func aLossyReorderedTransferLeavesWhatAnSMPUploadLeaves() throws {
        let (board, v1, v2) = try Self.board()
        var options = MeshUpdateOptions()
        options.loss = 0.1
        options.reorder = true
        let distributor = MeshDistributor(board: board, options: options)
        #expect(distributor.transfer(v2))
        #expect(board.devices["internal"]!.bytes(in: 0x82000..<(0x82000 + v2.count)) == v2)
        #expect(DFUCore(slots: board.slots).state(image: 0).nextBoot == .normal)
        let other = try simulatedBoard(policy: .slotMapping)
        try other.devices["internal"]!.load(v1, at: 0xC000)
        _ = try SMPClient(transport: LoopbackTransport(board: other, baud: nil)).upload(v2, image: 2)
        #expect(other.devices["internal"]!.bytes(in: 0x82000..<0xF8000) == board.devices["internal"]!.bytes(in: 0x82000..<0xF8000))
    }

    /// The Apply marks the secondary for a test boot; the boot stage swaps v2 in; the whole
    /// update (lossy, reordered) ends with v2 running, confirmed, and the update applied.
    @Test func applyMarksATestBootAndTheUpdateEndsConfirmed() throws {
        let (board, _, v2) = try Self.board()
        #expect(MeshDistributor(board: board).transferAndApply(v2))
        #expect(DFUCore(slots: board.slots).state(image: 0).nextBoot == .test)
        board.reset()
        #expect(board.boot().0 == .boot(version: Self.v2Version))

        let (fresh, _, image) = try Self.board()
        var options = MeshUpdateOptions()
        options.loss = 0.1
        options.reorder = true
        let distributor = MeshDistributor(board: fresh, options: options)
        let report = distributor.update(image)
        #expect(report.result == "applied" && report.runningVersion == "2.0.0")
        #expect(distributor.persisted == .idle, "APPLYING ended once the new image reported back")
        let state = DFUCore(slots: fresh.slots).state(image: 0)
        #expect(state.flags(slot: 0).contains(.confirmed) && state.nextBoot == .normal)
        #expect(fresh.devices["internal"]!.bytes(in: 0xC000..<(0xC000 + image.count)) == image)
    }

    /// A tampered image: received whole, it fails verification with the validator's reason, and
    /// Apply is refused; nothing is marked.
    @Test func aTamperedImageEndsInVerifyFail() throws {
        let (board, _, good) = try Self.board()
        var v2 = good
        v2[1000] ^= 0x01
        let distributor = MeshDistributor(board: board)
        let report = distributor.update(v2)
        #expect(report.result == "verify-failed" && report.reason == "image hash mismatch" && report.runningVersion == "1.0.0")
        let apply = try Self.ask(distributor, MeshDFUOpcode.apply.rawValue)
        #expect(apply[0] & 7 == MeshDFUStatus.wrongPhase.rawValue && apply[0] >> 5 == MeshDFUPhase.verifyFail.rawValue)
        #expect(DFUCore(slots: board.slots).state(image: 0).nextBoot == .normal)
    }

    /// An identical image already verified in the secondary skips the transfer (straight to
    /// VERIFY_OK); once it is marked for test, another update is refused until the swap is done.
    @Test func anImageAlreadyThereSkipsTheTransferAndAPendingSwapRefusesAnother() throws {
        let (board, _, v2) = try Self.board()
        #expect(MeshDistributor(board: board).transfer(v2))
        // The same image again (another Distributor session): already present, then applied.
        let again = MeshDistributor(board: board)
        #expect(again.transferAndApply(v2))
        #expect(again.messages == 4, "info, metadata check, Start, Apply: no BLOB transfer")
        #expect(DFUCore(slots: board.slots).state(image: 0).nextBoot == .test)
        let third = MeshDistributor(board: board)
        let v3 = MeshDistributor.metadata(version: ImageVersion(major: 3, minor: 0, revision: 0), size: v2.count)
        let refused = try Self.ask(third, MeshDFUOpcode.start.rawValue, [3] + Self.le(2, 2) + Self.le(10, 8) + [0] + v3)
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
