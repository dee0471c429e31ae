import DFUTarget
import MeshDFU
import Testing

/// BLOB storage over a byte array: records each block start and write.
struct ArrayStorage: BLOBStorage {
    var bytes: [UInt8]
    var blockStarts: [Int] = []
    var writes = 0
    var failWrites = 0

    init(size: Int) { bytes = [UInt8](repeating: 0xFF, count: size) }

    var opened: [Int] = []
    mutating func open(size: Int) throws(DFUError) { opened.append(size) }

    mutating func blockStart(offset: Int, size: Int) throws(DFUError) {
        blockStarts.append(offset)
        for i in offset..<(offset + size) { bytes[i] = 0xFF }
    }

    mutating func write(offset: Int, bytes chunk: UnsafeRawBufferPointer) throws(DFUError) {
        if failWrites > 0 {
            failWrites -= 1
            throw .writeFailed(.outOfBounds)
        }
        writes += 1
        for i in 0..<chunk.count { bytes[offset + i] = chunk[i] }
    }
}

/// The server with the storage it writes into.
struct Server {
    var blob: BLOBTransferServer
    var storage: ArrayStorage
    init(storage: ArrayStorage, sizeLimit: Int) {
        blob = BLOBTransferServer(sizeLimit: sizeLimit)
        self.storage = storage
    }
    var phase: BLOBPhase { blob.phase }
    var progress: Int { blob.progress }
    var timeoutSeconds: Int { blob.timeoutSeconds }
    mutating func receive(id: UInt64, ttl: UInt8, timeoutBase: UInt16) -> Bool { blob.receive(id: id, ttl: ttl, timeoutBase: timeoutBase) }
    mutating func timeout() -> BLOBEvent? { blob.timeout() }
}

@discardableResult
func blob(_ server: inout Server, _ opcode: BLOBOpcode, _ payload: [UInt8] = [], event: inout BLOBEvent?) -> [UInt8]? {
    var buffer = [UInt8](repeating: 0, count: 64)
    let reply = payload.withUnsafeBytes { p in
        buffer.withUnsafeMutableBytes { server.blob.handle(opcode: opcode.rawValue, payload: p, reply: $0, storage: &server.storage, event: &event) }
    }
    return reply.map { Array(buffer[0..<$0.count]) }
}

func le(_ value: UInt64, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * $0)) } }

func transferStart(id: UInt64 = 0xB10B, size: Int, log: UInt8 = 12, mtu: Int = 376, mode: UInt8 = 1) -> [UInt8] {
    [mode << 6] + le(id, 8) + le(UInt64(size), 4) + [log] + le(UInt64(mtu), 2)
}

@Suite struct BLOBTransferServerTests {
    static let payload: [UInt8] = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    /// Sends every chunk of `block` in the order given, with chunk size `chunk`.
    static func send(block: Int, chunk: Int, order: [Int]? = nil, to server: inout Server, event: inout BLOBEvent?) {
        let start = block * 4096, end = min(start + 4096, payload.count)
        let count = (end - start + chunk - 1) / chunk
        for c in order ?? Array(0..<count) {
            let from = start + c * chunk
            blob(&server, .chunk, le(UInt64(c), 2) + Array(payload[from..<min(from + chunk, end)]), event: &event)
        }
    }

    /// Blocks in any order, chunks shuffled and some lost then resent, duplicates and a wrong
    /// size ignored: the storage ends byte-identical, each chunk written once, each block erased
    /// once, and the transfer reports completion.
    @Test func aShuffledLossyTransferLandsExactly() throws {
        var server = Server(storage: ArrayStorage(size: 12_288), sizeLimit: 12_288)
        var event: BLOBEvent?
        let accepted = server.receive(id: 0xB10B, ttl: 5, timeoutBase: 1)
        #expect(accepted)
        #expect(blob(&server, .transferStart, transferStart(size: Self.payload.count), event: &event) == [0x40, 2] + le(0xB10B, 8) + le(10_000, 4) + [12] + le(376, 2) + [0x07])
        let chunk = 200  // 21 chunks a block; the last block 1,808 bytes in 10
        for block in [2, 0, 1] {
            #expect(blob(&server, .blockStart, le(UInt64(block), 2) + le(UInt64(chunk), 2), event: &event)?.first == 0x00, "all missing")
            let count = block == 2 ? 10 : 21
            let lost = Set([1, 5, count - 1])
            let order = Array((0..<count).reversed()).filter { !lost.contains($0) }
            Self.send(block: block, chunk: chunk, order: order + [order[0]], to: &server, event: &event)
            let status = try #require(blob(&server, .blockGet, event: &event))
            #expect(status[0] == 0x80, "some missing")
            #expect(Array(status[1...4]) == le(UInt64(block), 2) + le(UInt64(chunk), 2))
            var bitmap = [UInt8](repeating: 0, count: (count + 7) / 8)
            for c in lost { bitmap[c / 8] |= 1 << UInt8(c % 8) }
            #expect(Array(status[5...]) == bitmap)
            // A chunk of the wrong size is not taken.
            blob(&server, .chunk, le(1, 2) + [1, 2, 3], event: &event)
            Self.send(block: block, chunk: chunk, order: Array(lost).sorted(), to: &server, event: &event)
        }
        #expect(event == .completed && server.phase == .complete && server.progress == 100)
        #expect(Array(server.storage.bytes[0..<Self.payload.count]) == Self.payload)
        #expect(server.storage.writes == 21 + 21 + 10)
        #expect(server.storage.blockStarts == [8192, 0, 4096])
        #expect(server.storage.opened == [10_000])
    }

    /// A suspended transfer (the receive timeout) resumes on the same Transfer Start and the
    /// interrupted block is received again from its start; whole blocks are not.
    @Test func suspendAndResumeRestartsOnlyTheCurrentBlock() throws {
        var server = Server(storage: ArrayStorage(size: 12_288), sizeLimit: 12_288)
        var event: BLOBEvent?
        _ = server.receive(id: 7, ttl: 5, timeoutBase: 0)
        blob(&server, .transferStart, transferStart(id: 7, size: 8192), event: &event)
        blob(&server, .blockStart, le(0, 2) + le(256, 2), event: &event)
        Self.send(block: 0, chunk: 256, to: &server, event: &event)
        blob(&server, .blockStart, le(1, 2) + le(256, 2), event: &event)
        Self.send(block: 1, chunk: 256, order: [0, 1, 2], to: &server, event: &event)
        #expect(server.timeoutSeconds == 10)
        let timedOut = server.timeout()
        #expect(timedOut == .suspended && server.phase == .suspended)
        #expect(blob(&server, .blockGet, event: &event)?.first == BLOBStatus.informationUnavailable.rawValue | 0x80)
        #expect(blob(&server, .transferStart, transferStart(id: 7, size: 4096), event: &event)?.first == 0x40 | BLOBStatus.wrongPhase.rawValue, "other size")
        #expect(blob(&server, .transferStart, transferStart(id: 7, size: 8192), event: &event)?[1] == BLOBPhase.waitingForBlock.rawValue)
        #expect(server.progress == 50)
        #expect(blob(&server, .blockStart, le(0, 2) + le(256, 2), event: &event)?.first == 0x40, "block 0 is whole: none missing")
        blob(&server, .blockStart, le(1, 2) + le(256, 2), event: &event)
        Self.send(block: 1, chunk: 256, to: &server, event: &event)
        #expect(event == .completed)
        #expect(server.storage.blockStarts == [0, 4096, 4096])
        #expect(Array(server.storage.bytes[0..<8192]) == Array(Self.payload[0..<8192]))
    }

    @Test func refusalsNameTheirReason() throws {
        var server = Server(storage: ArrayStorage(size: 8192), sizeLimit: 8192)
        var event: BLOBEvent?
        #expect(blob(&server, .transferStart, transferStart(size: 100), event: &event)?.first == BLOBStatus.wrongPhase.rawValue, "not expected yet")
        _ = server.receive(id: 0xB10B, ttl: 5, timeoutBase: 0)
        let again = server.receive(id: 1, ttl: 5, timeoutBase: 0)
        #expect(!again, "busy")
        #expect(blob(&server, .transferStart, transferStart(id: 1, size: 100), event: &event)?.first == 0x40 | BLOBStatus.wrongBLOBID.rawValue)
        #expect(blob(&server, .transferStart, transferStart(size: 9000), event: &event)?.first == 0x40 | BLOBStatus.blobTooLarge.rawValue)
        #expect(blob(&server, .transferStart, transferStart(size: 100, mode: 2), event: &event)?.first == 0x40 | BLOBStatus.unsupportedMode.rawValue)
        #expect(blob(&server, .transferStart, transferStart(size: 100, log: 9), event: &event)?.first == 0x40 | BLOBStatus.invalidBlockSize.rawValue)
        #expect(blob(&server, .blockStart, le(0, 2) + le(64, 2), event: &event)?.first == BLOBStatus.wrongPhase.rawValue)
        blob(&server, .transferStart, transferStart(size: 5000), event: &event)
        #expect(blob(&server, .blockStart, le(2, 2) + le(64, 2), event: &event)?.first == BLOBStatus.invalidBlockNumber.rawValue)
        #expect(blob(&server, .blockStart, le(0, 2) + le(8, 2), event: &event)?.first == BLOBStatus.invalidChunkSize.rawValue, "512 chunks")
        #expect(blob(&server, .blockStart, le(0, 2) + le(400, 2), event: &event)?.first == BLOBStatus.invalidChunkSize.rawValue, "past the MTU")
        #expect(blob(&server, .blockStart, le(0, 2) + le(66, 2), event: &event)?.first == BLOBStatus.invalidChunkSize.rawValue, "not whole words")
        #expect(blob(&server, .transferStart, Array(transferStart(size: 5000).dropLast()), event: &event) == nil, "short")
        #expect(blob(&server, .transferCancel, le(9, 8), event: &event)?.first == 0x40 | BLOBStatus.wrongBLOBID.rawValue)
        #expect(blob(&server, .transferCancel, le(0xB10B, 8), event: &event) == [0x00, 0x00])
        #expect(event == .cancelled && server.phase == .inactive)
        #expect(blob(&server, .informationGet, event: &event) == [12, 12] + le(256, 2) + le(372, 2) + le(8192, 4) + le(376, 2) + [1])
    }

    @Test func aFailedWriteLeavesTheChunkMissing() throws {
        var storage = ArrayStorage(size: 4096)
        storage.failWrites = 1
        var server = Server(storage: storage, sizeLimit: 4096)
        var event: BLOBEvent?
        _ = server.receive(id: 1, ttl: 5, timeoutBase: 0)
        blob(&server, .transferStart, transferStart(id: 1, size: 4096), event: &event)
        blob(&server, .blockStart, le(0, 2) + le(256, 2), event: &event)
        Self.send(block: 0, chunk: 256, to: &server, event: &event)
        #expect(event == nil)
        #expect(blob(&server, .blockGet, event: &event)?[5...] == [0x01, 0x00], "chunk 0 missing")
        Self.send(block: 0, chunk: 256, order: [0], to: &server, event: &event)
        #expect(event == .completed)
    }
}

extension BLOBTransferServerTests {
    /// A reboot mid-transfer: the persisted record brings the transfer back suspended with the
    /// blocks it had; the identical Transfer Start reopens the storage and resumes; the whole
    /// blocks report none missing, the interrupted one starts again. Torn or finished records
    /// bring nothing back.
    @Test func aPersistedTransferComesBackSuspendedWithItsBlocks() throws {
        var server = Server(storage: ArrayStorage(size: 12_288), sizeLimit: 12_288)
        var event: BLOBEvent?
        _ = server.receive(id: 5, ttl: 4, timeoutBase: 3)
        blob(&server, .transferStart, transferStart(id: 5, size: 10_000), event: &event)
        blob(&server, .blockStart, le(1, 2) + le(256, 2), event: &event)
        Self.send(block: 1, chunk: 256, to: &server, event: &event)
        blob(&server, .blockStart, le(0, 2) + le(256, 2), event: &event)
        Self.send(block: 0, chunk: 256, order: [0, 1], to: &server, event: &event)
        var record = [UInt8](repeating: 0, count: BLOBTransferServer.recordSize)
        record.withUnsafeMutableBytes { raw in
            var writer = PayloadWriter(raw)
            server.blob.encodeRecord(into: &writer)
        }
        var rebooted = Server(storage: server.storage, sizeLimit: 12_288)
        rebooted.blob = record.withUnsafeBytes { BLOBTransferServer(sizeLimit: 12_288, restoring: $0) }
        #expect(rebooted.phase == .suspended && rebooted.progress == 33 && rebooted.blob.id == 5 && rebooted.blob.timeoutSeconds == 40)
        #expect(blob(&rebooted, .transferStart, transferStart(id: 5, size: 10_000), event: &event)?[1] == BLOBPhase.waitingForBlock.rawValue)
        #expect(rebooted.storage.opened == [10_000, 10_000], "the storage is opened again on the resume")
        #expect(blob(&rebooted, .blockStart, le(1, 2) + le(256, 2), event: &event)?.first == 0x40, "block 1 is whole")
        for block in [0, 2] {
            blob(&rebooted, .blockStart, le(UInt64(block), 2) + le(256, 2), event: &event)
            Self.send(block: block, chunk: 256, to: &rebooted, event: &event)
        }
        #expect(event == .completed)
        #expect(Array(rebooted.storage.bytes[0..<10_000]) == Self.payload)
        // Nothing comes back from a torn record, an oversized one, or a finished transfer.
        for broken in [Array(record.dropLast()), [UInt8(BLOBPhase.complete.rawValue)] + record.dropFirst(), [2] + le(5, 8) + le(99_999, 4) + record.dropFirst(13)] {
            #expect(broken.withUnsafeBytes { BLOBTransferServer(sizeLimit: 12_288, restoring: $0) }.phase == .inactive)
        }
    }
}
