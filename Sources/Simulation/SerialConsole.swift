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
    /// MCUboot's `CONFIG_BOOT_SERIAL_WAIT_FOR_DFU`: after a boot decision to boot, the boot
    /// stage listens this many milliseconds for a valid SMP frame; one latches serial recovery
    /// (until a reset), otherwise the application starts. 0: no window.
    public var waitForDFUMilliseconds = 0
    /// The raw protocol's input timeout (MCUboot `BOOT_SERIAL_RAW_PROTOCOL_INPUT_TIMEOUT_MS`,
    /// 3000 by default): a partial raw message this long without a byte is dropped.
    public var rawInputTimeoutMilliseconds = 3000
    /// `--realtime`: seconds the board would take for one batch, from the bytes received, the
    /// flash work they caused (virtual clock) and the bytes answered; each answer is held that
    /// long, so clients see the board's speed and timeouts. Nil: answer at once.
    public var pace: ((_ received: Int, _ flashSeconds: Double, _ answered: Int) -> Double)?
    /// When the last byte arrived (monotonic seconds).
    private var lastInputAt = SerialConsole.monotonicSeconds()

    /// Who serves the console.
    public enum Stage: Equatable, Sendable {
        /// The boot stage's serial recovery.
        case recovery
        /// The boot stage listening for a frame before it boots (until `deadline`, in seconds of
        /// the monotonic clock).
        case waitingForDFU(deadline: Double)
        /// The application (the smp_svr stand-in).
        case application
    }
    public private(set) var stage = Stage.recovery
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
            checkDFUWindow()
            guard let bytes = port.read(timeoutMilliseconds: stageIsWaiting ? 10 : 100) else { return }
            if !bytes.isEmpty {
                lastInputAt = Self.monotonicSeconds()
                process(bytes)
            } else {
                checkInputTimeout()
            }
        }
    }

    /// Drops a stalled partial raw message once the line has been quiet for
    /// ``rawInputTimeoutMilliseconds`` (a no-op for the console and COBS framings).
    public func checkInputTimeout(now: Double = SerialConsole.monotonicSeconds()) {
        guard board.framing == .raw || board.framing == .auto,
              now - lastInputAt >= Double(rawInputTimeoutMilliseconds) / 1000
        else { return }
        var output: [UInt8] = []
        let textAllowed = board.consoleTextAllowed
        board.inputIdle(application: stage == .application) { event in self.observe(event, output: &output, textAllowed: textAllowed) }
        if !output.isEmpty { port.write(output) }
    }

    var stageIsWaiting: Bool { if case .waitingForDFU = stage { true } else { false } }

    /// Starts the application once the wait-for-DFU window has passed without a frame.
    public func checkDFUWindow(now: Double = SerialConsole.monotonicSeconds()) {
        guard case .waitingForDFU(let deadline) = stage, now >= deadline else { return }
        log("boot: no SMP frame within \(waitForDFUMilliseconds) ms: starting the application")
        startApplication()
    }

    /// Handles one batch of received bytes.
    public func process(_ bytes: [UInt8]) {
        let clockBefore = board.clock.seconds
        var output: [UInt8] = []
        // Read before the link is busy (the observer runs inside its access); in auto, what the
        // previous request came in decides.
        let textAllowed = board.consoleTextAllowed
        var replied = false
        let action: RecoveryAction
        if stage == .application {
            action = board.receiveApplication(
                bytes,
                transmit: { output.append(contentsOf: $0) },
                observe: { event in self.observe(event, output: &output, textAllowed: textAllowed) })
        } else {
            action = board.receive(
                bytes,
                transmit: { output.append(contentsOf: $0) },
                observe: { event in
                    if case .replied = event { replied = true }
                    self.observe(event, output: &output, textAllowed: textAllowed)
                })
        }
        if replied, stageIsWaiting {
            // MCUboot latches on the first valid frame of any command, until the next reset.
            stage = .recovery
            log("boot: SMP frame within the wait-for-DFU window: staying in serial recovery until reset")
        }
        if let pace {
            let hold = pace(bytes.count, board.clock.seconds - clockBefore, output.count)
            if hold > 0 { usleep(UInt32(min(hold, 60) * 1_000_000)) }
        }
        if !output.isEmpty { port.write(output) }
        if action == .reset { reset() }
    }

    /// A reset of the board (`os reset`, or its reset pin pulled by a debug adapter): RAM state
    /// is cleared, flash kept, and the boot stage runs again.
    public func reset() {
        board.reset()
        let mode = board.retainedBootMode != 0 ? ", boot mode \(board.retainedBootMode) retained" : ""
        log("board reset (#\(board.resetCount)): RAM state cleared, flash kept\(mode)")
        runBootStage()
    }

    /// Seconds of a monotonic clock (the wait-for-DFU window is real time).
    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Runs the board's boot stage (at start and after every reset) and logs what it did; then the
    /// application starts (after the wait-for-DFU window, if one is set) when it decided to boot,
    /// and serial recovery serves the console otherwise.
    public func runBootStage() {
        let inputs = board.sampleBootInputs()
        let (outcome, events) = board.boot(inputs)
        lastBoot = outcome
        for event in events { log(event.description) }
        guard case .boot = outcome else {
            stage = .recovery
            return
        }
        if waitForDFUMilliseconds > 0 {
            stage = .waitingForDFU(deadline: Self.monotonicSeconds() + Double(waitForDFUMilliseconds) / 1000)
            log("boot: waiting \(waitForDFUMilliseconds) ms for an SMP frame before booting")
        } else {
            startApplication()
        }
    }

    /// Hands over to the application stage; it announces itself with one plain-text line on the
    /// console (SMP clients skip non-frame text), as a Zephyr application's banner would.
    /// (Public for harnesses that set a board up already running its application.)
    public func startApplication() {
        stage = .application
        let line = board.applicationBanner()
        log(line)
        if board.consoleTextAllowed { port.write(Array((line + "\n").utf8)) }
    }

    private func observe(_ event: LinkEvent, output: inout [UInt8], textAllowed: Bool) {
        switch event {
        case .dropped(let reason, let total):
            let line = "lifeboat: dropped frame: \(reason.description) (\(total) dropped since start)"
            log(line)
            if diagnosticsOnConsole, textAllowed { output.append(contentsOf: Array((line + "\n").utf8)) }
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
            case .imageMarked(let slot, let mark):
                switch mark {
                case .test: log("image \(slot.image) slot \(slot.slot) marked for test: swapped in at the next reset")
                case .permanent: log("image \(slot.image) slot \(slot.slot) marked permanent: swapped in at the next reset")
                case .confirmed: log("image \(slot.image) slot \(slot.slot) confirmed")
                }
            case .stateWriteUnchanged:
                log("state write: already in place, nothing written")
            case .stateWriteRefused(let error):
                log("state write refused: \(error.description)")
            case .stateWriteDenied(let slot, let why):
                log("state write to image \(slot.image) slot \(slot.slot) refused: \(why.description)")
            }
        }
    }
}
