import DFUTarget
import MCUbootImage
import FlashKit
import MeshDFU
import Testing

/// A DFU target that records what the server asks of it and answers as configured.
struct RecordingTarget: FirmwareUpdateTarget {
    var imageCount = 1
    var running = ImageVersion(major: 1, minor: 0, revision: 0, build: 7)
    var checkRefusal: DFUError?
    var effect = MeshDFUEffect.none
    var startRefusal: DFUError?
    var startResult = MeshTransferStart.transfer
    var verifyResult: ImageRejection?
    var applyRefusal: DFUError?
    var calls: [String] = []

    func firmwareID(image: Int) -> MeshFirmwareID? {
        image < imageCount ? MeshFirmwareID(companyID: 0x0059, version: running) : nil
    }

    mutating func check(image: Int, metadata: UnsafeRawBufferPointer) throws(DFUError) -> MeshDFUEffect {
        calls.append("check \(image) \(metadata.count)")
        if let checkRefusal { throw checkRefusal }
        return effect
    }

    mutating func start(image: Int, metadata: UnsafeRawBufferPointer) throws(DFUError) -> MeshTransferStart {
        calls.append("start \(image)")
        if let startRefusal { throw startRefusal }
        return startResult
    }

    mutating func verify(image: Int) -> ImageRejection? {
        calls.append("verify \(image)")
        return verifyResult
    }

    mutating func apply(image: Int) throws(DFUError) {
        calls.append("apply \(image)")
        if let applyRefusal { throw applyRefusal }
    }

    mutating func cancel(image: Int) { calls.append("cancel \(image)") }
}

/// Sends one message and returns the reply's opcode and bytes (nil: no reply).
func send(_ server: inout FirmwareUpdateServer<RecordingTarget>, _ opcode: MeshDFUOpcode, _ payload: [UInt8] = [], capacity: Int = 380) -> (MeshDFUOpcode, [UInt8])? {
    var buffer = [UInt8](repeating: 0, count: capacity)
    let reply = payload.withUnsafeBytes { p in
        buffer.withUnsafeMutableBytes { server.handle(opcode: opcode.rawValue, payload: p, reply: $0) }
    }
    return reply.map { ($0.opcode, Array(buffer[0..<$0.count])) }
}

/// A Start: ttl 5, timeout base 0x0102, BLOB id 0x1122334455667788, image `index`, metadata.
func startPayload(index: UInt8 = 0, blob: UInt64 = 0x1122_3344_5566_7788, metadata: [UInt8] = metadataV2) -> [UInt8] {
    var bytes: [UInt8] = [5, 0x02, 0x01]
    for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: blob >> UInt64(8 * i))) }
    return bytes + [index] + metadata
}

/// Metadata for version 2.0.0+9, 0x012345 bytes, application core, composition hash, 3 elements.
let metadataV2: [UInt8] = [2, 0, 0, 0, 9, 0, 0, 0, 0x45, 0x23, 0x01, 0x01, 0xEF, 0xBE, 0xAD, 0xDE, 3, 0]

/// Status byte: status in bits 0–2, phase in bits 5–7.
func statusByte(_ status: MeshDFUStatus, _ phase: MeshDFUPhase) -> UInt8 { status.rawValue | phase.rawValue << 5 }

@Suite struct FirmwareUpdateServerTests {
    @Test func metadataDecodesEveryFieldAndRoundTrips() throws {
        let metadata = try #require(metadataV2.withUnsafeBytes { MeshDFUMetadata(decoding: $0) })
        #expect(metadata.version == ImageVersion(major: 2, minor: 0, revision: 0, build: 9))
        #expect(metadata.size == 0x012345 && metadata.coreType == .application)
        #expect(metadata.compositionHash == 0xDEAD_BEEF && metadata.elements == 3 && metadata.userDataCount == 0)
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { raw in
            var writer = PayloadWriter(raw)
            metadata.encode(into: &writer)
            return writer.count
        }
        #expect(Array(buffer[0..<count]) == metadataV2)
        // A network-core image has no composition fields; user data after the fields is counted.
        let network: [UInt8] = [1, 2, 3, 0, 4, 0, 0, 0, 0x10, 0, 0, 0x02, 0xAA, 0xBB]
        let n = try #require(network.withUnsafeBytes { MeshDFUMetadata(decoding: $0) })
        #expect(n.coreType == .network && n.compositionHash == nil && n.userDataCount == 2 && n.size == 16)
        // Too short for its fields: nil, for every cut.
        for cut in 0..<metadataV2.count {
            #expect(Array(metadataV2[0..<cut]).withUnsafeBytes { MeshDFUMetadata(decoding: $0) } == nil, "cut at \(cut)")
        }
    }

    @Test func fletcher16MatchesRFC1146() {
        #expect(Array("abcde".utf8).withUnsafeBytes { fletcher16($0) } == 0xC8F0)
        #expect(Array("abcdef".utf8).withUnsafeBytes { fletcher16($0) } == 0x2057)
        #expect([UInt8]().withUnsafeBytes { fletcher16($0) } == 0)
    }

    /// Info Status: count, first index, then per image the 10-byte firmware id (company id, the
    /// running header's version) and an empty URI; silent while applying.
    @Test func infoStatusListsTheRunningFirmwareIDs() throws {
        var server = FirmwareUpdateServer(target: RecordingTarget(imageCount: 2))
        let (opcode, bytes) = try #require(send(&server, .infoGet, [0, 8]))
        #expect(opcode == .infoStatus)
        let id: [UInt8] = [10, 0x59, 0x00, 1, 0, 0, 0, 7, 0, 0, 0, 0]
        #expect(bytes == [2, 0] + id + id)
        #expect(try #require(send(&server, .infoGet, [1, 1])).1 == [2, 1] + id)
        #expect(try #require(send(&server, .infoGet, [0, 0])).1 == [2, 0])
        // The SDU holds one entry only: the list stops there.
        #expect(try #require(send(&server, .infoGet, [0, 8], capacity: 2 + 12 + 5)).1 == [2, 0] + id)
        #expect(send(&server, .infoGet, [0]) == nil, "short Info Get")
        let decoded = Array(id[1..<11]).withUnsafeBytes { MeshFirmwareID(decoding: $0) }
        #expect(decoded == MeshFirmwareID(companyID: 0x59, version: ImageVersion(major: 1, minor: 0, revision: 0, build: 7)))
    }

    @Test func metadataCheckAnswersStatusEffectAndIndex() throws {
        var target = RecordingTarget()
        target.effect = .unprovision
        var server = FirmwareUpdateServer(target: target)
        #expect(try #require(send(&server, .metadataCheck, [0] + metadataV2)).1 == [0 | 3 << 3, 0])
        #expect(try #require(send(&server, .metadataCheck, [4] + metadataV2)).1 == [MeshDFUStatus.wrongFirmwareIndex.rawValue, 4])
        server.target.checkRefusal = .currentVersionIsNewer
        #expect(try #require(send(&server, .metadataCheck, [0] + metadataV2)).1 == [MeshDFUStatus.metadataCheckFailed.rawValue, 0])
        #expect(server.update.phase == .idle, "a metadata check starts nothing")
        #expect(server.target.calls == ["check 0 18", "check 0 18"])
    }

    /// The whole happy path: Start → TRANSFER_ACTIVE (status with the parameters), the BLOB
    /// ends → verified → VERIFY_OK, Apply → APPLYING, the target applies only after the status,
    /// the new image reports back → IDLE.
    @Test func startTransferVerifyApplyApplied() throws {
        var server = FirmwareUpdateServer(target: RecordingTarget())
        #expect(try #require(send(&server, .get)).1 == [statusByte(.success, .idle)])
        let started = try #require(send(&server, .start, startPayload()))
        #expect(started.0 == .status)
        #expect(started.1 == [statusByte(.success, .transferActive), 5, 0, 0x02, 0x01, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0])
        #expect(server.target.calls == ["check 0 18", "start 0"])
        server.transferEnded(success: true)
        #expect(server.update.phase == .verifyOK)
        let applied = try #require(send(&server, .apply))
        #expect(applied.1.first == statusByte(.success, .applying))
        #expect(server.applyPending && !server.target.calls.contains("apply 0"), "apply runs after the status is out")
        #expect(server.completeApply() == nil)
        #expect(server.target.calls.last == "apply 0")
        #expect(try #require(send(&server, .apply)).1.first == statusByte(.success, .applying), "Apply is idempotent")
        #expect(server.completeApply() == nil && server.target.calls.filter { $0 == "apply 0" }.count == 1)
        server.applied()
        #expect(server.update == .idle)
    }

    @Test func startIsIdempotentAndABusyServerRefusesAnotherUpdate() throws {
        var server = FirmwareUpdateServer(target: RecordingTarget())
        _ = send(&server, .start, startPayload())
        #expect(try #require(send(&server, .start, startPayload())).1.first == statusByte(.success, .transferActive))
        #expect(try #require(send(&server, .start, startPayload(metadata: []))).1.first == statusByte(.success, .transferActive), "no metadata: the same update")
        #expect(try #require(send(&server, .start, startPayload(blob: 1))).1.first == statusByte(.wrongPhase, .transferActive))
        var other = metadataV2
        other[0] = 3
        #expect(try #require(send(&server, .start, startPayload(metadata: other))).1.first == statusByte(.wrongPhase, .transferActive))
        #expect(server.target.calls.filter { $0.hasPrefix("start") }.count == 1)
        #expect(send(&server, .start, Array(startPayload()[0..<11])) == nil, "a Start shorter than 12 bytes")
    }

    /// Each refusal of a Start, with the status the Distributor reads; the phase stays IDLE.
    @Test(arguments: [
        (nil, DFUError?.none, 1, MeshDFUStatus.wrongFirmwareIndex),
        (DFUError.currentVersionIsNewer, nil, 0, .metadataCheckFailed),
        (nil, DFUError.lengthExceedsSlot, 0, .insufficientResources),
        (nil, DFUError.alreadyPending, 0, .temporarilyUnavailable),
        (nil, DFUError.eraseFailed(.outOfBounds), 0, .internalError),
        (nil, DFUError.invalidImageHeader, 0, .internalError),
    ] as [(DFUError?, DFUError?, UInt8, MeshDFUStatus)])
    func refusedStartsSayWhy(check: DFUError?, start: DFUError?, index: UInt8, expected: MeshDFUStatus) throws {
        var target = RecordingTarget()
        target.checkRefusal = check
        target.startRefusal = start
        var server = FirmwareUpdateServer(target: target)
        #expect(try #require(send(&server, .start, startPayload(index: index))).1 == [statusByte(expected, .idle)])
        #expect(server.update == .idle)
    }

    @Test func anImageAlreadyPresentSkipsTheTransfer() throws {
        var target = RecordingTarget()
        target.startResult = .alreadyPresent
        var server = FirmwareUpdateServer(target: target)
        #expect(try #require(send(&server, .start, startPayload())).1.first == statusByte(.success, .verifyOK))
        #expect(server.target.calls == ["check 0 18", "start 0", "verify 0"])
    }

    /// A tampered image: verification fails → VERIFY_FAIL, Apply is refused, a new Start may
    /// follow.
    @Test func aRejectedImageCannotBeApplied() throws {
        var target = RecordingTarget()
        target.verifyResult = .hashMismatch
        var server = FirmwareUpdateServer(target: target)
        _ = send(&server, .start, startPayload())
        server.transferEnded(success: true)
        #expect(server.update.phase == .verifyFail)
        #expect(try #require(send(&server, .apply)).1.first == statusByte(.wrongPhase, .verifyFail))
        #expect(!server.applyPending)
        server.target.verifyResult = nil
        #expect(try #require(send(&server, .start, startPayload(blob: 2))).1.first == statusByte(.success, .transferActive))
    }

    @Test func applyBeforeVerificationIsTheWrongPhase() throws {
        var server = FirmwareUpdateServer(target: RecordingTarget())
        #expect(try #require(send(&server, .apply)).1 == [statusByte(.wrongPhase, .idle)])
        _ = send(&server, .start, startPayload())
        #expect(try #require(send(&server, .apply)).1.first == statusByte(.wrongPhase, .transferActive))
    }

    @Test func aFailedApplyReturnsToIdle() throws {
        var target = RecordingTarget()
        target.applyRefusal = .trailerWriteFailed(.outOfBounds)
        var server = FirmwareUpdateServer(target: target)
        _ = send(&server, .start, startPayload())
        server.transferEnded(success: true)
        _ = send(&server, .apply)
        #expect(server.completeApply() == DFUError.trailerWriteFailed(.outOfBounds))
        #expect(server.update == .idle)
    }

    /// Cancel in every phase: SUCCESS, IDLE; the target is told when a transfer was under way.
    @Test(arguments: [MeshDFUPhase.idle, .transferActive, .transferError, .verifyOK, .verifyFail, .applying])
    func cancelInEachPhase(phase: MeshDFUPhase) throws {
        var target = RecordingTarget()
        if phase == .verifyFail { target.verifyResult = .hashMismatch }
        var server = FirmwareUpdateServer(target: target)
        if phase != .idle { _ = send(&server, .start, startPayload()) }
        if phase == .transferError { server.transferSuspended() }
        if [.verifyOK, .verifyFail, .applying].contains(phase) { server.transferEnded(success: true) }
        if phase == .applying { _ = send(&server, .apply) }
        #expect(server.update.phase == phase)
        #expect(try #require(send(&server, .cancel)).1 == [statusByte(.success, .idle)])
        #expect(server.update == .idle && !server.applyPending)
        #expect(server.target.calls.contains("cancel 0") == ![.idle, .applying].contains(phase))
    }

    /// A suspended or failed transfer resumes on an identical Start (no second storage
    /// preparation) and restarts on a different one.
    @Test func anInterruptedTransferResumesOnAnIdenticalStart() throws {
        var server = FirmwareUpdateServer(target: RecordingTarget())
        _ = send(&server, .start, startPayload())
        server.transferSuspended()
        #expect(try #require(send(&server, .get)).1.first == statusByte(.success, .transferError))
        #expect(try #require(send(&server, .start, startPayload())).1.first == statusByte(.success, .transferActive))
        #expect(server.target.calls.filter { $0.hasPrefix("start") }.count == 1)
        server.transferEnded(success: false)
        #expect(server.update.phase == .transferError)
        #expect(try #require(send(&server, .start, startPayload(blob: 9))).1.first == statusByte(.success, .transferActive))
        #expect(server.target.calls.filter { $0.hasPrefix("start") }.count == 2)
    }

    /// A reboot in every phase, through the persisted record: APPLYING survives (and Info Get
    /// stays silent until the new image reports back), TRANSFER_ACTIVE becomes TRANSFER_ERR and
    /// resumes, VERIFY_OK becomes VERIFY_FAIL.
    @Test(arguments: [
        (MeshDFUPhase.idle, MeshDFUPhase.idle), (.transferActive, .transferError), (.transferError, .transferError),
        (.verifyOK, .verifyFail), (.verifyFail, .verifyFail), (.applying, .applying),
    ])
    func rebootInEachPhase(before: MeshDFUPhase, after: MeshDFUPhase) throws {
        var target = RecordingTarget()
        if before == .verifyFail { target.verifyResult = .hashMismatch }
        var server = FirmwareUpdateServer(target: target)
        if before != .idle { _ = send(&server, .start, startPayload()) }
        if before == .transferError { server.transferSuspended() }
        if [.verifyOK, .verifyFail, .applying].contains(before) { server.transferEnded(success: true) }
        if before == .applying { _ = send(&server, .apply) }
        #expect(server.update.phase == before)
        var record = [UInt8](repeating: 0, count: MeshUpdateState.recordSize)
        let written = record.withUnsafeMutableBytes { raw in
            var writer = PayloadWriter(raw)
            server.update.encodeRecord(into: &writer)
            return writer.count
        }
        #expect(written == MeshUpdateState.recordSize)
        let restored = try #require(record.withUnsafeBytes { MeshUpdateState(record: $0) })
        var rebooted = FirmwareUpdateServer(target: RecordingTarget(), restoring: restored)
        #expect(rebooted.update.phase == after)
        if after == .applying {
            #expect(send(&rebooted, .infoGet, [0, 1]) == nil)
            rebooted.applied()
            #expect(try #require(send(&rebooted, .infoGet, [0, 1])).0 == .infoStatus)
        }
        if after == .transferError {
            #expect(try #require(send(&rebooted, .start, startPayload())).1.first == statusByte(.success, .transferActive))
            #expect(rebooted.target.calls.isEmpty, "resumed, not prepared again")
        }
    }

    @Test func tornRecordsAndForeignOpcodesAreIgnored() {
        #expect([UInt8](repeating: 0, count: 15).withUnsafeBytes { MeshUpdateState(record: $0) } == nil)
        var bad = [UInt8](repeating: 0, count: 16)
        bad[0] = 11  // no such phase
        #expect(bad.withUnsafeBytes { MeshUpdateState(record: $0) } == nil)
        bad[0] = 2
        bad[2] = 4  // no such effect
        #expect(bad.withUnsafeBytes { MeshUpdateState(record: $0) } == nil)
        var server = FirmwareUpdateServer(target: RecordingTarget())
        var buffer = [UInt8](repeating: 0, count: 16)
        let none = buffer.withUnsafeMutableBytes { out in [UInt8]().withUnsafeBytes { server.handle(opcode: 0x8201, payload: $0, reply: out) } }
        #expect(none == nil)
        #expect(send(&server, .status, [0]) == nil, "a client's message")
        #expect(send(&server, .metadataCheck) == nil, "no index")
    }
}
