import ArgumentParser
import Bootloader
import Foundation
import LifeboatHost
import MCUbootImage
import Recovery
import Simulation
import SMP

extension SerialFraming: ExpressibleByArgument {}

/// `lifeboat sim`: the simulator (`run`, the default) and its power-cut sweeps (`sweep`).
struct Sim: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a simulated board (boot stage, serial recovery, application stage) on a pseudo-terminal, or sweep power cuts.",
        discussion: """
            `lifeboat sim [run] [options]` runs the board (see `lifeboat sim run --help` for its \
            options: --board, --layout, --policy, --state, --key, --strategy, --button, \
            --wait-for-dfu, --framing, --realtime, --stdio, --tcp). `lifeboat sim sweep` cuts the power at every flash \
            operation of a scenario (see `lifeboat sim sweep --help`). `lifeboat sim mesh-update FILE` \
            updates a simulated board through its Bluetooth Mesh DFU Target (see `lifeboat sim mesh-update --help`).
            """,
        subcommands: [SimRun.self, Sweep.self, MeshUpdate.self],
        defaultSubcommand: SimRun.self
    )
}

struct SimRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a simulated board with MCUboot serial recovery on a pseudo-terminal.",
        discussion: """
            Prints `serial: /dev/pts/N` on stdout when the board is ready; point smpmgr, mcumgr \
            or any terminal at that path (e.g. `smpmgr --port /dev/pts/N image state-read`). \
            `os reset` reboots the simulated board: RAM state (an upload in progress) is \
            forgotten, flash is kept, the pty stays. At start and after every reset the boot \
            stage runs, in MCUboot's order, and logs its decision and each swap step on stderr: \
            the recovery button (--button), pending upgrades (test, permanent, revert; \
            --strategy), the primary's validation, the retained boot mode. With no bootable \
            image, or when asked, it serves serial recovery. Otherwise it boots: the \
            application stage, a stand-in for a Zephyr smp_svr application, prints \
            `app: image 0 version X running, confirmed yes|no` and answers MCUmgr on the same \
            port (image upload into the free slot, state-read, state-write test/confirm, erase, \
            os reset with boot_mode 1 to enter recovery, enumeration group). Frames that fail \
            (bad CRC, bad base64, over-long line) get no SMP reply, as in MCUboot, but a \
            plain-text line on the console and on stderr. Stop with Ctrl-C. \
            --framing raw|cobs serves MCUboot's raw protocol or its COBS framing instead \
            (smpclient's SMPSerialRawTransport, bare or with framing=Cobs()), and auto all three, \
            each reply in its request's framing; with raw or cobs no plain text goes on the console. \
            `lifeboat sim sweep` runs power-cut sweeps instead (see its --help).
            """
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

    @Option(help: "Serve the serial port on this TCP port of localhost instead of a pseudo-terminal, as QEMU's `-serial tcp::PORT,server=on` does (0: any free port). Prints `tcp: localhost:PORT`; one client at a time.")
    var tcp: UInt16?

    @Flag(help: "Do not write dropped-frame diagnostics on the serial console (stderr only).")
    var quietConsole = false

    @Flag(help: "Hold the recovery button (the board descriptor's pin) at every reset: the boot stage enters serial recovery before anything else.")
    var button = false

    @Option(help: "Upgrade strategy of the boot stage: swap-move (MCUboot's default; test, confirm, revert), swap-scratch (layouts with mcuboot_scratch, e.g. --layout nrf52840dk_scratch) or overwrite (no revert).")
    var strategy: UpgradeStrategy = .swapUsingMove

    @Option(name: .customLong("wait-for-dfu"), help: "After deciding to boot, listen this many milliseconds for an SMP frame; one latches serial recovery until reset (MCUboot's BOOT_SERIAL_WAIT_FOR_DFU, e.g. 500).")
    var waitForDFU = 0

    @Option(help: "Serial framing: console (MCUboot's default: base64 lines with a CRC), raw (CONFIG_BOOT_SERIAL_RAW_PROTOCOL: bare SMP messages), cobs (COBS + CRC-16, smpclient's Cobs()), or auto (each request in whichever it comes; the reply in the same).")
    var framing: SerialFraming = .console

    @Flag(help: "Pace the port to the board: each answer is held for the time the board would take (the request's bytes on --link, the flash work on the datasheet timings, the answer's bytes), so clients see its real speed and timeouts.")
    var realtime = false

    @Option(help: "With --realtime: uart:BAUD (default: the board's console baud) or usb (CDC-ACM).")
    var link: String?

    @Option(name: .customLong("raw-timeout"), help: "Milliseconds of silence after which a partial raw message is dropped (raw and auto framings; MCUboot's BOOT_SERIAL_RAW_PROTOCOL_INPUT_TIMEOUT_MS).")
    var rawTimeout = 3000

    @Option(help: "Receive buffers the boot stage reports as buf_count in MCUmgr params (1: MCUboot's; 2 or more: a client may keep that many requests in flight, e.g. lifeboat device upload).")
    var receiveBuffers = 1

    func validate() throws {
        if let link { guard BenchLink(parsing: link) != nil else { throw ValidationError("--link is uart:BAUD (e.g. uart:115200) or usb") } }
        guard (1...SMPClient.maxWindow).contains(receiveBuffers) else { throw ValidationError("--receive-buffers is 1 to \(SMPClient.maxWindow)") }
        guard rawTimeout > 0 else { throw ValidationError("--raw-timeout must be at least 1 millisecond") }
        guard waitForDFU >= 0 else { throw ValidationError("--wait-for-dfu must be 0 or more milliseconds") }
        guard !(stdio && tcp != nil) else { throw ValidationError("--stdio and --tcp both choose the serial port: give one") }
    }

    func run() throws {
        let trusted = try keys.map { path in
            do { return try PublicKey.load(path: path) } catch { throw CLIError("\(error)") }
        }
        let board = try loadSimulatedBoard(
            board: self.board, layout: layout, policy: policy, state: state,
            imagePolicy: ImagePolicy(trustedKeys: trusted.map(\.trustedKey)), receiveBuffers: receiveBuffers)
        let port: SerialPort
        if stdio {
            port = StandardIOPort()
            printStatus("serial: stdio")
        } else if let tcp {
            let socket: TCPSerialPort
            do { socket = try TCPSerialPort(port: tcp) } catch { throw CLIError("\(error)") }
            socket.log = printStatus
            port = socket
            FileHandle.standardOutput.write(Data("tcp: localhost:\(socket.port)\n".utf8))
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
        board.strategy = strategy
        if strategy == .swapUsingScratch && board.slots.scratch == nil {
            printStatus("warning: layout \(board.layout.name) has no mcuboot_scratch partition: with swap-scratch no upgrade can be carried out (try --layout nrf52840dk_scratch)")
        }
        board.framing = framing
        board.recoveryButtonHeld = button
        if button, board.board.recoveryButton == nil {
            printStatus("warning: board \(board.board.name) has no recovery button in its descriptor; --button has no effect")
        }
        if framing != .console {
            printStatus("framing: \(framing.rawValue)" + (framing == .cobs ? "" : ", partial raw messages dropped after \(rawTimeout) ms of silence") + "; no plain-text lines on the console" + (framing == .auto ? " unless the last request came in the console framing" : ""))
        }
        printStatus("boot stage: strategy \(strategy.name)" + (button ? ", recovery button held" : "") + (waitForDFU > 0 ? ", wait for DFU \(waitForDFU) ms" : ""))
        let console = SerialConsole(board: board, port: port, log: printStatus)
        console.diagnosticsOnConsole = !quietConsole
        console.waitForDFUMilliseconds = waitForDFU
        console.rawInputTimeoutMilliseconds = rawTimeout
        if realtime {
            let model = link.flatMap(BenchLink.init(parsing:)) ?? .uart(baud: board.board.console.baud)
            console.pace = { received, flash, answered in model.seconds(received) + flash + model.seconds(answered) }
            printStatus("realtime: answers paced to \(model) and the flash's datasheet timings")
        }
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
    board name: String, layout: String?, policy: PolicyOption, state: String?, imagePolicy: ImagePolicy = ImagePolicy(),
    receiveBuffers: Int = 1
) throws -> SimulatedBoard {
    let (board, layout) = try loadPair(board: name, layout: layout ?? name)
    do {
        return try SimulatedBoard(
            board: board, layout: layout,
            configuration: RecoveryConfiguration(policy: policy.policy, imagePolicy: imagePolicy, receiveBufferCount: receiveBuffers),
            stateDirectory: state)
    } catch {
        throw CLIError(error.description)
    }
}

func printStatus(_ line: String) {
    FileHandle.standardError.write(Data(("lifeboat: " + line + "\n").utf8))
}
