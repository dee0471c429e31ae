import ArgumentParser
import Foundation
import LifeboatHost
import MCUbootImage
import Simulation

extension Sim {
    struct MeshUpdate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mesh-update",
            abstract: "Update a simulated board through its Bluetooth Mesh DFU Target, driven by a simulated Distributor.",
            discussion: """
                The board runs a 1.0.0 image (or --running FILE) in its primary slot; a simulated \
                Distributor sends it FILE over an in-process access-layer link: Firmware Update \
                Info Get, Metadata Check, Start, the BLOB (4 KiB blocks, --chunk-size chunks; \
                --loss drops chunks, which a Block Get finds missing and the Distributor sends \
                again; --reorder shuffles blocks and chunks), verify (the boot stage's full image \
                validation), Apply (the secondary is marked for a test boot), the reboot (the \
                boot stage swaps), the new image's firmware id, its confirm (--no-confirm: it \
                never confirms, the next reset reverts), applied. --cut-at N cuts the power after \
                N messages: the Target comes back with its persisted update record and the \
                Distributor resumes with an identical Start. Each step is printed with its \
                virtual time (20 ms per network PDU plus the board's flash time); --json prints \
                one object with result, running_version and phases. Exit status 0 when the \
                update ends as asked (applied, or reverted with --no-confirm), 1 otherwise.
                """)

        @Argument(help: "The signed image to send (an MCUboot image; its header's version goes into the metadata).")
        var file: String

        @Option(help: "Board descriptor name.")
        var board = "nrf52840dk"

        @Option(help: "Layout name or file (default: the board's); it needs a secondary slot.")
        var layout: String?

        @Option(help: "The image running before the update (default: a 1.0.0 image made here, SHA-256 only).")
        var running: String?

        @Option(name: .customLong("key"), help: "Trust this public (or private) key PEM for validation; repeat for several. Needs --running signed with it.")
        var keys: [String] = []

        @Option(help: "Share of chunks lost on the way, 0 to below 1.")
        var loss = 0.0

        @Flag(help: "Send the blocks, and the chunks inside each block, in random order.")
        var reorder = false

        @Option(help: "Cut the Target's power after this many messages.")
        var cutAt: Int?

        @Flag(help: "The new image never confirms itself: the next reset reverts to the old one.")
        var noConfirm = false

        @Option(help: "Chunk size in bytes (a multiple of the flash write size, at most 372).")
        var chunkSize = 208

        @Option(help: "Seed of the losses, the order and the BLOB id.")
        var seed: UInt64 = 1

        @Flag(help: "Print one JSON object instead of the step log.")
        var json = false

        func validate() throws {
            guard (0..<1).contains(loss) else { throw ValidationError("--loss must be at least 0 and below 1") }
            guard chunkSize > 0 else { throw ValidationError("--chunk-size must be more than 0") }
            if let cutAt { guard cutAt >= 0 else { throw ValidationError("--cut-at must be 0 or more") } }
            guard keys.isEmpty || running != nil else {
                throw ValidationError("--key needs --running: the image made here has no signature, so the board would not boot it")
            }
        }

        func run() throws {
            let trusted = try keys.map { path in
                do { return try PublicKey.load(path: path) } catch { throw CLIError("\(error)") }
            }
            let simulated = try loadSimulatedBoard(
                board: board, layout: layout, policy: .slotMapping, state: nil,
                imagePolicy: ImagePolicy(trustedKeys: trusted.map(\.trustedKey)))
            guard let primary = simulated.layout.slot(image: 0, slot: 0), simulated.layout.slot(image: 0, slot: 1) != nil else { throw CLIError("layout \(simulated.layout.name) has no mcuboot_primary and mcuboot_secondary: the Mesh DFU Target writes into the secondary slot") }
            guard let image = FileManager.default.contents(atPath: file).map(Array.init) else { throw CLIError("cannot read \(file)") }
            let before: [UInt8]
            if let running {
                guard let bytes = FileManager.default.contents(atPath: running) else { throw CLIError("cannot read \(running)") }
                before = Array(bytes)
            } else {
                var options = SigningOptions(version: ImageVersion(major: 1, minor: 0, revision: 0), slotSize: primary.size)
                options.padHeader = true
                options.align = 4
                before = try ImageSigner(options: options).sign(applicationBytes(count: 24_000, seed: 1))
            }
            guard let device = simulated.device(for: primary), let description = simulated.board.device(forRegion: primary.region) else {
                throw CLIError("the board has no flash for \(primary.region)")
            }
            do { try device.load(before, at: primary.address - description.base) } catch { throw CLIError("cannot load the running image: \(error)") }
            var options = MeshUpdateOptions()
            options.loss = loss
            options.reorder = reorder
            options.cutAt = cutAt
            options.confirm = !noConfirm
            options.chunkSize = chunkSize
            options.seed = seed
            let report = MeshDistributor(board: simulated, options: options).update(image)
            let expected = noConfirm ? "reverted" : "applied"
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                for phase in report.phases {
                    let time = String(format: "%9.3f s", phase.virtualTime)
                    print("\(time)  \(phase.name.padding(toLength: 15, withPad: " ", startingAt: 0)) \(phase.status.padding(toLength: 22, withPad: " ", startingAt: 0)) \(phase.detail)")
                }
                let why = report.reason.map { " (\($0))" } ?? ""
                print("mesh-update: \(report.result)\(why), running \(report.runningVersion); \(report.messages) messages, \(String(format: "%.1f", report.virtualSeconds)) s virtual")
            }
            if report.result != expected { throw ExitCode(1) }
        }
    }
}
