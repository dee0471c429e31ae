import Bootloader
import DFUTarget
import Foundation
import MCUbootImage
import MeshDFU
import Simulation

/// SplitMix64 (Steele, Lea, Flood 2014): a small deterministic generator for simulated losses,
/// orders and identifiers, the same sequence on every machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// How the simulated Distributor runs an update.
public struct MeshUpdateOptions: Sendable {
    /// Share of chunks lost on the way (each lost chunk is sent again after a Block Get).
    public var loss = 0.0
    /// Blocks and the chunks inside each block in random order.
    public var reorder = false
    /// Cut the Target's power when this many messages have been sent (a reboot mid-update).
    public var cutAt: Int?
    /// The new image confirms itself after its first boot (false: it never does, and the next
    /// reset reverts).
    public var confirm = true
    /// Bytes a chunk (a multiple of the flash write size).
    public var chunkSize = 208
    /// Seed of the losses and the order.
    public var seed: UInt64 = 1

    public init() {}
}

/// One step of the update as the Distributor saw it.
public struct MeshUpdatePhase: Codable, Sendable, Equatable {
    public var name: String
    /// The Target's answer in words (`success`, `VERIFY_OK`, `metadata check failed`, …).
    public var status: String
    /// What was sent and received, summarised.
    public var detail: String
    /// Virtual time at the end of the step, seconds since the update began.
    public var virtualTime: Double

    enum CodingKeys: String, CodingKey {
        case name, status, detail
        case virtualTime = "virtual_time"
    }
}

/// The end of an update.
public struct MeshUpdateReport: Codable, Sendable {
    /// `applied`, `reverted`, `verify-failed`, `metadata-rejected`, `start-refused`,
    /// `transfer-failed` (the BLOB did not complete), `failed`.
    public var result: String
    public var runningVersion: String
    public var phases: [MeshUpdatePhase]
    public var messages: Int
    public var virtualSeconds: Double
    /// The validator's reason when verification failed.
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case result, phases, messages, reason
        case runningVersion = "running_version"
        case virtualSeconds = "virtual_seconds"
    }
}

/// A simulated Mesh DFU Distributor driving a simulated board's Mesh DFU Target through an
/// update over an in-process access-layer link: Info → Metadata Check → Start → BLOB (blocks and
/// chunks, with loss and reordering) → verify → Apply → reboot (the boot stage's test swap) → the
/// new image reports its firmware id → confirm → applied; or, without a confirm, the revert.
///
/// Virtual time: each access message costs 20 ms per network PDU (advertising bearer, one
/// transmission, 12 bytes of a segmented message per PDU), plus the flash time the board's
/// models account for. A rough model of a Mesh link, for orders of magnitude only.
public final class MeshDistributor {
    public let board: SimulatedBoard
    public var options: MeshUpdateOptions
    /// The Target's persisted update record (its settings storage): survives reboots.
    public private(set) var persisted: MeshUpdateState?
    /// The Target's persisted BLOB transfer record (received blocks).
    public private(set) var persistedBLOB: [UInt8] = []
    var node: MeshDFUNode<BoardSlots>
    var random: SplitMix64
    /// Messages sent so far (lost chunks included).
    public private(set) var messages = 0
    var airSeconds = 0.0
    let flashStart: Double
    var phases: [MeshUpdatePhase] = []
    /// Whether the Target's power has been cut already.
    var cut = false

    public init(board: SimulatedBoard, options: MeshUpdateOptions = MeshUpdateOptions()) {
        self.board = board
        self.options = options
        random = SplitMix64(seed: options.seed)
        flashStart = board.clock.seconds
        node = Self.bootNode(board, restoring: nil, blob: [])
    }

    static func bootNode(_ board: SimulatedBoard, restoring record: MeshUpdateState?, blob: [UInt8]) -> MeshDFUNode<BoardSlots> {
        MeshDFUNode(
            target: SlotUpdateTarget(core: DFUCore(slots: board.slots), policy: board.bootConfiguration.imagePolicy),
            restoring: record, blobRecord: blob)
    }

    var now: Double { airSeconds + board.clock.seconds - flashStart }

    public struct PowerCut: Error {}

    /// Sends one access message to the Target and returns its reply (nil: none); throws
    /// ``PowerCut`` when the cut point is reached.
    public func send(_ opcode: UInt16, _ payload: [UInt8] = []) throws -> [UInt8]? {
        if let cutAt = options.cutAt, !cut, messages >= cutAt { throw PowerCut() }
        var buffer = [UInt8](repeating: 0, count: 380)
        let reply = payload.withUnsafeBytes { p in buffer.withUnsafeMutableBytes { node.handle(opcode: opcode, payload: p, reply: $0) } }
        messages += 1
        airSeconds += Self.airtime(opcode: opcode, bytes: payload.count) + (reply.map { Self.airtime(opcode: $0.opcode, bytes: $0.count) } ?? 0)
        persisted = node.update.update  // stored at each transition, as Zephyr's server does
        persistedBLOB = node.blobRecord
        return reply.map { Array(buffer[0..<$0.count]) }
    }

    /// 20 ms per network PDU: 11 bytes fit unsegmented, a segmented message carries 12 a segment.
    static func airtime(opcode: UInt16, bytes: Int) -> Double {
        let length = (opcode > 0xFF ? 2 : 1) + bytes + 4  // opcode, parameters, TransMIC
        let pdus = length <= 15 ? 1 : (length + 11) / 12
        return 0.020 * Double(pdus)
    }

    func record(_ name: String, _ status: String, _ detail: String) {
        phases.append(MeshUpdatePhase(name: name, status: status, detail: detail, virtualTime: (now * 1000).rounded() / 1000))
    }

    /// Reboots the Target: RAM state goes, flash and the persisted record stay; the boot stage
    /// runs (and swaps, when an image is marked).
    func reboot(_ why: String) -> BootOutcome {
        board.reset()
        let (outcome, events) = board.boot()
        node = Self.bootNode(board, restoring: persisted, blob: persistedBLOB)
        var swap = ""
        for event in events {
            if case .swapCompleted(_, let type) = event { swap = ", swap (\(type)) done" }
        }
        let status: String
        switch outcome {
        case .boot(let version): status = "booted \(Self.text(version))"
        case .recovery(let why): status = "recovery (\(why))"
        case .halted(let fault): status = "halted (\(fault))"
        }
        record("reboot", status, "\(why)\(swap); update phase after the reboot: \(node.update.update.phase)")
        return outcome
    }

    /// `value`'s low `width` bytes, little-endian (Mesh's byte order).
    public static func le(_ value: UInt64, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * $0)) } }

    /// Firmware metadata as the Distributor sends it: version, size, application core, a
    /// composition hash of 0 and one element.
    public static func metadata(version: ImageVersion, size: Int) -> [UInt8] {
        [version.major, version.minor] + le(UInt64(version.revision), 2) + le(UInt64(version.build), 4) + le(UInt64(size), 3) + [0x01]
            + le(0, 4) + le(1, 2)
    }

    func runningVersion() -> String {
        node.update.target.firmwareID(image: 0).map { Self.text($0.version) } ?? "none"
    }

    static func text(_ v: ImageVersion) -> String { "\(v.major).\(v.minor).\(v.revision)" + (v.build == 0 ? "" : "+\(v.build)") }

    /// Runs the whole update of `image` (an MCUboot image file's bytes; its header gives the
    /// metadata's version, the file its size).
    public func update(_ image: [UInt8]) -> MeshUpdateReport {
        let version = Self.version(of: image)
        var reason: String?
        func finish(_ result: String) -> MeshUpdateReport {
            MeshUpdateReport(result: result, runningVersion: runningVersion(), phases: phases, messages: messages, virtualSeconds: (now * 1000).rounded() / 1000, reason: reason)
        }
        do {
            if let failure = try deliver(image, reason: &reason) { return finish(failure) }
            _ = reboot("after Apply")
            // The new image: silent on Info Get while applying; it confirms (or not) and reports.
            let silent = try send(MeshDFUOpcode.infoGet.rawValue, [0, 1]) == nil
            if options.confirm {
                try node.update.target.confirmRunning(image: 0)
                node.update.applied()
                persisted = node.update.update
                record("confirm", "confirmed", "the new image confirmed itself (Info Get unanswered until then: \(silent))")
            } else {
                record("confirm", "not confirmed", "the new image runs without confirming; the next reset reverts")
                _ = reboot("reset without a confirm")
                node.update.applied()  // the old image reports back
                persisted = node.update.update
            }
            let after = try send(MeshDFUOpcode.infoGet.rawValue, [0, 1])
            let running = runningVersion()
            record("report", "success", "Info Status \(after?.count ?? 0) B: firmware \(running)")
            return finish(running == Self.text(version) ? "applied" : "reverted")
        } catch {
            record("error", "failed", "\(error)")
            return finish("failed")
        }
    }

    /// The update up to its Apply (info, metadata check, Start, BLOB, verify, Apply: the
    /// secondary marked for a test boot), without the reboot that follows: what the power-cut
    /// sweep's `mesh-update` scenario cuts. True when the image is marked.
    public func transferAndApply(_ image: [UInt8]) -> Bool {
        var reason: String?
        do {
            return try deliver(image, reason: &reason) == nil
        } catch {
            return false
        }
    }

    /// The update up to VERIFY_OK, without the Apply: the secondary holds the verified image and
    /// nothing is marked. True when the Target reports VERIFY_OK.
    public func transfer(_ image: [UInt8]) -> Bool {
        var reason: String?
        do {
            return try deliver(image, reason: &reason, apply: false) == nil
        } catch {
            return false
        }
    }

    static func version(of image: [UInt8]) -> ImageVersion {
        image.withUnsafeBytes { try? ImageHeader(parsing: $0) }?.version ?? ImageVersion(major: 0, minor: 0, revision: 0)
    }

    /// Info → metadata check → Start → BLOB (again after a power cut) → verify → Apply (unless
    /// `apply` is false); nil when the image is marked for test (or verified), else the result
    /// that ends the update.
    func deliver(_ image: [UInt8], reason: inout String?, apply: Bool = true) throws -> String? {
        let version = Self.version(of: image)
        let meta = Self.metadata(version: version, size: image.count)
        let blobID = random.next()
        guard let info = try send(MeshDFUOpcode.infoGet.rawValue, [0, 1]) else {
            record("info", "no answer", "")
            return "failed"
        }
        record("info", "success", "Info Get → Info Status \(info.count) B: firmware \(runningVersion())")
        let check = try send(MeshDFUOpcode.metadataCheck.rawValue, [0] + meta) ?? [3, 0]
        let checkStatus = MeshDFUStatus(rawValue: check[0] & 7) ?? .internalError
        record("metadata-check", "\(checkStatus)", "version \(Self.text(version)), \(image.count) B → effect \(check[0] >> 3)")
        guard checkStatus == .success else { return "metadata-rejected" }
        while true {
            do {
                guard let result = try startAndTransfer(image, meta: meta, blobID: blobID) else { return "start-refused" }
                if result == .verifyFail {
                    reason = node.update.target.lastRejection.map { "\($0.description)" } ?? "rejected"
                    record("verify", "VERIFY_FAIL", reason!)
                    return "verify-failed"
                }
                guard result == .verifyOK else { return "transfer-failed" }
                record("verify", "VERIFY_OK", "the secondary slot holds a valid image (header, TLVs, SHA-256, and a trusted signature when the board has keys)")
                break
            } catch is PowerCut {
                cut = true
                record("power-cut", "cut", "after \(messages) messages")
                _ = reboot("power back")
            }
        }
        guard apply else { return nil }
        // Apply: the status first, then the marking.
        let applied = try send(MeshDFUOpcode.apply.rawValue) ?? [3]
        let applyError = node.update.completeApply()
        record("apply", applyError.map { "\($0.description)" } ?? "APPLYING", "Apply → status 0x\(String(applied[0], radix: 16)); secondary marked for a test boot")
        return applyError == nil ? nil : "failed"
    }

    /// Start (or its resume) and the BLOB transfer; nil when Start was refused, else the phase
    /// the Target reports at the end.
    func startAndTransfer(_ image: [UInt8], meta: [UInt8], blobID: UInt64) throws -> MeshDFUPhase? {
        let start = try send(MeshDFUOpcode.start.rawValue, [3] + Self.le(2, 2) + Self.le(blobID, 8) + [0] + meta) ?? [3]
        let status = MeshDFUStatus(rawValue: start[0] & 7) ?? .internalError
        let phase = MeshDFUPhase(rawValue: start[0] >> 5) ?? .unknown
        record("start", "\(status)", "BLOB id 0x\(String(blobID, radix: 16)), ttl 3, timeout base 2 → phase \(phase)")
        guard status == .success else { return nil }
        if phase == .verifyOK || phase == .verifyFail { return phase }  // already present
        let xfer = try send(BLOBOpcode.transferStart.rawValue, [0x40] + Self.le(blobID, 8) + Self.le(UInt64(image.count), 4) + [12] + Self.le(376, 2)) ?? [9]
        guard xfer[0] & 0x0F == 0 else {
            record("transfer", "BLOB status \(xfer[0] & 0x0F)", "Transfer Start refused")
            return node.update.update.phase
        }
        let chunk = options.chunkSize
        var blocks = Array(0..<((image.count + 4095) / 4096))
        if options.reorder { blocks.shuffle(using: &random) }
        var chunksSent = 0, lost = 0, rounds = 0
        for block in blocks {
            let started = try send(BLOBOpcode.blockStart.rawValue, Self.le(UInt64(block), 2) + Self.le(UInt64(chunk), 2)) ?? [9]
            guard started[0] & 0x0F == 0 else {
                let status = BLOBStatus(rawValue: started[0] & 0x0F).map { "\($0)" } ?? "\(started[0] & 0x0F)"
                record("transfer", "BLOB \(status)", "Block Start \(block) with \(chunk)-byte chunks refused")
                return node.update.update.phase
            }
            let base = block * 4096, end = min(base + 4096, image.count)
            // A block the Target already holds (a resumed transfer) reports none missing.
            if started[0] >> 6 == 1 { continue }
            var pending = Array(0..<((end - base + chunk - 1) / chunk))
            var blockRounds = 0
            while !pending.isEmpty {
                rounds += 1
                blockRounds += 1
                // A Target that never completes the block (every chunk lost, or refused): give up.
                guard blockRounds <= 100 else {
                    record("transfer", "incomplete", "block \(block) still misses \(pending.count) chunks after 100 rounds")
                    return node.update.update.phase
                }
                if options.reorder { pending.shuffle(using: &random) }
                for c in pending {
                    chunksSent += 1
                    if options.loss > 0, Double(random.next() % 1_000_000) / 1_000_000 < options.loss {
                        lost += 1
                        messages += 1  // sent, never arrived
                        airSeconds += Self.airtime(opcode: 0x66, bytes: 2 + chunk)
                        continue
                    }
                    let from = base + c * chunk
                    _ = try send(UInt16(BLOBOpcode.chunk.rawValue), Self.le(UInt64(c), 2) + Array(image[from..<min(from + chunk, end)]))
                }
                guard let report = try send(BLOBOpcode.blockGet.rawValue), report[0] & 0x0F == 0 else { break }
                switch report[0] >> 6 {
                case 1: pending = []
                case 2:
                    let bitmap = Array(report.dropFirst(5))
                    pending = pending.filter { $0 / 8 < bitmap.count && bitmap[$0 / 8] & (1 << UInt8($0 % 8)) != 0 }
                default: break
                }
            }
        }
        let get = try send(MeshDFUOpcode.get.rawValue) ?? [0]
        let end = MeshDFUPhase(rawValue: get[0] >> 5) ?? .unknown
        record("transfer", "\(end)", "\(blocks.count) blocks, \(chunksSent) chunks of \(chunk) B sent (\(lost) lost and resent), \(rounds) block rounds")
        return end
    }
}
