import ArgumentParser
import Foundation
import LifeboatHost
import MCUbootImage
import Recovery
import Simulation

struct Sim: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a simulated board with MCUboot serial recovery on a pseudo-terminal.",
        discussion: """
            Prints `serial: /dev/pts/N` on stdout when the board is ready; point smpmgr, mcumgr \
            or any terminal at that path (e.g. `smpmgr --port /dev/pts/N image state-read`). \
            `os reset` reboots the simulated board: the upload in progress is forgotten, flash \
            is kept, the pty stays. At start and after every reset the boot stage runs and logs \
            its decision and each flash step on stderr (an upgrade requested in a secondary's \
            trailer, e.g. an imgtool --pad --confirm image, is carried out); there is no \
            application stage yet, so the board then stays in recovery. Frames that fail (bad CRC, bad base64, over-long line) get \
            no SMP reply, as in MCUboot, but a plain-text line on the console and on stderr.
            Stop with Ctrl-C.
            """,
        subcommands: [Sweep.self]
    )

    @Option(help: "Board descriptor name (Boards/<name>/board.yml).")
    var board = "nrf52840dk"

    @Option(help: "Layout name (Layouts/<name>.yml) or path to a pm_static.yml-style file. Default: the board's name.")
    var layout: String?

    @Option(help: "Upload policy: primary-only (image N → primary slot of image N) or slot-mapping (0/1 → slot 0, 2 → slot 1, …).")
    var policy: PolicyOption = .primaryOnly

    @Option(help: "Keep each flash device as a raw file DIR/<device>.bin (internal.bin, …) so flash survives restarts.")
    var state: String?

    @Option(name: .customLong("key"), help: "Trust this public (or private) key PEM; repeat for several keys. Without --key, images need only a valid SHA-256 TLV.")
    var keys: [String] = []

    @Flag(help: "Use stdin/stdout as the serial port instead of a pseudo-terminal (status goes to stderr).")
    var stdio = false

    @Flag(help: "Do not write dropped-frame diagnostics on the serial console (stderr only).")
    var quietConsole = false

    func run() throws {
        let trusted = try keys.map { path in
            do { return try PublicKey.load(path: path) } catch { throw CLIError("\(error)") }
        }
        let board = try loadSimulatedBoard(
            board: self.board, layout: layout, policy: policy, state: state,
            imagePolicy: ImagePolicy(trustedKeys: trusted.map(\.trustedKey)))
        let port: SerialPort
        if stdio {
            port = StandardIOPort()
            printStatus("serial: stdio")
        } else {
            let pty = try PseudoTerminal()
            port = pty
            FileHandle.standardOutput.write(Data("serial: \(pty.path)\n".utf8))
        }
        printStatus(
            "\(board.board.summary): layout \(board.layout.name), policy \(policy.rawValue), " +
                "\(board.slots.imageCount) image(s); " +
                (state.map { "flash in \($0)" } ?? "flash in memory (use --state DIR to keep it)"))
        if trusted.isEmpty {
            printStatus("no signature keys: images need only a valid SHA-256 TLV (MCUboot built without a signature type)")
        } else {
            for (path, key) in zip(keys, trusted) {
                printStatus("trusted key: \(key.type.rawValue) \(path) (KEYHASH \(key.keyHash.prefix(4).map { String(format: "%02x", $0) }.joined())…); images must carry its signature")
            }
        }
        let console = SerialConsole(board: board, port: port, log: printStatus)
        console.diagnosticsOnConsole = !quietConsole
        console.runBootStage()
        signal(SIGINT) { _ in stopRequested = 1 }
        signal(SIGTERM) { _ in stopRequested = 1 }
        // A parent may have started us with these blocked (a libdispatch worker's signal mask is
        // inherited through posix_spawn); Ctrl-C and kill must still stop the simulator.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &stopSignals, nil)
        console.run(shouldStop: { stopRequested != 0 })
        for device in board.devices.values { try? device.sync() }
        printStatus("stopped")
    }
}

nonisolated(unsafe) var stopRequested: sig_atomic_t = 0

enum PolicyOption: String, ExpressibleByArgument, CaseIterable {
    case primaryOnly = "primary-only"
    case slotMapping = "slot-mapping"

    var policy: UploadPolicy { self == .primaryOnly ? .primaryOnly : .slotMapping }
}

/// Loads board + layout descriptors and builds the simulated board, with clear errors.
func loadSimulatedBoard(
    board name: String, layout: String?, policy: PolicyOption, state: String?, imagePolicy: ImagePolicy = ImagePolicy()
) throws -> SimulatedBoard {
    let (board, layout) = try loadPair(board: name, layout: layout ?? name)
    do {
        return try SimulatedBoard(
            board: board, layout: layout,
            configuration: RecoveryConfiguration(policy: policy.policy, imagePolicy: imagePolicy), stateDirectory: state)
    } catch {
        throw CLIError(error.description)
    }
}

func printStatus(_ line: String) {
    FileHandle.standardError.write(Data(("lifeboat: " + line + "\n").utf8))
}
