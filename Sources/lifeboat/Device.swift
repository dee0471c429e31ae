import ArgumentParser
import Foundation
import LifeboatHost
import Simulation
import SMP

/// `lifeboat device`: the host client for a board in serial recovery or running an MCUmgr
/// application, over a serial port, a TCP socket (QEMU, `lifeboat sim --tcp`) or an in-process
/// simulated board.
struct Device: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Talk to a board over SMP: echo, params, info, list, upload, test, confirm, erase, reset, update, recover.",
        discussion: """
            Choose the link with one of --port PATH [--baud N] (a serial port or the simulator's \
            pty), --ftdi VID:PID[:SERIAL] [--baud N] (an FTDI adapter through libftdi1; \
            `lifeboat device --ftdi list` lists them), --tcp HOST:PORT (QEMU's -serial tcp:: \
            socket, `lifeboat sim --tcp`), or --sim BOARD (a simulated board in this process; \
            --layout, --state, --policy as for `lifeboat sim`). `recover` drives the board's reset \
            and boot pins through the adapter's DTR/RTS or, on an FT232R / FT-X, its CBUS pins \
            (--reset-line, --boot-line; defaults from the board descriptor's recovery-adapter, --board). Requests use the console framing with 128-byte lines; the message \
            size comes from MCUmgr params (169 bytes when the device does not answer them, \
            --mtu to cap it). Every command takes --json and then prints one JSON object on \
            stdout, also on failure. Exit status: \(DeviceFailure.exitCodeHelp); 64 bad \
            arguments.
            """,
        subcommands: [
            DeviceEcho.self, DeviceParams.self, DeviceInfo.self, DeviceList.self, DeviceUpload.self, DeviceTest.self,
            DeviceConfirm.self, DeviceErase.self, DeviceReset.self, DeviceUpdate.self, DeviceRecover.self,
        ]
    )

    /// The link options may also come before the subcommand (`lifeboat device --port P list`).
    @OptionGroup var link: LinkOptions

    /// `lifeboat device --ftdi list`: the FTDI adapters on the USB bus.
    func run() throws {
        guard link.ftdi == "list" else { throw CleanExit.helpRequest(self) }
        try emitResult(json: link.json) { (fields) throws(DeviceFailure) in
            do {
                let library = try LibFTDI()
                let adapters = try library.adapters(vendor: nil, product: nil)
                fields["library"] = .string(library.libraryPath)
                fields["adapters"] = .from(adapters)
                guard !adapters.isEmpty else {
                    throw TransportError("no FTDI adapter found (libftdi1 loaded from \(library.libraryPath); is the adapter plugged in, and may this user open it? udev rules for 0403:*)")
                }
                return adapters.map { "\($0.selector)  \($0.manufacturer) \($0.description)" }.joined(separator: "\n")
            } catch {
                throw DeviceFailure(.transport, "\(error)")
            }
        }
    }
}

/// The link options every `lifeboat device` command shares.
struct LinkOptions: ParsableArguments {
    @Option(help: "Serial port: a board's USB-UART (/dev/ttyACM0) or the simulator's pty (/dev/pts/N).")
    var port: String?

    @Option(help: "Baud rate of --port (the device's console rate).")
    var baud = 115_200

    @Option(help: "An FTDI adapter through libftdi1: VID:PID[:SERIAL] in hex, or d:BUS/DEVICE; `list` lists the adapters (`lifeboat device --ftdi list`).")
    var ftdi: String?

    @Option(help: "The adapter line wired to the board's reset pin: rts, dtr, or an FT232R / FT-X CBUS pin cbus0…cbus3 (with --ftdi; driven low when active, an input when released); ! in front when the line must be released to reset (an inverting transistor). Default: the board descriptor's recovery-adapter.reset-line (--board, or --sim's board), else rts.")
    var resetLine: String?

    @Option(help: "The adapter line wired to the board's boot (recovery) button: dtr, rts or cbus0…cbus3, ! for inverted. Default: the board descriptor's recovery-adapter.boot-line, else dtr.")
    var bootLine: String?

    @Option(help: "The board descriptor (Boards/NAME/board.yml) whose recovery-adapter wiring gives --reset-line and --boot-line when they are not given; with --sim, that board's.")
    var board: String?

    @Option(help: "HOST:PORT of a TCP serial socket (QEMU `-serial tcp::4444,server=on`, `lifeboat sim --tcp 4444`).")
    var tcp: String?

    @Option(help: "Talk to a simulated board in this process (board descriptor name, e.g. nrf52840dk).")
    var sim: String?

    @Option(help: "With --sim: layout name or file (default: the board's).")
    var layout: String?

    @Option(help: "With --sim: keep flash in DIR (as `lifeboat sim --state`).")
    var state: String?

    @Option(help: "With --sim: upload policy (primary-only, slot-mapping).")
    var policy: PolicyOption = .primaryOnly

    @Option(help: "Seconds to wait for each answer.")
    var timeout: Double = 3

    @Option(help: "Console framing line length (MCUboot's BOOT_MAX_LINE_INPUT_LEN is 128).")
    var lineLength = 128

    @Option(help: "Serial framing: console (MCUboot's default), raw (CONFIG_BOOT_SERIAL_RAW_PROTOCOL), cobs (COBS + CRC-16), or auto (asks in raw, COBS and console in turn until the device answers, then keeps that one).")
    var framing: SerialFraming = .console

    @Option(help: "Largest SMP message to send (header + CBOR); params never raise it past this.")
    var mtu: Int?

    @Option(help: "Upload requests to keep in flight (default: the device's buf_count from MCUmgr params; 1 waits for each answer).")
    var window: Int?

    @Flag(help: "Print one JSON object on stdout (also on failure) instead of text.")
    var json = false

    func validate() throws {
        let chosen = [port != nil, tcp != nil, sim != nil, ftdi != nil].filter { $0 }.count
        guard chosen == 1 else {
            throw ValidationError(chosen == 0 ? "choose the link: --port PATH, --ftdi VID:PID, --tcp HOST:PORT or --sim BOARD" : "give only one of --port, --ftdi, --tcp, --sim")
        }
        do {
            if let resetLine { _ = try PinAssignment(parsing: resetLine) }
            if let bootLine { _ = try PinAssignment(parsing: bootLine) }
            if let ftdi, ftdi != "list" { _ = try FTDISelector(parsing: ftdi) }
        } catch {
            throw ValidationError(error.description)
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be more than 0 seconds") }
        guard (16...8192).contains(lineLength) else { throw ValidationError("--line-length must be 16…8192") }
        if let mtu { guard mtu >= 64 else { throw ValidationError("--mtu must be at least 64 bytes") } }
        if let window { guard (1...SMPClient.maxWindow).contains(window) else { throw ValidationError("--window is 1 to \(SMPClient.maxWindow)") } }
    }

    /// Opens the link. Transport failures are `transport-error`.
    func open() throws(DeviceFailure) -> SMPTransport {
        do {
            if let port { return try SerialDeviceTransport(path: port, baud: baud) }
            if let ftdi {
                guard ftdi != "list" else { throw TransportError("--ftdi list lists adapters; give an adapter (VID:PID[:SERIAL]) to talk to a board") }
                return try FTDITransport(driver: try LibFTDI(), selector: try FTDISelector(parsing: ftdi), baud: baud)
            }
            if let tcp {
                let address = try TCPTransport.address(tcp)
                return try TCPTransport(host: address.host, port: address.port, connectTimeout: timeout)
            }
            let board = try loadSimulatedBoard(board: sim!, layout: layout, policy: policy, state: state)
            board.framing = .auto  // the in-process board answers whichever framing --framing sends
            let transport = LoopbackTransport(board: board, baud: nil)
            transport.console.runBootStage()
            return transport
        } catch let error as TransportError {
            throw DeviceFailure(.transport, error.description)
        } catch {
            throw DeviceFailure(.other, "\(error)")
        }
    }

    /// What drives the board's pins on this link: the tty's or the adapter's DTR/RTS, or the
    /// simulated board's reset pin and button.
    func pins(for transport: SMPTransport) throws(DeviceFailure) -> PinSequencer {
        let (reset, boot) = try pinAssignments(simulated: (transport as? LoopbackTransport)?.board.board)
        let driver: ControlLineDriver
        switch transport {
        case let serial as SerialDeviceTransport: driver = serial
        case let adapter as FTDITransport: driver = adapter
        case let simulated as LoopbackTransport: driver = SimulatedPins(transport: simulated, reset: reset, boot: boot)
        default: throw DeviceFailure(.transport, "\(transport.endpoint) has no control lines: use --port, --ftdi or --sim")
        }
        return PinSequencer(driver: driver, reset: reset, boot: boot)
    }

    /// The reset and boot lines: --reset-line / --boot-line, else the `recovery-adapter:` of the
    /// board descriptor (--board, or the simulated board's), else RTS and DTR.
    func pinAssignments(simulated: BoardDescription? = nil) throws(DeviceFailure) -> (reset: PinAssignment, boot: PinAssignment) {
        var wiring = simulated?.recoveryAdapter
        if let board {
            do {
                guard let loader = DescriptorLoader.locate() else {
                    throw DescriptorError(path: "Boards/", message: "cannot find the Boards/ folder for --board: run from the Lifeboat checkout or set LIFEBOAT_ROOT")
                }
                let description = try loader.loadBoard(board)
                guard let adapter = description.recoveryAdapter else {
                    throw DescriptorError(path: board, message: "the board descriptor has no recovery-adapter: give --reset-line and --boot-line")
                }
                wiring = adapter
            } catch {
                throw DeviceFailure(.other, "\(error)")
            }
        }
        do {
            return (
                try PinAssignment(parsing: resetLine ?? wiring?.resetLine ?? "rts"),
                try PinAssignment(parsing: bootLine ?? wiring?.bootLine ?? "dtr"))
        } catch {
            throw DeviceFailure(.other, error.description)
        }
    }

    func session() throws(DeviceFailure) -> DeviceSession {
        let client = SMPClient(transport: try open(), timeout: timeout)
        client.lineLength = lineLength
        client.framing = framing
        client.mtuLimit = mtu
        client.window = window
        let session = DeviceSession(client: client)
        if !json { session.log = { printStatus($0) } }
        return session
    }
}

/// Runs a device command: text or one JSON object, and the exit code of the failure kind.
func runDevice(_ link: LinkOptions, _ body: (DeviceSession, inout [String: JSONValue]) throws(DeviceFailure) -> String) throws {
    try emitResult(json: link.json) { (fields) throws(DeviceFailure) in try body(try link.session(), &fields) }
}

/// Prints what `body` produced, as text or one JSON object; a failure as `Error: …` or the JSON
/// object's `error`, and exits with its kind's code.
func emitResult(json: Bool, _ body: (inout [String: JSONValue]) throws(DeviceFailure) -> String) throws {
    var fields: [String: JSONValue] = [:]
    do {
        let text = try body(&fields)
        if json {
            fields["result"] = fields["result"] ?? "ok"
            printJSON(fields)
        } else if !text.isEmpty {
            print(text)
        }
    } catch {
        if json {
            fields["result"] = fields["result"] ?? "error"
            fields["error"] = .object([
                "kind": .string(error.kind.rawValue), "message": .string(error.message), "exit_code": .number(Double(error.kind.exitCode)),
                "rc": error.rc.map { .number(Double($0)) } ?? .null, "rc_name": error.rcName.map { .string($0) } ?? .null,
            ])
            printJSON(fields)
        } else {
            FileHandle.standardError.write(Data("Error: \(error.message)\n".utf8))
        }
        throw ExitCode(error.kind.exitCode)
    }
}

/// A small JSON value, so each command builds its one object without a Codable type per command.
enum JSONValue: ExpressibleByStringLiteral, Encodable {
    case string(String), number(Double), bool(Bool), array([JSONValue]), object([String: JSONValue]), null
    init(stringLiteral value: String) { self = .string(value) }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .number(let n):
            // JSON has no infinity or NaN (a board with no flash timings has no flash limit): null.
            if !n.isFinite { try c.encodeNil() } else if n == n.rounded(), abs(n) < 1e15 { try c.encode(Int(n)) } else { try c.encode(n) }
        case .bool(let b): try c.encode(b)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        case .null: try c.encodeNil()
        }
    }

    /// Any Encodable, through JSON.
    static func from<T: Encodable>(_ value: T) -> JSONValue {
        guard let data = try? JSONEncoder().encode(value), let decoded = try? JSONDecoder().decode(JSONValue.self, from: data) else { return .null }
        return decoded
    }
}

extension JSONValue: Decodable {
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }
}

func printJSON(_ fields: [String: JSONValue]) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(JSONValue.object(fields))) ?? Data("{}".utf8)
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

func imageRows(_ states: [ImageState]) -> String {
    guard !states.isEmpty else { return "no images (no slot holds an image that validates)" }
    let multi = states.contains { $0.image != nil }
    var lines = [(multi ? "image  " : "") + "slot  version          hash                                                              flags"]
    for s in states {
        let hash = s.hash.map(hexString) ?? "-"
        lines.append((multi ? String(s.image ?? 0).padding(toLength: 7, withPad: " ", startingAt: 0) : "")
            + String(s.slot).padding(toLength: 6, withPad: " ", startingAt: 0)
            + s.version.padding(toLength: 17, withPad: " ", startingAt: 0)
            + hash.padding(toLength: 66, withPad: " ", startingAt: 0)
            + (s.flags.isEmpty ? "-" : s.flags.joined(separator: ",")))
    }
    return lines.joined(separator: "\n")
}

struct DeviceEcho: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "echo", abstract: "Send `os echo` and print the answer (is anything there?).")
    @OptionGroup var link: LinkOptions
    @Argument(help: "Text to echo.") var text = "hello"

    func run() throws {
        try runDevice(link) { session, fields throws(DeviceFailure) in
            let start = Date()
            let answer = try session.run { try session.client.echo(text) }
            let ms = Date().timeIntervalSince(start) * 1000
            fields["echo"] = .string(answer)
            fields["round_trip_ms"] = .number((ms * 10).rounded() / 10)
            return "\(answer)  (\(String(format: "%.1f", ms)) ms round trip over \(session.client.transport.endpoint))"
        }
    }
}

struct DeviceParams: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "params", abstract: "Read MCUmgr params (buf_size, buf_count) and the message size they allow.")
    @OptionGroup var link: LinkOptions

    func run() throws {
        try runDevice(link) { session, fields throws(DeviceFailure) in
            let p = try session.connect()
            fields["buf_size"] = p.map { .number(Double($0.bufferSize)) } ?? .null
            fields["buf_count"] = p.map { .number(Double($0.bufferCount)) } ?? .null
            fields["max_message"] = .number(Double(session.client.maxMessageSize))
            guard let p else { return "no MCUmgr params (older server): \(session.client.maxMessageSize)-byte messages" }
            return "buf_size \(p.bufferSize), buf_count \(p.bufferCount) → \(session.client.maxMessageSize)-byte messages"
        }
    }
}

struct DeviceInfo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Who answers: recovery or application, bootloader name and mode, params.")
    @OptionGroup var link: LinkOptions

    func run() throws {
        try runDevice(link) { session, fields throws(DeviceFailure) in
            let p = try session.connect()
            let mode = try session.mode()
            let name = try session.run { try? session.client.bootloaderInfo()["bootloader"]?.stringValue }
            let bootMode = try session.run { try? session.client.bootloaderInfo(query: "mode")["mode"]?.intValue }
            fields["mode"] = .string(mode.rawValue)
            fields["bootloader"] = name.map { .string($0) } ?? .null
            fields["bootloader_mode"] = bootMode.map { .number(Double($0)) } ?? .null
            fields["buf_size"] = p.map { .number(Double($0.bufferSize)) } ?? .null
            fields["buf_count"] = p.map { .number(Double($0.bufferCount)) } ?? .null
            fields["endpoint"] = .string(session.client.transport.endpoint)
            let framing = session.client.framing
            fields["framing"] = .string(framing.rawValue)
            let framingText = framing.rawValue + (session.client.detectedFraming != nil ? " (detected: --framing auto)" : "")
            let modes = [0: "single application", 1: "swap using scratch", 2: "overwrite only", 3: "swap using move", 4: "direct XIP", 5: "direct XIP with revert", 6: "RAM load", 7: "firmware loader", 9: "swap using offset"]
            return """
                \(session.client.transport.endpoint): \(mode == .recovery ? "serial recovery" : "an application with MCUmgr")
                framing: \(framingText)
                bootloader: \(name ?? "not reported")\(bootMode.map { ", mode \($0) (\(modes[$0] ?? "unknown"))" } ?? "")
                params: \(p.map { "buf_size \($0.bufferSize), buf_count \($0.bufferCount)" } ?? "not answered") → \(session.client.maxMessageSize)-byte messages
                """
        }
    }
}

struct DeviceList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Image state read, as a table: slot, version, hash, flags.")
    @OptionGroup var link: LinkOptions

    func run() throws {
        try runDevice(link) { session, fields throws(DeviceFailure) in
            let states = try session.list()
            fields["images"] = .from(states.map(ImageSummary.init))
            return imageRows(states)
        }
    }
}

/// A progress line on stderr: rewritten in place on a terminal, every 10 % otherwise.
final class ProgressLine {
    let label: String
    let enabled: Bool
    let terminal = isatty(2) != 0
    var lastDecile = -1
    var lastDraw = Date.distantPast

    init(_ label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled
    }

    func update(_ p: TransferProgress) {
        guard enabled, p.total > 0 else { return }
        let percent = p.done * 100 / p.total
        let eta = p.etaSeconds.map { String(format: "ETA %d:%02d", Int($0) / 60, Int($0) % 60) } ?? "ETA -:--"
        let text = String(format: "%@ %3d%%  %d/%d bytes  %.1f KiB/s  %@", label, percent, p.done, p.total, p.bytesPerSecond / 1024, eta)
        if terminal {
            guard Date().timeIntervalSince(lastDraw) > 0.1 || p.done == p.total else { return }
            lastDraw = Date()
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text + (p.done == p.total ? "\n" : "")).utf8))
        } else if percent / 10 != lastDecile {
            lastDecile = percent / 10
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }
}

struct DeviceUpload: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload",
        abstract: "Upload a signed image, with a progress line; a rerun after an interruption resumes.",
        discussion: """
            The file is checked first (MCUboot header, SHA-256 TLV); the upload carries the \
            file's SHA-256, so a rerun of the same file, while the device still holds the \
            upload, resumes from the device's offset. Where the image goes is the device's \
            policy: serial recovery writes image N's primary slot (or, with slot mapping, the \
            slot --image names); an application writes its free slot. Ends with \
            `N bytes in T s (X KiB/s)`.
            """)
    @OptionGroup var link: LinkOptions
    @Argument(help: "Signed image (imgtool or `lifeboat image sign`).") var file: String
    @Option(help: "Image number of the upload request (multi-image; with slot mapping: 0/1 primary, 2 secondary of image 0, …).")
    var image = 0

    @Option(help: "smpmgr's --slot: sent as the request's `image` field, as smpmgr does; the device's numbering decides the slot (slot mapping: 2 → image 0's secondary; an application: its direct-upload numbering).")
    var slot: Int?

    func run() throws {
        try runDevice(link) { session, fields throws(DeviceFailure) in
            let file = try ImageFile(path: self.file)
            try session.connect()
            let bar = ProgressLine("upload", enabled: !link.json)
            let report = try session.upload(file, image: slot ?? image, progress: bar.update)
            fields["upload"] = .from(report)
            fields["version"] = .string(file.version)
            fields["hash"] = .string(hexString(file.hash))
            if let resumed = report.resumedFrom {
                return String(format: "%d bytes in %.2f s (%.1f KiB/s): resumed at offset %d, the device already had the first %d of %d bytes",
                              report.bytes - resumed, report.seconds, report.kibPerSecond, resumed, resumed, report.bytes)
            }
            let pipelined = report.inFlight > 1 ? ", \(report.inFlight) requests in flight (\(link.window != nil ? "--window" : "the device's buf_count"))" : ""
            return String(format: "%d bytes in %.2f s (%.1f KiB/s)", report.bytes, report.seconds, report.kibPerSecond) + pipelined
        }
    }
}

/// A hash given as hex, or an image file whose SHA-256 TLV is taken.
func imageHash(_ text: String) throws(DeviceFailure) -> [UInt8] {
    if FileManager.default.fileExists(atPath: text) { return try ImageFile(path: text).hash }
    let hex = text.lowercased()
    guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
        throw DeviceFailure(.other, "'\(text)' is neither an image file nor a 64-digit SHA-256 hash (see `lifeboat device list`)")
    }
    var bytes: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        bytes.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

struct DeviceTest: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test", abstract: "Mark an image for test: the next reset boots it once (image state write, confirm false).")
    @OptionGroup var link: LinkOptions
    @Argument(help: "The image's SHA-256 (hex, as `list` shows it) or the image file.") var image: String

    func run() throws {
        try runDevice(link) { session, fields throws(DeviceFailure) in
            let hash = try imageHash(image)
            let states = try session.run { try session.client.stateWrite(hash: hash, confirm: false) }
            fields["images"] = .from(states.map(ImageSummary.init))
            return imageRows(states)
        }
    }
}

struct DeviceConfirm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "confirm", abstract: "Confirm the running image (or the one given): it stays after the next reset.")
    @OptionGroup var link: LinkOptions
    @Argument(help: "The image's SHA-256 or file (default: the running image).") var image: String?

    func run() throws {
        try runDevice(link) { session, fields throws(DeviceFailure) in
            let hash = try image.map { (text) throws(DeviceFailure) in try imageHash(text) }
            let states = try session.run { try session.client.stateWrite(hash: hash, confirm: true) }
            fields["images"] = .from(states.map(ImageSummary.init))
            return imageRows(states)
        }
    }
}

struct DeviceErase: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "erase", abstract: "Erase a slot (image erase); the device's policy decides which slots it may erase.")
    @OptionGroup var link: LinkOptions
    @Option(help: "Slot to erase (image × 2 + slot; default: the device's, the secondary).") var slot: Int?

    func run() throws {
        try runDevice(link) { session, fields throws(DeviceFailure) in
            try session.run { try session.client.erase(slot: slot) }
            fields["slot"] = slot.map { .number(Double($0)) } ?? .null
            return "erased " + (slot.map { "slot \($0)" } ?? "the default slot")
        }
    }
}

struct DeviceReset: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reset", abstract: "Reset the board (os reset); --bootloader asks it to stay in serial recovery (boot_mode 1).")
    @OptionGroup var link: LinkOptions
    @Flag(help: "Reset into serial recovery (boot_mode 1, as Zephyr's `mcumgr reset -b`).") var bootloader = false

    func run() throws {
        try runDevice(link) { session, fields throws(DeviceFailure) in
            try session.run { try session.client.reset(bootMode: bootloader ? 1 : nil) }
            fields["boot_mode"] = bootloader ? .number(1) : .null
            return bootloader ? "reset into serial recovery requested" : "reset"
        }
    }
}

struct DeviceUpdate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "The production update flow: connect, list, upload, test, reset, verify the new image runs, confirm.",
        discussion: """
            From an application: upload to the free slot, mark it for test, reset, wait for the \
            device, check that the new image runs (version and hash), then confirm with \
            --confirm, leave it in test with --no-confirm, or ask (when stdin is a terminal). \
            From serial recovery (MCUboot has no test/confirm there): upload into the primary \
            slot, reset, and check that it boots. On failure, the message says what state the \
            board is left in. Each attempt appends one JSON line to the audit log (--log).
            """)
    @OptionGroup var link: LinkOptions
    @Argument(help: "Signed image, or a package from `lifeboat image package` (checked against the device's slot sizes).") var file: String
    @Flag(help: "Confirm the new image once it runs.") var confirm = false
    @Flag(name: .customLong("no-confirm"), help: "Leave the new image in test (it reverts at the next reset).") var noConfirm = false
    @Option(help: "Seconds to wait for the device after the reset.") var resetWait: Double = 15
    @Option(help: "Audit log (JSON lines). Default: $XDG_STATE_HOME/lifeboat/updates.jsonl (~/.local/state/…).") var log: String?

    func validate() throws {
        guard !(confirm && noConfirm) else { throw ValidationError("give --confirm or --no-confirm, not both") }
    }

    func run() throws {
        let logPath = log ?? AuditLog.defaultPath
        try runDevice(link) { session, fields throws(DeviceFailure) in
            var report = UpdateReport(result: "failed")
            let package = try ImagePackage.load(path: self.file)
            let file: ImageFile
            if let package { file = try package.imageFile(0) } else { file = try ImageFile(path: self.file) }
            let choice: DeviceSession.ConfirmChoice = confirm ? .confirm : noConfirm ? .leaveTesting
                : isatty(0) != 0 && !link.json ? .ask({ question in
                    FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
                    return (readLine() ?? "").lowercased().hasPrefix("y")
                }) : .leaveTesting
            let bar = ProgressLine("upload", enabled: !link.json)
            try recordAttempt("update", image: self.file, session: session, logPath: logPath, report: &report, fields: &fields) { (report) throws(DeviceFailure) in
                try session.update(file, confirm: choice, resetWait: resetWait, package: package, report: &report, progress: bar.update)
            }
            let before = report.before.map { "\($0.version) (\($0.hash.prefix(8))…)" } ?? "no image"
            let after = report.after.map { "\($0.version) (\($0.hash.prefix(8))…)" } ?? "?"
            return "\(report.result): \(before) → \(after); \(report.boardState ?? "")"
        }
    }
}

struct DeviceRecover: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Recover a board by its pins: hold boot, pulse reset, upload into the primary slot, reset, check it runs.",
        discussion: """
            For a board whose reset pin and recovery button are wired to the adapter's RTS and \
            DTR (--reset-line, --boot-line; ! for lines that act when released). With --port the \
            tty's lines, with --ftdi the FTDI adapter's, with --sim the simulated board's pins. \
            The boot pin is held while the board resets and until serial recovery answers; the \
            image goes into the primary slot; a second reset boots it, and the image must then \
            answer as the running application. Each attempt appends one JSON line to the audit \
            log (--log).
            """)
    @OptionGroup var link: LinkOptions
    @Argument(help: "Signed image.") var file: String
    @Option(help: "Seconds to wait for the board after each reset.") var wait: Double = 10
    @Option(help: "Audit log (JSON lines). Default: $XDG_STATE_HOME/lifeboat/updates.jsonl.") var log: String?

    func run() throws {
        let logPath = log ?? AuditLog.defaultPath
        try runDevice(link) { session, fields throws(DeviceFailure) in
            var report = UpdateReport(result: "failed")
            let file = try ImageFile(path: self.file)
            let pins = try link.pins(for: session.client.transport)
            let bar = ProgressLine("upload", enabled: !link.json)
            try recordAttempt("recover", image: self.file, session: session, logPath: logPath, report: &report, fields: &fields) { (report) throws(DeviceFailure) in
                try session.recover(file, pins: pins, wait: wait, report: &report, progress: bar.update)
            }
            let after = report.after.map { "\($0.version) (\($0.hash.prefix(8))…)" } ?? "?"
            return "\(report.result): \(after) runs; \(report.boardState ?? "")"
        }
    }
}

/// One `update` or `recover` attempt: runs it, appends its line to the audit log whatever the
/// outcome, puts the report in the JSON fields, and rethrows a failure with the board's state.
func recordAttempt(
    _ command: String, image: String, session: DeviceSession, logPath: String, report: inout UpdateReport,
    fields: inout [String: JSONValue], _ attempt: (inout UpdateReport) throws(DeviceFailure) -> Void
) throws(DeviceFailure) {
    var failure: DeviceFailure?
    do { try attempt(&report) } catch {
        failure = error
        report.result = "failed"
        report.error = error.message
    }
    let bootloader = try? session.run { try session.client.bootloaderInfo()["bootloader"]?.stringValue }
    do {
        try AuditLog(path: logPath).append(
            AuditLog.entry(command: command, device: session.client.transport.endpoint, bootloader: bootloader ?? nil, image: image, report: report))
    } catch {
        printStatus("warning: \(error)")
    }
    for (key, value) in JSONValue.from(report).objectValue ?? [:] { fields[key] = value }
    fields["log"] = .string(logPath)
    if var failure {
        failure.message += report.boardState.map { ". Board state: \($0)" } ?? ""
        throw failure
    }
}

extension JSONValue {
    var objectValue: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
}
