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

    /// Seconds `bytes` take in one direction.
    public func seconds(_ bytes: Int) -> Double {
        guard bytes > 0 else { return 0 }
        switch self {
        case .uart(let baud): return Double(bytes * 10) / Double(baud)
        case .usb: return Self.usbFrameSeconds + Double(bytes) / Self.usbBytesPerSecond
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

/// `lifeboat bench recovery`: a whole recovery (params, upload of a signed image, state read) on
/// a simulated board, timed on the virtual clock, request by request, as
///
///     request on the link + the board's flash work for it + response on the link
///
/// one after the other: the client waits for each answer (one request in flight), and the board
/// does not receive while its flash is busy (the NVMC stalls the CPU). The flash work is what
/// the real drivers cost on the board's peripheral models (datasheet timings). Not modelled yet:
/// CPU time for base64, CRC and SHA-256 at the core's clock, host turnaround, and any overlap of
/// reception with flash work, so the figure is the board's share of a recovery with an
/// instantaneous host.
///
/// The physical limit beside it comes from the same model: the slower of the flash (one sector
/// erased and written through the same driver and model, on a scratch board) and the link
/// carrying upload requests of the negotiated size in the chosen framing.
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
        public var linkSeconds: Double
        public var flashSeconds: Double
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
        /// The slot holds the image byte for byte afterwards.
        public var verified: Bool
    }

    public func run() throws -> Result {
        let policy: UploadPolicy = secondary ? .slotMapping : .primaryOnly
        let simulated = try SimulatedBoard(board: board, layout: layout, configuration: RecoveryConfiguration(policy: policy))
        simulated.framing = framing == .auto ? .console : framing
        let transport = TimedTransport(board: simulated, link: link)
        let client = SMPClient(transport: transport)
        client.framing = simulated.framing
        guard let slot = layout.slot(image: 0, slot: secondary ? 1 : 0), let device = simulated.device(for: slot) else {
            throw SimulationError("layout \(layout.name) has no \(secondary ? "secondary" : "primary") slot on a flash device")
        }
        let body = applicationBytes(count: applicationSize, seed: 0x2468_ACE1)
        var options = SigningOptions(version: ImageVersion(major: 1, minor: 0, revision: 0), slotSize: slot.size)
        options.padHeader = true
        let image = try ImageSigner(options: options).sign(body)
        guard image.count <= slot.size else {
            throw SimulationError("a \(applicationSize)-byte application signs to \(image.count) bytes, more than the \(slot.size)-byte slot")
        }

        let start = transport.seconds
        try client.readParameters()
        let uploads = try client.upload(image, image: secondary ? 2 : 0)
        _ = try client.imageStates()
        let seconds = transport.seconds - start
        let verified = device.bytes(in: slot.address..<(slot.address + image.count)) == image

        let flashLimit = try Self.flashBytesPerSecond(board: board, layout: layout, secondary: secondary)
        let linkLimit = Self.linkBytesPerSecond(link: link, framing: client.framing, messageSize: client.maxMessageSize,
                                                lineLength: client.lineLength)
        return Result(
            kibPerSecond: Double(image.count) / 1024 / seconds, seconds: seconds, linkSeconds: transport.linkSeconds,
            flashSeconds: transport.boardSeconds, limitKiBPerSecond: min(flashLimit, linkLimit) / 1024,
            flashLimitKiBPerSecond: flashLimit / 1024, linkLimitKiBPerSecond: linkLimit / 1024,
            requests: transport.requests, uploadRequests: uploads, wireBytes: transport.wireBytes, imageBytes: image.count,
            messageSize: client.maxMessageSize, verified: verified)
    }

    /// Bytes per second the slot's flash takes: one sector erased and written whole through the
    /// board's driver on a scratch board, on the virtual clock.
    static func flashBytesPerSecond(board: BoardDescription, layout: PartitionLayout, secondary: Bool) throws -> Double {
        let scratch = try SimulatedBoard(
            board: board, layout: layout, configuration: RecoveryConfiguration(policy: secondary ? .slotMapping : .primaryOnly))
        guard let area = scratch.slots.area(image: 0, slot: secondary ? 1 : 0) else {
            throw SimulationError("layout \(layout.name) has no such slot")
        }
        let sector = area.eraseSize
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

    /// Image bytes per second the link carries in full-size upload requests and their answers,
    /// in this framing (requests and answers one after the other).
    static func linkBytesPerSecond(link: BenchLink, framing: SerialFraming, messageSize: Int, lineLength: Int) -> Double {
        // A mid-upload chunk: {"off": N, "data": bstr}; the answer {"rc": 0, "off": N}.
        let overhead = SMPHeader.size + 1 + 4 + 5 + 5 + 3  // map, "off" + u32, "data" + bstr head
        let data = max(1, messageSize - overhead)
        func wire(_ message: Int) -> Int {
            var count = 0
            let bytes = [UInt8](repeating: 0x5A, count: message)
            bytes.withUnsafeBytes { SerialFrameEncoder.encode(message: $0, framing: framing, lineLength: lineLength) { count += $0.count } }
            return count
        }
        let seconds = link.seconds(wire(data + overhead)) + link.seconds(wire(SMPHeader.size + 16))
        return Double(data) / seconds
    }
}

/// The bench's transport: the simulated board's console in this process, each exchange timed on
/// the link model and the board's virtual clock.
final class TimedTransport: SMPTransport {
    let board: SimulatedBoard
    let console: SerialConsole
    let link: BenchLink
    private let port = LoopbackTransport.QueuePort()
    /// Virtual seconds so far: link time of both directions plus the board's flash work.
    private(set) var seconds = 0.0
    private(set) var linkSeconds = 0.0
    private(set) var boardSeconds = 0.0
    private(set) var wireBytes = 0
    private(set) var requests = 0

    var endpoint: String { "simulated \(board.board.name) (bench, \(link))" }

    init(board: SimulatedBoard, link: BenchLink) {
        self.board = board
        self.link = link
        self.console = SerialConsole(board: board, port: port)
    }

    func write(_ bytes: [UInt8]) throws {
        requests += 1
        wireBytes += bytes.count
        let inbound = link.seconds(bytes.count)
        let before = board.clock.seconds
        console.process(bytes)
        let busy = board.clock.seconds - before
        let outbound = port.pending.count
        wireBytes += outbound
        let reply = link.seconds(outbound)
        linkSeconds += inbound + reply
        boardSeconds += busy
        seconds += inbound + busy + reply
    }

    func read(timeout: Double) throws -> [UInt8] {
        port.take()
    }
}
