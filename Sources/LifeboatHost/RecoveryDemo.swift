import Bootloader
import Foundation
import MCUbootImage
import Recovery
import Simulation

/// Deterministic "application" bytes for test images: the top byte of each step of a linear
/// congruential generator (Numerical Recipes' constants) started at `seed`. Tests use it too.
public func applicationBytes(count: Int, seed: UInt32 = 1) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 1_664_525 &+ 1_013_904_223
        return UInt8(truncatingIfNeeded: state >> 24)
    }
}

/// The README's main job: a complete serial recovery on a simulated board, in one process,
/// driven by the same SMP client a host tool uses. Each step is timed twice: wall time here, and
/// what the board would spend (UART bytes at the console baud rate, flash operations at the
/// datasheet's worst-case timings).
public struct RecoveryDemo {
    public var board: BoardDescription
    public var layout: PartitionLayout
    public var policy: UploadPolicy = .primaryOnly
    /// Size of the generated application binary.
    public var applicationSize = 64 * 1024
    public var version = ImageVersion(major: 1, minor: 2, revision: 3)

    public init(board: BoardDescription, layout: PartitionLayout) {
        self.board = board
        self.layout = layout
    }

    /// What the demo established, for tests and the closing lines.
    public struct Result: Sendable {
        public var image: [UInt8]
        public var primaryMatches: Bool
        public var statesBefore: [ImageState]
        public var statesAfter: [ImageState]
        public var uploadRequests: Int
        public var bufferSize: Int?
        public var resets: Int
        public var flashSeconds: Double
        public var linkSeconds: Double
        /// Driver misuse the NVMC model saw (must stay empty).
        public var driverFaults: Int
        /// What the boot stage decided at the reset.
        public var boot: BootOutcome?
        /// The line the application stage printed when it started (nil if it did not start).
        public var applicationBanner: String?
        /// The image state the application reports.
        public var applicationStates: [ImageState]
    }

    /// Runs the recovery, printing the transcript through `print`.
    public func run(print: (String) -> Void) throws -> Result {
        let simulated = try SimulatedBoard(board: board, layout: layout, configuration: RecoveryConfiguration(policy: policy))
        let transport = LoopbackTransport(board: simulated, baud: board.console.baud)
        var consoleLines: [String] = []
        transport.console.log = { consoleLines.append($0) }
        // Board bring-up (the QSPI chip's wake-up and quad enable) is not part of the recovery.
        let clockAtStart = simulated.clock.seconds
        let client = SMPClient(transport: transport)
        guard let primary = layout.slot(image: 0, slot: 0), let device = simulated.device(for: primary),
            let deviceDescription = board.device(forRegion: primary.region)
        else { throw SimulationError("layout \(layout.name) has no primary slot on a flash device") }

        let body = applicationBytes(count: applicationSize, seed: 0x1234_5678)
        var options = SigningOptions(version: version, slotSize: primary.size)
        options.padHeader = true
        let image = try ImageSigner(options: options).sign(body)

        print("Lifeboat demo: serial recovery on a simulated \(board.summary)")
        print("layout \(layout.name): \(primary.name) at 0x\(hex(primary.address)), \(primary.size / 1024) KiB on \(deviceDescription.name) flash; policy \(policy == .primaryOnly ? "primary-only" : "slot-mapping")")
        print("test image: \(applicationSize)-byte application, version \(version.text), SHA-256 TLV only (\(image.count) bytes)")
        print("")
        print(pad("step", 22) + pad("result", 52) + pad("wall", 10) + "on the board")

        var stepNumber = 0
        func step<T>(_ name: String, _ body: () throws -> (T, String)) rethrows -> T {
            stepNumber += 1
            let linkBefore = transport.linkSeconds
            let flashBefore = simulated.clock.seconds
            let start = Date()
            let (value, summary) = try body()
            let wall = Date().timeIntervalSince(start)
            let boardTime = (transport.linkSeconds - linkBefore) + (simulated.clock.seconds - flashBefore)
            print(pad("\(stepNumber) \(name)", 22) + pad(summary, 52) + pad(String(format: "%.1f ms", wall * 1000), 10)
                + String(format: "%.2f s", boardTime))
            return value
        }

        let parameters = try step("mcumgr params") { () throws -> ((Int, Int)?, String) in
            let p = try client.readParameters()
            return (p, p.map { "buf_size \($0.0), buf_count \($0.1) → \(client.maxMessageSize)-byte messages" } ?? "not supported")
        }
        let before = try step("image state read") { () throws -> ([ImageState], String) in
            let s = try client.imageStates()
            return (s, s.isEmpty ? "no valid image on the board" : describe(s))
        }
        var lastReported = -1
        let requests = try step("image upload") { () throws -> (Int, String) in
            let n = try client.upload(image) { offset, total in
                let percent = offset * 100 / total
                if percent / 25 != lastReported / 25 || offset == total {
                    lastReported = percent
                    print("    upload \(String(format: "%3d", percent))%  \(offset)/\(total) bytes")
                }
            }
            return (n, "\(image.count) bytes in \(n) requests")
        }
        let after = try step("image state read") { () throws -> ([ImageState], String) in
            let s = try client.imageStates()
            return (s, s.isEmpty ? "no valid image on the board" : describe(s))
        }
        try step("os reset") { () throws -> ((), String) in
            try client.reset()
            return ((), "board reset (reset #\(simulated.resetCount)); flash kept")
        }
        // The reset ran the boot stage (Bootloader) over the board's flash.
        let booted = transport.console.lastBoot
        step("boot stage") { () -> ((), String) in
            switch booted {
            case .boot(let version)?: return ((), "primary validates: boots image 0 version \(version.text)")
            case .recovery(let reason)?: return ((), "stays in recovery: \(reason.description)")
            case .halted(let error)?: return ((), "halted: \(error)")
            case nil: return ((), "did not run")
            }
        }

        // It booted: the application stage (smp_svr stand-in) announced itself and now answers.
        let banner = consoleLines.last { $0.hasPrefix("app: ") }
        let appStates = try step("application") { () throws -> ([ImageState], String) in
            guard let banner, transport.console.stage == .application else { return ([], "did not start") }
            let s = try client.imageStates()
            return (s, String(banner.dropFirst("app: image 0 ".count)))
        }
        if let banner { print("    \(banner)") }

        let written = device.bytes(in: primary.address..<(primary.address + image.count))
        let matches = written == image
        let flashSeconds = simulated.clock.seconds - clockAtStart
        print("")
        print("check: the primary slot holds the image byte for byte: \(matches ? "yes" : "NO") (\(image.count) bytes at 0x\(hex(primary.address)))")
        let path = switch deviceDescription.controller {
        case "nvmc": "through the NVMC driver"
        case "qspi": "through the QSPI driver"
        default: "to the NOR model (\(deviceDescription.controller): no flash controller, no timings)"
        }
        print("flash: \(device.eraseCount) page erases, \(device.bytesWritten / deviceDescription.writeSize) word writes \(path) → "
              + String(format: "%.2f s", flashSeconds)
              + (["nvmc", "qspi"].contains(deviceDescription.controller) ? " on the \(board.soc)'s datasheet timings" : "") + " (virtual clock)")
        print("link: \(transport.bytesToDevice + transport.bytesFromDevice) bytes on the wire → "
              + String(format: "%.2f s", transport.linkSeconds) + " at \(board.console.baud) baud (8N1)")
        let bootsImage = booted == .boot(version: version)
        let appRuns = banner == "app: image 0 version \(version.text) running, confirmed yes"
        print("boot: the boot stage boots the recovered image: \(bootsImage ? "yes" : "NO"); the application stage runs it: \(appRuns ? "yes" : "NO")")
        print(matches && !after.isEmpty && bootsImage && appRuns ? "recovery complete" : "recovery FAILED")
        return Result(
            image: image, primaryMatches: matches, statesBefore: before, statesAfter: after, uploadRequests: requests,
            bufferSize: parameters?.0, resets: simulated.resetCount, flashSeconds: flashSeconds,
            linkSeconds: transport.linkSeconds,
            driverFaults: simulated.nvmcModels.values.reduce(0) { $0 + $1.driverFaults.count }, boot: booted,
            applicationBanner: banner, applicationStates: appStates)
    }

    private func describe(_ states: [ImageState]) -> String {
        states.map { s in
            let hash = s.hash.map { $0.prefix(4).map { String(format: "%02x", $0) }.joined() + "…" } ?? "-"
            return "slot \(s.slot): \(s.version) hash \(hash)"
        }.joined(separator: "; ")
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }

    private func hex(_ v: Int) -> String { String(v, radix: 16) }
}

