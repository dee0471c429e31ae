import Crypto
import Foundation
import MCUbootImage
import Recovery
import SMP
import Simulation

/// The link between host and board, as the bench times it.
public enum BenchLink: Equatable, Sendable, CustomStringConvertible {
    /// A UART, 8N1 (10 bits a byte) at `baud`.
    case uart(baud: Int)
    /// USB CDC-ACM: 1 ms of frame latency per transfer and direction, then the measured ceiling
    /// of Zephyr's stack, ≈ 330 kB/s (performance-anchors.md §1.5: nRF5340 330 kB/s, nRF52840
    /// up to ≈ 338 kB/s after zephyr#99838).
    case usb

    public static let usbBytesPerSecond = 330_000.0
    public static let usbFrameSeconds = 0.001

    /// Seconds `bytes` take in one direction: ``latency`` plus ``occupancy(_:)``.
    public func seconds(_ bytes: Int) -> Double {
        guard bytes > 0 else { return 0 }
        return latency + occupancy(bytes)
    }

    /// Seconds `bytes` hold one direction of the link (the next transfer waits for them): UART
    /// 10 bits a byte; USB the measured ceiling.
    public func occupancy(_ bytes: Int) -> Double {
        switch self {
        case .uart(let baud): Double(bytes * 10) / Double(baud)
        case .usb: Double(bytes) / Self.usbBytesPerSecond
        }
    }

    /// Seconds from the end of a transfer's bytes on the link to their arrival, which a following
    /// transfer in the same direction overlaps: none on a UART, one 1 ms frame on USB.
    public var latency: Double {
        switch self {
        case .uart: 0
        case .usb: Self.usbFrameSeconds
        }
    }

    /// Parses `uart:BAUD` or `usb`.
    public init?(parsing text: String) {
        if text == "usb" { self = .usb; return }
        guard text.hasPrefix("uart:"), let baud = Int(text.dropFirst(5)), baud > 0 else { return nil }
        self = .uart(baud: baud)
    }

    public var description: String {
        switch self {
        case .uart(let baud): "UART \(baud) baud"
        case .usb: "USB CDC-ACM"
        }
    }
}

/// The client side of a bench run.
public enum BenchClient: String, CaseIterable, Sendable {
    /// Lifeboat's client against Lifeboat's server: the message size and the number of requests in
    /// flight from MCUmgr params (`buf_size`, `buf_count`), progressive erase.
    case lifeboat
    /// MCUboot's defaults with the mcumgr Go client, as MCUboot's documented figures were taken:
    /// `buf_count` 1, the whole slot erased at `off` 0 (no `MCUBOOT_ERASE_PROGRESSIVELY`), and the
    /// client's framing from newtmgr `nmserial/serial_xport.go` (mcuboot-serial-recovery.md §1.3,
    /// host-clients.md): SMP messages of `mtu · 3/4 − 13` bytes (`mtu` 512 by default: 371 B),
    /// 124-character lines, a 20 ms sleep before each continuation line, one request at a time,
    /// no MCUmgr params.
    case mcubootDefaults = "mcuboot-defaults"
}

/// `lifeboat bench recovery`: a whole recovery (params, upload of a signed image, state read) on
/// a simulated board, timed on the virtual clock as a pipeline of three resources, each used by
/// one transfer at a time:
///
///     host → link (uplink) → a receive buffer → the board (decode, flash work) → link (downlink) → host
///
/// A request goes on the uplink when the host sends it and the uplink is free; it reaches the
/// board after its bytes and the link's latency, into one of the board's receive buffers (the
/// nRF UARTE's EasyDMA keeps receiving into RAM while the NVMC stalls the CPU; USB endpoints do
/// the same). The board takes requests in order, one at a time: their flash work is what the real
/// drivers cost on the board's peripheral models (datasheet timings). The answer then waits for
/// the downlink. With one receive buffer and one request in flight (MCUboot) every step waits
/// for the one before, and the total is link + flash + link per request; with two buffers and a
/// client that keeps two requests in flight, the next request is on the wire while the board
/// writes the last one. A request that would arrive with no free buffer is an overrun (counted;
/// a client that keeps to `buf_count` never causes one). The board's CPU time is counted too, at
/// the descriptor's `cpu-clock-hz`: decoding each request's bytes (base64 or COBS, CRC-16) and, for
/// the last chunk of an upload with a `sha`, hashing the image read back (Zephyr's `match`), from
/// instruction counts of the boot stage's own code (``decodeCyclesPerWireByte(_:)``). Not
/// modelled: host turnaround (0 for Lifeboat's client).
///
/// The physical limit beside it comes from the same model: the slower of the flash (its largest
/// erase unit erased and written through the same driver and model, on a scratch board) and the
/// uplink carrying upload requests of the negotiated size in the chosen framing.
public struct RecoveryBench {
    public var board: BoardDescription
    public var layout: PartitionLayout
    public var link: BenchLink
    public var framing: SerialFraming
    /// Size of the application binary before signing.
    public var applicationSize: Int
    /// Upload into image 0's secondary slot (slot-mapping policy, image number 2) instead of
    /// the primary.
    public var secondary = false
    /// Who talks to whom (``BenchClient``).
    public var client = BenchClient.lifeboat
    /// Receive buffers of the board (its `buf_count`); nil: 2 for Lifeboat, MCUboot's 1 for
    /// `mcubootDefaults`.
    public var receiveBuffers: Int?
    /// Start with the slot erased (a new board); by default it holds an older image of the same
    /// size, as in a recovery that replaces a broken application.
    public var erasedSlot = false
    /// With `mcubootDefaults`: mcumgr's `mtu=` (its messages are `mtu · 3/4 − 13` bytes).
    public var mcumgrMTU = 512

    public init(board: BoardDescription, layout: PartitionLayout, link: BenchLink, framing: SerialFraming, applicationSize: Int) {
        self.board = board
        self.layout = layout
        self.link = link
        self.framing = framing
        self.applicationSize = applicationSize
    }

    public struct Result: Sendable, Equatable {
        /// Image bytes per second of the whole recovery, in KiB/s.
        public var kibPerSecond: Double
        public var seconds: Double
        /// Time the link carried bytes (both directions, latency included): with requests in
        /// flight it overlaps the flash work, so `linkSeconds + flashSeconds` may exceed `seconds`.
        public var linkSeconds: Double
        /// Time the board's flash work took (a whole-slot erase included).
        public var flashSeconds: Double
        /// The board's CPU time: decoding every request's bytes, and hashing the image read back
        /// after the last chunk of an upload with a `sha`. Decoding overlaps reception where the
        /// board is idle (a UART's pace), so not all of it adds to `seconds`.
        public var cpuSeconds: Double
        /// The physical limit of this board, slot and link in this framing, KiB/s.
        public var limitKiBPerSecond: Double
        public var flashLimitKiBPerSecond: Double
        public var linkLimitKiBPerSecond: Double
        /// Requests of the whole recovery (params, upload chunks, state read).
        public var requests: Int
        public var uploadRequests: Int
        /// Bytes on the wire, both directions.
        public var wireBytes: Int
        public var imageBytes: Int
        public var messageSize: Int
        /// Upload requests the client kept in flight (1: one at a time).
        public var window: Int
        /// Requests that arrived with every receive buffer busy (0 for a client within `buf_count`).
        public var overruns: Int
        /// The slot holds the image byte for byte afterwards.
        public var verified: Bool
    }

    public func run() throws -> Result {
        let policy: UploadPolicy = secondary ? .slotMapping : .primaryOnly
        let mcuboot = client == .mcubootDefaults
        let buffers = max(1, receiveBuffers ?? (mcuboot ? 1 : 2))
        let simulated = try SimulatedBoard(
            board: board, layout: layout, configuration: RecoveryConfiguration(policy: policy, receiveBufferCount: buffers))
        simulated.framing = framing == .auto ? .console : framing
        guard let slot = layout.slot(image: 0, slot: secondary ? 1 : 0), let device = simulated.device(for: slot) else {
            throw SimulationError("layout \(layout.name) has no \(secondary ? "secondary" : "primary") slot on a flash device")
        }
        let image = try Self.signedImage(applicationSize, slotSize: slot.size, version: ImageVersion(major: 1, minor: 0, revision: 0))
        if !erasedSlot {
            // The application being replaced: another image of the same size (set-up, not timed).
            let old = try Self.signedImage(applicationSize, slotSize: slot.size, version: ImageVersion(major: 0, minor: 9, revision: 0), seed: 0x1357_9BDF)
            do { try device.load(old, at: slot.address) } catch { throw SimulationError("cannot place the old image: \(error)") }
        }
        let transport = TimedTransport(board: simulated, link: link, receiveBuffers: buffers)
        transport.cpuSecondsPerWireByte = Self.decodeCyclesPerWireByte(simulated.framing) / Double(board.cpuClockHz)
        transport.cpuSecondsPerHashedByte = Self.sha256CyclesPerByte / Double(board.cpuClockHz)
        let smp = SMPClient(transport: transport)
        smp.framing = simulated.framing
        let start = transport.seconds
        if mcuboot {
            let message = Self.mcumgrMessageSize(mtu: mcumgrMTU)
            guard Self.mcumgrMTUs.contains(mcumgrMTU) else {
                throw SimulationError("mcumgr mtu \(mcumgrMTU) makes \(message)-byte messages; the recovery server takes 64…\(SerialFrameDecoder.maxConsoleMessage) (mtu \(Self.mcumgrMTUs.lowerBound)…\(Self.mcumgrMTUs.upperBound))")
            }
            transport.continuationLinePause = Self.mcumgrLinePause
            smp.lineLength = Self.mcumgrLineLength
            smp.window = 1
            smp.maxMessageSize = message
            // No MCUmgr params; the whole slot is erased before the first chunk is written.
            transport.nextRequestExtraSeconds = try Self.slotEraseSeconds(board: board, layout: layout, secondary: secondary)
        } else {
            try smp.readParameters()
        }
        // Lifeboat's client sends the file's SHA-256 (resume, and the device's `match`), as
        // `lifeboat device upload` does; mcumgr's goes unused by MCUboot.
        let uploads = try smp.upload(image, image: secondary ? 2 : 0, sha: mcuboot ? nil : Array(Crypto.SHA256.hash(data: image)))
        _ = try smp.imageStates()
        let seconds = transport.seconds - start
        let verified = device.bytes(in: slot.address..<(slot.address + image.count)) == image

        let flashLimit = try Self.flashBytesPerSecond(board: board, layout: layout, secondary: secondary)
        let linkLimit = Self.linkBytesPerSecond(link: link, framing: smp.framing, messageSize: smp.maxMessageSize,
                                                lineLength: smp.lineLength)
        return Result(
            kibPerSecond: Double(image.count) / 1024 / seconds, seconds: seconds, linkSeconds: transport.linkSeconds,
            flashSeconds: transport.flashSeconds, cpuSeconds: transport.cpuSeconds, limitKiBPerSecond: min(flashLimit, linkLimit) / 1024,
            flashLimitKiBPerSecond: flashLimit / 1024, linkLimitKiBPerSecond: linkLimit / 1024,
            requests: transport.requests, uploadRequests: uploads, wireBytes: transport.wireBytes, imageBytes: image.count,
            messageSize: smp.maxMessageSize, window: smp.uploadWindow,
            overruns: transport.overruns, verified: verified)
    }

    /// Cortex-M4 cycles per byte on the wire that the recovery link's decoder spends on a
    /// full-size frame (tools/icount-crypto: the boot stage's code, Embedded Swift -Osize with full
    /// LTO, the counter's cycle estimate at P=2, 2026-12-04).
    public static func decodeCyclesPerWireByte(_ framing: SerialFraming) -> Double {
        switch framing {
        case .console, .auto: consoleDecodeCyclesPerByte
        case .cobs: cobsDecodeCyclesPerByte
        case .raw: rawDecodeCyclesPerByte
        }
    }
    /// 358,097 cycles for a 2801-byte frame (a 2044-byte message, base64 and CRC-16).
    static let consoleDecodeCyclesPerByte = 127.8
    /// 199,731 cycles for a 2059-byte COBS frame of a 2048-byte message.
    static let cobsDecodeCyclesPerByte = 97.0
    /// 122,908 cycles for a 2048-byte raw message.
    static let rawDecodeCyclesPerByte = 60.0
    /// SHA-256 (same tool and build, the eight-round loop of 2026-12-06): 234,687 cycles for 4 KiB.
    public static let sha256CyclesPerByte = 57.3

    /// The mcumgr Go client's console lines: 124 base64 characters behind the 2-byte marker.
    public static let mcumgrLineLength = 128
    /// newtmgr's sleep before each continuation line.
    public static let mcumgrLinePause = 0.020
    /// The SMP message newtmgr's serial transport sends for `mtu`.
    public static func mcumgrMessageSize(mtu: Int) -> Int { mtu * 3 / 4 - 13 }
    /// The `mtu` range whose messages this server takes: 64 bytes (the smallest message the
    /// client accepts) up to its 2 KiB reassembly buffer.
    public static let mcumgrMTUs = ((64 + 13) * 4 + 2) / 3...(SerialFrameDecoder.maxConsoleMessage + 13) * 4 / 3

    /// A signed image of an `applicationSize`-byte application for a slot of `slotSize`.
    static func signedImage(_ applicationSize: Int, slotSize: Int, version: ImageVersion, seed: UInt32 = 0x2468_ACE1) throws -> [UInt8] {
        let body = applicationBytes(count: applicationSize, seed: seed)
        var options = SigningOptions(version: version, slotSize: slotSize)
        options.padHeader = true
        let image = try ImageSigner(options: options).sign(body)
        guard image.count <= slotSize else {
            throw SimulationError("a \(applicationSize)-byte application signs to \(image.count) bytes, more than the \(slotSize)-byte slot")
        }
        return image
    }

    /// A scratch board of the same kind, for timing flash work outside the run.
    static func scratchSlot(board: BoardDescription, layout: PartitionLayout, secondary: Bool) throws -> (SimulatedBoard, BoardSlots.Area) {
        let scratch = try SimulatedBoard(
            board: board, layout: layout, configuration: RecoveryConfiguration(policy: secondary ? .slotMapping : .primaryOnly))
        guard let area = scratch.slots.area(image: 0, slot: secondary ? 1 : 0) else {
            throw SimulationError("layout \(layout.name) has no such slot")
        }
        return (scratch, area)
    }

    /// Seconds the slot's whole erase takes (MCUboot without progressive erase, at `off` 0).
    static func slotEraseSeconds(board: BoardDescription, layout: PartitionLayout, secondary: Bool) throws -> Double {
        let (scratch, area) = try scratchSlot(board: board, layout: layout, secondary: secondary)
        let before = scratch.clock.seconds
        do { try area.erase(at: 0, count: area.size) } catch { throw SimulationError("timing the slot's erase failed: \(error)") }
        return scratch.clock.seconds - before
    }

    /// Bytes per second the slot's flash takes: its largest erase unit (a sector; a 64 KiB block
    /// on SPI NOR, as progressive erase uses) erased and written whole through the board's driver
    /// on a scratch board, on the virtual clock.
    static func flashBytesPerSecond(board: BoardDescription, layout: PartitionLayout, secondary: Bool) throws -> Double {
        let (scratch, area) = try scratchSlot(board: board, layout: layout, secondary: secondary)
        let sector = min(area.blockEraseSize, area.size)
        let data = [UInt8](repeating: 0x5A, count: sector)
        let before = scratch.clock.seconds
        do {
            try area.erase(at: 0, count: sector)
            try data.withUnsafeBufferPointer { try area.write(at: 0, Span(_unsafeElements: $0)) }
        } catch {
            throw SimulationError("timing a sector of the slot failed: \(error)")
        }
        return Double(sector) / (scratch.clock.seconds - before)
    }

    /// Image bytes per second the link carries in full-size upload requests, in this framing:
    /// the uplink's share (the answers travel the other way at the same time).
    static func linkBytesPerSecond(link: BenchLink, framing: SerialFraming, messageSize: Int, lineLength: Int) -> Double {
        // A mid-upload chunk: {"off": N, "data": bstr}; the answer {"rc": 0, "off": N}.
        let overhead = SMPHeader.size + 1 + 4 + 5 + 5 + 3  // map, "off" + u32, "data" + bstr head
        let data = max(1, messageSize - overhead)
        var count = 0
        let bytes = [UInt8](repeating: 0x5A, count: data + overhead)
        bytes.withUnsafeBytes { SerialFrameEncoder.encode(message: $0, framing: framing, lineLength: lineLength) { count += $0.count } }
        return Double(data) / link.occupancy(count)
    }
}

/// The bench's transport: the simulated board's console in this process, each exchange placed on
/// the pipeline of ``RecoveryBench`` (uplink, receive buffers, board, downlink) on virtual time.
final class TimedTransport: SMPTransport {
    let board: SimulatedBoard
    let console: SerialConsole
    let link: BenchLink
    let receiveBuffers: Int
    /// The mcumgr Go client's pause before each continuation line of a console frame (0: none).
    var continuationLinePause = 0.0
    /// Board time added to the next request only (MCUboot's whole-slot erase at the first chunk).
    var nextRequestExtraSeconds = 0.0
    /// The board's CPU time per request byte (decoding) and per byte of an upload's final hash.
    var cpuSecondsPerWireByte = 0.0
    var cpuSecondsPerHashedByte = 0.0
    private let port = LoopbackTransport.QueuePort()
    /// The host's time: when it last sent, or received the answer it waited for.
    private var hostTime = 0.0
    private var uplinkFree = 0.0
    private var downlinkFree = 0.0
    private var boardFree = 0.0
    /// When each of the last `receiveBuffers` requests left its buffer (processing done).
    private var buffersFreeAt: [Double] = []
    /// Answers on their way to the host, with their arrival times.
    private var answers: [(at: Double, bytes: [UInt8])] = []
    /// Virtual seconds so far: when the host received the last answer it read.
    var seconds: Double { hostTime }
    private(set) var linkSeconds = 0.0
    /// The board's flash work, and its CPU time (decoding, the final hash).
    private(set) var flashSeconds = 0.0
    private(set) var cpuSeconds = 0.0
    private(set) var wireBytes = 0
    private(set) var requests = 0
    private(set) var overruns = 0

    var endpoint: String { "simulated \(board.board.name) (bench, \(link))" }

    init(board: SimulatedBoard, link: BenchLink, receiveBuffers: Int) {
        self.board = board
        self.link = link
        self.receiveBuffers = max(1, receiveBuffers)
        self.console = SerialConsole(board: board, port: port)
    }

    func write(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        requests += 1
        wireBytes += bytes.count
        // Uplink: the request's bytes (line by line, with the client's pauses, if it makes any).
        var sendAt = hostTime
        var firstByteAt: Double?
        for (index, line) in lines(of: bytes).enumerated() {
            if index > 0 { sendAt += continuationLinePause }
            let start = max(sendAt, uplinkFree)
            if firstByteAt == nil { firstByteAt = start }
            uplinkFree = start + link.occupancy(line)
            linkSeconds += link.occupancy(line)
        }
        linkSeconds += link.latency
        hostTime = sendAt
        let arrival = uplinkFree + link.latency
        // A receive buffer must be free when the request starts to arrive.
        if buffersFreeAt.count == receiveBuffers {
            if firstByteAt! < buffersFreeAt.removeFirst() { overruns += 1 }
        }
        // The board: in order, one request at a time. It decodes a request's bytes as they come
        // once it is free (at a UART's pace the CPU keeps up and the decoding hides in the
        // reception; bytes that waited in a buffer during the last request's flash work are
        // decoded after it), then does the request's flash work (the NVMC halts the CPU).
        let before = board.clock.seconds
        let wasComplete = board.link.server.upload.isComplete
        console.process(bytes)
        let decode = Double(bytes.count) * cpuSecondsPerWireByte
        let flash = board.clock.seconds - before + nextRequestExtraSeconds
        nextRequestExtraSeconds = 0
        let upload = board.link.server.upload
        let hash = !wasComplete && upload.isComplete && upload.checksSHA ? Double(upload.imageSize) * cpuSecondsPerHashedByte : 0
        let decodeStart = max(firstByteAt! + link.latency, boardFree)
        let decoded = max(arrival, decodeStart + decode)
        flashSeconds += flash
        cpuSeconds += decode + hash
        let done = decoded + flash + hash
        boardFree = done
        buffersFreeAt.append(done)
        // Downlink: the answer.
        let answer = port.take()
        guard !answer.isEmpty else { return }
        wireBytes += answer.count
        let start = max(done, downlinkFree)
        downlinkFree = start + link.occupancy(answer.count)
        linkSeconds += link.occupancy(answer.count) + link.latency
        answers.append((downlinkFree + link.latency, answer))
    }

    func read(timeout: Double) throws -> [UInt8] {
        guard !answers.isEmpty else { return [] }
        let (at, bytes) = answers.removeFirst()
        hostTime = max(hostTime, at)
        return bytes
    }

    /// The request's console lines (each ends in a newline), or the whole request in a binary framing.
    private func lines(of bytes: [UInt8]) -> [Int] {
        guard continuationLinePause > 0 else { return [bytes.count] }
        var counts: [Int] = []
        var current = 0
        for byte in bytes {
            current += 1
            if byte == 0x0A { counts.append(current); current = 0 }
        }
        if current > 0 { counts.append(current) }
        return counts
    }
}
