import Foundation
import MCUbootImage
import Recovery
import Simulation

/// Uploads back to back against one simulated board, in process, through the same path as
/// `lifeboat sim` (SMP client → console framing → ``Simulation/SerialConsole`` → the recovery
/// server → the real NVMC driver over its register model), watching the process's resident set.
///
/// The simulator is a long-running process: engineers leave it up for days. Anything that grows
/// per flash operation (a trace, a log, a fault list) shows up here as RSS that climbs upload after
/// upload; a flat simulator holds its RSS once the first upload has warmed up its buffers.
public struct SoakBenchmark {
    public var board: BoardDescription
    public var layout: PartitionLayout
    public var uploads: Int
    /// Size of the image (header + body + TLVs); nil: as large as the primary slot allows.
    public var imageSize: Int?

    public init(board: BoardDescription, layout: PartitionLayout, uploads: Int) {
        self.board = board
        self.layout = layout
        self.uploads = uploads
    }

    public struct Sample: Sendable {
        public var upload: Int
        public var rssBytes: Int
        public var seconds: Double
    }

    public struct Result: Sendable {
        public var uploads: Int
        public var imageBytes: Int
        /// RSS once the board is built, before the first upload.
        public var rssStart: Int
        /// RSS after the first upload (buffers and caches warmed up): the baseline for growth.
        public var rssAfterWarmUp: Int
        public var rssEnd: Int
        public var samples: [Sample]
        public var seconds: Double
        /// Every upload left the primary slot holding the image byte for byte.
        public var allVerified: Bool
        public var growthAfterWarmUp: Int { rssEnd - rssAfterWarmUp }
    }

    /// Runs the soak; `progress` gets each sample as it is taken.
    public func run(progress: (Sample) -> Void = { _ in }) throws -> Result {
        let simulated = try SimulatedBoard(board: board, layout: layout, configuration: RecoveryConfiguration(policy: .primaryOnly))
        let transport = LoopbackTransport(board: simulated, baud: nil)
        let client = SMPClient(transport: transport)
        guard let primary = layout.slot(image: 0, slot: 0), let device = simulated.device(for: primary) else {
            throw SimulationError("layout \(layout.name) has no primary slot on a flash device")
        }
        _ = try client.readParameters()
        // Two images that alternate, so every upload really rewrites the slot.
        let images = try (0..<2).map { try Self.image(seed: UInt32($0), slotSize: primary.size, size: imageSize) }
        let rssStart = Self.residentBytes()
        var rssAfterWarmUp = rssStart
        var samples: [Sample] = []
        var verified = true
        let start = Date()
        for n in 1...max(uploads, 1) {
            let image = images[n % 2]
            try client.upload(image)
            verified = verified && device.bytes(in: primary.address..<(primary.address + image.count)) == image
            let sample = Sample(upload: n, rssBytes: Self.residentBytes(), seconds: Date().timeIntervalSince(start))
            if n == 1 { rssAfterWarmUp = sample.rssBytes }
            samples.append(sample)
            progress(sample)
        }
        return Result(
            uploads: samples.count, imageBytes: images[0].count, rssStart: rssStart, rssAfterWarmUp: rssAfterWarmUp,
            rssEnd: samples.last?.rssBytes ?? rssStart, samples: samples, seconds: Date().timeIntervalSince(start),
            allVerified: verified)
    }

    /// A hash-only image filling the slot (the trailer's room left free) unless `size` is given.
    static func image(seed: UInt32, slotSize: Int, size: Int?) throws -> [UInt8] {
        // Header 0x200 + body + TLV area (4 + 36 for SHA-256) must leave the trailer's sector free.
        let bodySize = (size ?? (slotSize - 4096)) - 0x200 - 40
        guard bodySize > 0 else { throw SimulationError("image size too small") }
        let body = applicationBytes(count: bodySize, seed: 0x9E37_79B9 &* (seed &+ 1))
        var options = SigningOptions(version: ImageVersion(major: 1, minor: 0, revision: UInt16(seed)), slotSize: slotSize)
        options.padHeader = true
        return try ImageSigner(options: options).sign(body)
    }

    /// The process's resident set size (Linux: `/proc/self/statm`, second field, in pages).
    public static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
