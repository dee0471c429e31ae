#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Bootloader
import Recovery
import SMP

/// Where a simulated board's console UART goes: a pseudo-terminal, or the process's stdin/stdout.
public protocol SerialPort: AnyObject {
    /// Waits up to `timeoutMilliseconds` and returns what arrived; nil when the port is closed
    /// for good (end of input on stdio).
    func read(timeoutMilliseconds: Int32) -> [UInt8]?
    func write(_ bytes: [UInt8])
}

extension PseudoTerminal: SerialPort {
    public func read(timeoutMilliseconds: Int32) -> [UInt8]? {
        let bytes: [UInt8] = read(timeoutMilliseconds: timeoutMilliseconds)
        return bytes
    }
}

/// The process's standard input and output as the serial port (`lifeboat sim --stdio`).
public final class StandardIOPort: SerialPort {
    public init() {}

    public func read(timeoutMilliseconds: Int32) -> [UInt8]? {
        var pfd = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMilliseconds) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
        if n <= 0 { return nil }
        return Array(buffer[0..<n])
    }

    public func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            offset += n
        }
    }
}

/// Runs a simulated board's console: bytes from the port go to the recovery link, responses go
/// back, `os reset` reboots the board in place. A dropped frame gets no SMP reply (as in MCUboot)
/// but a one-line plain-text diagnostic on the console, which SMP clients skip, and a counter.
public final class SerialConsole {
    public let board: SimulatedBoard
    public let port: SerialPort
    /// Called with a human-readable line for each notable event (for stderr).
    public var log: (String) -> Void
    /// Whether dropped frames are explained on the console itself.
    public var diagnosticsOnConsole = true
    /// What the boot stage decided at the last start or reset (nil before it first ran).
    public private(set) var lastBoot: BootOutcome?
    /// Virtual time at the start of the upload in progress, to report its flash time.
    private var uploadStartedAt: Double?

    public init(board: SimulatedBoard, port: SerialPort, log: @escaping (String) -> Void = { _ in }) {
        self.board = board
        self.port = port
        self.log = log
    }

    /// Serves until the port closes (stdio) or `shouldStop` returns true (checked every 100 ms).
    public func run(shouldStop: () -> Bool = { false }) {
        while !shouldStop() {
            guard let bytes = port.read(timeoutMilliseconds: 100) else { return }
            if !bytes.isEmpty { process(bytes) }
        }
    }

    /// Handles one batch of received bytes.
    public func process(_ bytes: [UInt8]) {
        var output: [UInt8] = []
        let action = board.receive(
            bytes,
            transmit: { output.append(contentsOf: $0) },
            observe: { event in self.observe(event, output: &output) })
        if !output.isEmpty { port.write(output) }
        if action == .reset {
            board.reset()
            log("board reset (#\(board.resetCount)): upload state cleared, flash kept")
            runBootStage()
        }
    }

    /// Runs the board's boot stage (at start and after every reset) and logs what it did. The
    /// simulator has no application stage yet, so the board then serves recovery whatever the
    /// decision; an upgrade the boot stage carries out is real, on the board's flash.
    public func runBootStage() {
        let (outcome, events) = board.boot()
        lastBoot = outcome
        for event in events { log(event.description) }
        if case .boot = outcome {
            log("boot: (the simulator has no application stage yet: the board stays in serial recovery)")
        }
    }

    private func observe(_ event: LinkEvent, output: inout [UInt8]) {
        switch event {
        case .dropped(let reason, let total):
            let line = "lifeboat: dropped frame: \(reason.description) (\(total) dropped since start)"
            log(line)
            if diagnosticsOnConsole { output.append(contentsOf: Array((line + "\n").utf8)) }
        case .replied:
            break
        case .recovery(let event):
            switch event {
            case .uploadStarted(let slot, let size):
                uploadStartedAt = board.clock.seconds
                log("upload started: image \(slot.image) slot \(slot.slot), \(size) bytes")
            case .uploadResumed(let slot, let offset, let size):
                log("upload resumed: image \(slot.image) slot \(slot.slot) at \(offset) of \(size) bytes")
            case .uploadProgress:
                break
            case .uploadCompleted(let slot, let size):
                let flash = uploadStartedAt.map { String(format: "; flash busy %.2f s on the board's datasheet timings", board.clock.seconds - $0) } ?? ""
                uploadStartedAt = nil
                log("upload complete: image \(slot.image) slot \(slot.slot), \(size) bytes" + flash)
            case .uploadRefused(let error):
                log("upload refused: \(error.description)")
            case .slotErased(let slot):
                log("erased image \(slot.image) slot \(slot.slot)")
            case .eraseRefused(let slot, let why):
                log("erase of image \(slot.image) slot \(slot.slot) refused: \(why.description)")
            }
        }
    }
}
