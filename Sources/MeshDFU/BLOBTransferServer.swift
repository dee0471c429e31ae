import DFUTarget

/// The BLOB Transfer models' opcodes (two-byte 0x83 0x00 … 0x83 0x07; Chunk, Block Status and
/// Partial Block Report are one-byte opcodes).
public enum BLOBOpcode: UInt16, Equatable, Sendable {
    case transferGet = 0x8300
    case transferStart = 0x8301
    case transferCancel = 0x8302
    case transferStatus = 0x8303
    case blockStart = 0x8304
    case blockGet = 0x8305
    case informationGet = 0x8306
    case informationStatus = 0x8307
    case chunk = 0x66
    case blockStatus = 0x67
    case partialBlockReport = 0x68
}

/// BLOB Transfer status codes (`enum bt_mesh_blob_status`).
public enum BLOBStatus: UInt8, Equatable, Sendable {
    case success = 0
    case invalidBlockNumber = 1
    case invalidBlockSize = 2
    case invalidChunkSize = 3
    case wrongPhase = 4
    case invalidParameter = 5
    case wrongBLOBID = 6
    case blobTooLarge = 7
    case unsupportedMode = 8
    case internalError = 9
    case informationUnavailable = 10
}

/// The receive side's phase (`enum bt_mesh_blob_xfer_phase`).
public enum BLOBPhase: UInt8, Equatable, Sendable {
    case inactive = 0
    case waitingForStart = 1
    case waitingForBlock = 2
    case waitingForChunk = 3
    case complete = 4
    case suspended = 5
}

/// Where the BLOB's bytes go (Zephyr's `bt_mesh_blob_io` write side). Lifeboat's implementation
/// writes into the update slot through the DFU-target core's block-window mode.
public protocol BLOBStorage {
    /// A new transfer of `size` bytes begins (Zephyr's `io->open`): prepare storage for it
    /// (after a reboot, this is where a resumed update gets its storage back).
    mutating func open(size: Int) throws(DFUError)
    /// A block starts: `size` bytes at BLOB offset `offset` will be written (its flash sectors are
    /// erased here; a suspended block starts again from scratch).
    mutating func blockStart(offset: Int, size: Int) throws(DFUError)
    /// A chunk's bytes at BLOB offset `offset`, inside the current block, in any order within it.
    mutating func write(offset: Int, bytes: UnsafeRawBufferPointer) throws(DFUError)
}

/// What the BLOB server tells the Firmware Update Server.
public enum BLOBEvent: Equatable, Sendable {
    /// Every block arrived.
    case completed
    /// The client went quiet (receive timeout): the transfer is suspended, resumable.
    case suspended
    /// The transfer was cancelled or could not go on.
    case cancelled
}

/// The BLOB Transfer Server, receive side, push mode (Zephyr's blob_srv.c behaviour; pull mode,
/// for Low Power nodes, is not offered): a transfer prepared by the Firmware Update Server
/// (``receive(id:ttl:timeoutBase:)``), then Transfer Start, Block Start and Chunks from the
/// Distributor. Blocks may come in any order, chunks in any order within their block; each
/// chunk is written once, a block's missing chunks are reported until it is whole, and a
/// suspended block is received again from its start. Fixed storage: at most
/// ``maxBlocks`` blocks of ``blockSize`` and ``maxChunks`` chunks per block. The bytes go to a
/// ``BLOBStorage`` the caller passes with each message (the DFU target, which the Firmware
/// Update Server also holds: one copy of the write state).
///
/// Chunk sizes must be multiples of ``chunkAlignment`` (the slot's write size): flash words are
/// programmed once, never twice with padding as Zephyr's flash stream does (which relies on NOR
/// AND semantics that Lifeboat's flash models refuse).
public struct BLOBTransferServer {
    /// Block size: 4 KiB (log 12), the flash sector of every board here, so a block start erases
    /// whole sectors.
    public static var blockSizeLog: UInt8 { 12 }
    public static var blockSize: Int { 1 << Int(blockSizeLog) }
    /// Up to 256 blocks: a 1 MiB BLOB.
    public static var maxBlocks: Int { 256 }
    /// Up to 256 chunks a block (a 16-byte chunk at the smallest).
    public static var maxChunks: Int { 256 }
    /// Largest chunk: an access message of 380 bytes less the opcode, chunk number and MIC.
    public static var maxChunkSize: Int { 380 - 1 - 2 - 4 }
    /// Largest access message the server takes (the SDU less the MIC).
    public static var mtu: Int { 376 }

    /// Largest BLOB the storage takes (the update slot less its trailer).
    public var sizeLimit: Int
    /// Chunk sizes must be multiples of this (the flash write size).
    public let chunkAlignment: Int

    public private(set) var phase = BLOBPhase.inactive
    public private(set) var id: UInt64 = 0
    public private(set) var size = 0
    public private(set) var ttl: UInt8 = 0
    public private(set) var timeoutBase: UInt16 = 0
    var mtuSize = 0
    /// Bit n: block n still missing.
    var missingBlocks = InlineArray<32, UInt8>(repeating: 0)
    var blockNumber: Int = 0xFFFF
    var chunkSize: Int = 0xFFFF
    var chunkCount = 0
    var blockOffset = 0
    var currentBlockSize = 0
    /// Bit n: chunk n of the current block still missing.
    var missingChunks = InlineArray<32, UInt8>(repeating: 0)

    public init(sizeLimit: Int, chunkAlignment: Int = 4) {
        self.sizeLimit = min(sizeLimit, Self.maxBlocks * Self.blockSize)
        self.chunkAlignment = max(1, chunkAlignment)
    }

    /// The largest chunk this server takes: below the access message limit, a multiple of
    /// ``chunkAlignment``.
    public var maxChunkSize: Int { Self.maxChunkSize - Self.maxChunkSize % chunkAlignment }

    /// Bytes of the persisted record.
    public static var recordSize: Int { 1 + 8 + 4 + 1 + 2 + 2 + 32 }

    /// The transfer's persisted record (Zephyr stores it at each block's end): phase, BLOB id
    /// le64, size le32, ttl, timeout base le16, MTU le16, the missing-blocks bitmap. Written only
    /// for a transfer under way; a reboot brings it back suspended.
    public func encodeRecord(into writer: inout PayloadWriter) {
        writer.u8(phase.rawValue)
        writer.le(id, 8)
        writer.le(UInt64(size), 4)
        writer.u8(ttl)
        writer.le(UInt64(timeoutBase), 2)
        writer.le(UInt64(mtuSize), 2)
        for i in 0..<32 { writer.u8(missingBlocks[i]) }
    }

    /// A server after a reboot: a transfer that was under way comes back suspended, with the
    /// blocks it had received (the Distributor's identical Transfer Start resumes it); anything
    /// else (no record, a torn one, a transfer that had not started or had ended) is no transfer.
    public init(sizeLimit: Int, chunkAlignment: Int = 4, restoring record: UnsafeRawBufferPointer) {
        self.init(sizeLimit: sizeLimit, chunkAlignment: chunkAlignment)
        var reader = PayloadReader(record)
        guard record.count == Self.recordSize, let raw = reader.u8(), let phase = BLOBPhase(rawValue: raw),
            phase == .waitingForBlock || phase == .waitingForChunk || phase == .suspended,
            let id = reader.le(8), let size = reader.le(4), let ttl = reader.u8(), let timeout = reader.le(2), let mtu = reader.le(2),
            size > 0, Int(size) <= self.sizeLimit
        else { return }
        var bitmap = InlineArray<32, UInt8>(repeating: 0)
        for i in 0..<32 { bitmap[i] = reader.u8() ?? 0 }
        self.id = id
        self.size = Int(size)
        self.ttl = ttl
        timeoutBase = UInt16(timeout)
        mtuSize = min(Int(mtu), Self.mtu)
        missingBlocks = bitmap
        self.phase = .suspended
    }

    public var blockCount: Int { (size + Self.blockSize - 1) / Self.blockSize }

    /// Busy: a transfer is expected or under way (not inactive, suspended or complete).
    public var isBusy: Bool { phase != .inactive && phase != .suspended && phase != .complete }

    /// Progress in percent (received blocks of all).
    public var progress: Int {
        guard phase != .inactive && phase != .waitingForStart, blockCount > 0 else { return 0 }
        var missing = 0
        for block in 0..<blockCount where Self.bit(missingBlocks, block) { missing += 1 }
        return 100 * (blockCount - missing) / blockCount
    }

    /// Expect transfer `id` (Zephyr's `bt_mesh_blob_srv_recv`); false when busy.
    public mutating func receive(id: UInt64, ttl: UInt8, timeoutBase: UInt16) -> Bool {
        guard !isBusy else { return false }
        self.id = id
        self.ttl = ttl
        self.timeoutBase = timeoutBase
        blockNumber = 0xFFFF
        chunkSize = 0xFFFF
        phase = .waitingForStart
        return true
    }

    /// Abandons the transfer (the DFU server's Cancel).
    public mutating func cancel() {
        phase = .inactive
        blockNumber = 0xFFFF
        chunkSize = 0xFFFF
    }

    /// The receive timeout (10 · (1 + timeout base) seconds without a message): a transfer that
    /// never started is cancelled, one under way is suspended.
    public mutating func timeout() -> BLOBEvent? {
        switch phase {
        case .waitingForStart:
            cancel()
            return .cancelled
        case .waitingForBlock, .waitingForChunk:
            phase = .suspended
            return .suspended
        default:
            return nil
        }
    }

    /// Seconds of silence before ``timeout()`` applies.
    public var timeoutSeconds: Int { 10 * (1 + Int(timeoutBase)) }

    /// Handles one BLOB message; the reply (if any) is written into `buffer`, and `event`
    /// reports the end or loss of the transfer to the Firmware Update Server.
    public mutating func handle<Storage: BLOBStorage>(
        opcode: UInt16, payload: UnsafeRawBufferPointer, reply buffer: UnsafeMutableRawBufferPointer,
        storage: inout Storage, event: inout BLOBEvent?
    ) -> (opcode: BLOBOpcode, count: Int)? {
        guard let op = BLOBOpcode(rawValue: opcode) else { return nil }
        var reader = PayloadReader(payload)
        var writer = PayloadWriter(buffer)
        switch op {
        case .transferGet:
            guard payload.isEmpty else { return nil }
            transferStatus(.success, into: &writer)
            return (.transferStatus, writer.count)
        case .transferStart:
            guard payload.count == 16, let modeByte = reader.u8(), let blob = reader.le(8), let size = reader.le(4),
                let log = reader.u8(), let mtu = reader.le(2)
            else { return nil }
            let status = start(mode: modeByte >> 6, id: blob, size: Int(size), blockSizeLog: log, mtu: Int(mtu), storage: &storage)
            transferStatus(status, into: &writer)
            return (.transferStatus, writer.count)
        case .transferCancel:
            guard payload.count == 8, let blob = reader.le(8) else { return nil }
            var status = BLOBStatus.success
            if phase != .inactive {
                if blob != id {
                    status = .wrongBLOBID
                } else {
                    cancel()
                    event = .cancelled
                }
            }
            transferStatus(status, into: &writer)
            return (.transferStatus, writer.count)
        case .blockGet:
            guard payload.isEmpty else { return nil }
            let status: BLOBStatus
            switch phase {
            case .waitingForBlock, .waitingForChunk, .complete: status = .success
            case .suspended: status = .informationUnavailable
            case .waitingForStart, .inactive: status = .wrongPhase
            }
            blockStatus(status, into: &writer)
            return (.blockStatus, writer.count)
        case .blockStart:
            guard payload.count == 4, let number = reader.le(2), let chunk = reader.le(2) else { return nil }
            let status = startBlock(Int(number), chunkSize: Int(chunk), storage: &storage, event: &event)
            blockStatus(status, into: &writer)
            return (.blockStatus, writer.count)
        case .chunk:
            guard let number = reader.le(2) else { return nil }
            receiveChunk(Int(number), reader.rest(), storage: &storage, event: &event)
            return nil  // push mode: chunks are not answered; Block Get asks for the missing ones
        case .informationGet:
            guard payload.isEmpty else { return nil }
            writer.u8(Self.blockSizeLog)  // min block size log
            writer.u8(Self.blockSizeLog)  // max block size log
            writer.le(UInt64(Self.maxChunks), 2)
            writer.le(UInt64(maxChunkSize), 2)
            writer.le(UInt64(sizeLimit), 4)
            writer.le(UInt64(Self.mtu), 2)
            writer.u8(0x01)  // supported transfer modes: push
            return (.informationStatus, writer.count)
        case .transferStatus, .informationStatus, .blockStatus, .partialBlockReport:
            return nil
        }
    }

    // MARK: Handlers

    mutating func start<Storage: BLOBStorage>(mode: UInt8, id blob: UInt64, size: Int, blockSizeLog: UInt8, mtu: Int, storage: inout Storage) -> BLOBStatus {
        guard mode == 1 || mode == 2 else { return .unsupportedMode }
        guard phase != .inactive else { return .wrongPhase }
        guard blob == id else { return .wrongBLOBID }
        if phase != .waitingForStart {
            // The same transfer again: a duplicate, or the resume of a suspended one.
            guard mode == 1, size == self.size, blockSizeLog == Self.blockSizeLog, mtuSize <= mtu else { return .wrongPhase }
            if phase == .suspended {
                // Resumed (after a reboot the storage comes back here, with the blocks it holds).
                do throws(DFUError) {
                    try storage.open(size: size)
                } catch {
                    return .internalError
                }
                phase = .waitingForBlock
            }
            return .success
        }
        guard mode == 1 else { return .unsupportedMode }
        guard size > 0, size <= sizeLimit else { return .blobTooLarge }
        guard blockSizeLog == Self.blockSizeLog else { return .invalidBlockSize }
        do throws(DFUError) {
            try storage.open(size: size)
        } catch {
            return .internalError
        }
        self.size = size
        mtuSize = min(mtu, Self.mtu)
        missingBlocks = InlineArray(repeating: 0)
        for block in 0..<blockCount { Self.set(&missingBlocks, block, true) }
        blockNumber = 0xFFFF
        chunkSize = 0xFFFF
        phase = .waitingForBlock
        return .success
    }

    mutating func startBlock<Storage: BLOBStorage>(_ number: Int, chunkSize chunk: Int, storage: inout Storage, event: inout BLOBEvent?) -> BLOBStatus {
        guard phase != .waitingForStart && phase != .inactive else { return .wrongPhase }
        if phase == .waitingForChunk {
            return number == blockNumber && chunk == chunkSize ? .success : .wrongPhase
        }
        guard number < blockCount else { return .invalidBlockNumber }
        let maxChunk = min(mtuSize - 2 - 1, maxChunkSize)
        let blockBytes = min(Self.blockSize, size - number * Self.blockSize)
        guard chunk > 0, chunk <= maxChunk, chunk % chunkAlignment == 0, (Self.blockSize + chunk - 1) / chunk <= Self.maxChunks else {
            return .invalidChunkSize
        }
        blockNumber = number
        chunkSize = chunk
        blockOffset = number * Self.blockSize
        currentBlockSize = blockBytes
        chunkCount = (blockBytes + chunk - 1) / chunk
        if phase == .complete || !Self.bit(missingBlocks, number) {
            missingChunks = InlineArray(repeating: 0)  // already received: nothing missing
            return .success
        }
        do throws(DFUError) {
            try storage.blockStart(offset: blockOffset, size: blockBytes)
        } catch {
            cancel()
            event = .cancelled
            return .internalError
        }
        missingChunks = InlineArray(repeating: 0)
        for c in 0..<chunkCount { Self.set(&missingChunks, c, true) }
        phase = .waitingForChunk
        return .success
    }

    mutating func receiveChunk<Storage: BLOBStorage>(_ number: Int, _ data: UnsafeRawBufferPointer, storage: inout Storage, event: inout BLOBEvent?) {
        guard phase == .waitingForChunk, number < chunkCount else { return }
        var expected = currentBlockSize - number * chunkSize
        expected = min(expected, chunkSize)
        guard data.count == expected, Self.bit(missingChunks, number) else { return }  // wrong size, or a duplicate
        do throws(DFUError) {
            try storage.write(offset: blockOffset + number * chunkSize, bytes: data)
        } catch {
            return  // stays missing: the Distributor sends it again
        }
        Self.set(&missingChunks, number, false)
        for c in 0..<chunkCount where Self.bit(missingChunks, c) { return }
        Self.set(&missingBlocks, blockNumber, false)
        for b in 0..<blockCount where Self.bit(missingBlocks, b) {
            phase = .waitingForBlock
            return
        }
        phase = .complete
        event = .completed
    }

    func transferStatus(_ status: BLOBStatus, into writer: inout PayloadWriter) {
        writer.u8((status.rawValue & 0x0F) | (phase == .inactive ? 0 : 1) << 6)  // push mode
        writer.u8(phase.rawValue)
        guard phase != .inactive else { return }
        writer.le(id, 8)
        guard phase != .waitingForStart else { return }
        writer.le(UInt64(size), 4)
        writer.u8(Self.blockSizeLog)
        writer.le(UInt64(mtuSize), 2)
        for i in 0..<((blockCount + 7) / 8) { writer.u8(missingBlocks[i]) }
    }

    /// Block Status: status and the missing-chunks format (0 all, 1 none, 2 some: the bitmap
    /// follows), block number, chunk size.
    func blockStatus(_ status: BLOBStatus, into writer: inout PayloadWriter) {
        var missing = 0
        switch phase {
        case .inactive, .waitingForStart: missing = chunkCount
        case .complete: missing = 0
        default: for c in 0..<chunkCount where Self.bit(missingChunks, c) { missing += 1 }
        }
        let format: UInt8 = missing == chunkCount ? 0 : (missing == 0 ? 1 : 2)
        writer.u8((status.rawValue & 0x0F) | format << 6)
        writer.le(UInt64(blockNumber), 2)
        writer.le(UInt64(chunkSize), 2)
        if format == 2 {
            for i in 0..<((chunkCount + 7) / 8) { writer.u8(missingChunks[i]) }
        }
    }

    static func bit(_ map: InlineArray<32, UInt8>, _ n: Int) -> Bool { map[n / 8] & (1 << UInt8(n % 8)) != 0 }

    static func set(_ map: inout InlineArray<32, UInt8>, _ n: Int, _ value: Bool) {
        if value { map[n / 8] |= 1 << UInt8(n % 8) } else { map[n / 8] &= ~(1 << UInt8(n % 8)) }
    }
}
