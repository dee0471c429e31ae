import Foundation
import Recovery
import Simulation

/// A byte pipe to an SMP server speaking the console framing.
public protocol SMPTransport: AnyObject {
    func write(_ bytes: [UInt8]) throws
    /// Bytes received within `timeout` seconds; empty when none arrived.
    func read(timeout: Double) throws -> [UInt8]
    /// What the link is, for messages: `/dev/ttyACM0 at 115200 baud`, `tcp localhost:4444`.
    var endpoint: String { get }
}

extension SMPTransport {
    public var endpoint: String { "link" }
}

/// A transport failure, with what to check.
public struct TransportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// An in-process link to a simulated board: no pty, no threads, exact byte accounting.
///
/// Bytes written are delivered to the board at once; its responses queue for `read`. With a baud
/// rate, the transport also keeps the time the same bytes would take on a UART (8N1: 10 bits per
/// byte, both directions), so a demo can say how long the link itself would take.
public final class LoopbackTransport: SMPTransport {
    public let board: SimulatedBoard
    public let console: SerialConsole
    private let port: QueuePort
    /// Bytes sent to the device and received from it.
    public private(set) var bytesToDevice = 0
    public private(set) var bytesFromDevice = 0
    /// The UART the time estimate is for (nil: no estimate).
    public var baud: Int?

    public var endpoint: String { "simulated \(board.board.name) (in process)" }

    public init(board: SimulatedBoard, baud: Int? = 115_200) {
        self.board = board
        self.port = QueuePort()
        self.console = SerialConsole(board: board, port: port)
        self.baud = baud
    }

    public func write(_ bytes: [UInt8]) throws {
        bytesToDevice += bytes.count
        console.process(bytes)
    }

    public func read(timeout: Double) throws -> [UInt8] {
        let bytes = port.take()
        // Everything the board will say was said during `write`: an empty queue stays empty, so
        // wait (briefly) as a real port would instead of letting the caller spin.
        if bytes.isEmpty && timeout > 0 { usleep(UInt32(min(timeout, 0.01) * 1_000_000)) }
        bytesFromDevice += bytes.count
        return bytes
    }

    /// Seconds the bytes exchanged so far would take on the UART (8N1).
    public var linkSeconds: Double {
        guard let baud else { return 0 }
        return Double((bytesToDevice + bytesFromDevice) * 10) / Double(baud)
    }

    /// Collects what the board transmits.
    final class QueuePort: SerialPort {
        var pending: [UInt8] = []
        func read(timeoutMilliseconds: Int32) -> [UInt8]? { [] }
        func write(_ bytes: [UInt8]) { pending.append(contentsOf: bytes) }
        func take() -> [UInt8] {
            defer { pending.removeAll() }
            return pending
        }
    }
}

/// A serial device (a board's USB-UART, or the simulator's pty), 8N1 raw, no flow control.
///
/// The port is opened exclusively: `flock` (what pyserial's `exclusive=True` and most terminal
/// programs check) and `TIOCEXCL` (further opens fail with EBUSY), so a second client, whose
/// bytes would interleave with ours, is refused instead of corrupting both sessions.
public final class SerialDeviceTransport: SMPTransport {
    public let path: String
    public let baud: Int
    private let fd: Int32

    /// The rates termios can set on Linux.
    public static let supportedBauds: [Int: speed_t] = [
        1200: speed_t(B1200), 2400: speed_t(B2400), 4800: speed_t(B4800), 9600: speed_t(B9600),
        19200: speed_t(B19200), 38400: speed_t(B38400), 57600: speed_t(B57600), 115_200: speed_t(B115200),
        230_400: speed_t(B230400), 460_800: speed_t(B460800), 500_000: speed_t(B500000),
        576_000: speed_t(B576000), 921_600: speed_t(B921600), 1_000_000: speed_t(B1000000),
        1_500_000: speed_t(B1500000), 2_000_000: speed_t(B2000000), 3_000_000: speed_t(B3000000),
    ]

    public var endpoint: String { "\(path) at \(baud) baud" }

    public init(path: String, baud: Int = 115_200) throws(TransportError) {
        guard let speed = Self.supportedBauds[baud] else {
            let list = Self.supportedBauds.keys.sorted().map(String.init).joined(separator: ", ")
            throw TransportError("\(baud) baud is not a rate this host's serial driver can set (termios on Linux: \(list))")
        }
        self.path = path
        self.baud = baud
        fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            let hint = errno == EBUSY ? "another program holds it exclusively (smpmgr, minicom, a second lifeboat?)"
                : errno == EACCES ? "add yourself to the port's group (often dialout) or check its permissions"
                : errno == ENOENT ? "no such port: is the board plugged in, and is the path right (ls /dev/ttyACM* /dev/ttyUSB*)?"
                : "is the port right?"
            throw TransportError("cannot open \(path): \(reason) (\(hint))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw TransportError("\(path) is in use: another program holds a lock on it (smpmgr, minicom, screen, a second lifeboat?); close it and retry")
        }
        _ = ioctl(fd, UInt(TIOCEXCL))
        var attributes = termios()
        guard tcgetattr(fd, &attributes) == 0 else {
            close(fd)
            throw TransportError("\(path) is not a serial port (tcgetattr: \(String(cString: strerror(errno))))")
        }
        cfmakeraw(&attributes)
        attributes.c_cflag |= tcflag_t(CLOCAL | CREAD)
        attributes.c_cflag &= ~tcflag_t(CRTSCTS)
        cfsetispeed(&attributes, speed)
        cfsetospeed(&attributes, speed)
        guard tcsetattr(fd, TCSANOW, &attributes) == 0 else {
            close(fd)
            throw TransportError("cannot set \(path) to \(baud) baud 8N1 raw: \(String(cString: strerror(errno)))")
        }
        tcflush(fd, TCIOFLUSH)
    }

    deinit {
        _ = ioctl(fd, UInt(TIOCNXCL))
        close(fd)
    }

    /// Sets (true) or clears (false) DTR and RTS; nil leaves a line as it is. On USB-UART bridges
    /// these drive the board's reset and boot pins in esptool-style auto-reset circuits. A pty
    /// has no modem lines: that is an error, not a silent no-op.
    public func setControlLines(dtr: Bool? = nil, rts: Bool? = nil) throws(TransportError) {
        for (line, value, name) in [(TIOCM_DTR, dtr, "DTR"), (TIOCM_RTS, rts, "RTS")] {
            guard let value else { continue }
            var bits = Int32(line)
            guard ioctl(fd, UInt(value ? TIOCMBIS : TIOCMBIC), &bits) == 0 else {
                throw TransportError("cannot \(value ? "set" : "clear") \(name) on \(path): \(String(cString: strerror(errno))) (a pty or an adapter without modem lines?)")
            }
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try writeAll(bytes, fd: fd, failure: "write to \(path) failed", hint: "was the board unplugged?") { Foundation.write($0, $1, $2) }
    }

    public func read(timeout: Double) throws -> [UInt8] {
        try pollRead(fd: fd, timeout: timeout, what: path)
    }
}

/// Writes all of `bytes` to the non-blocking `fd` with `put` (write or send), waiting while the
/// descriptor is full.
func writeAll(
    _ bytes: [UInt8], fd: Int32, failure: String, hint: String, _ put: (Int32, UnsafeRawPointer?, Int) -> Int
) throws(TransportError) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { put(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            offset += n
        } else if errno == EAGAIN || errno == EINTR {
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&pfd, 1, 100)
        } else {
            throw TransportError("\(failure): \(String(cString: strerror(errno))) (\(hint))")
        }
    }
}

/// Waits up to `timeout` seconds for input on `fd` and returns what arrived.
func pollRead(fd: Int32, timeout: Double, what: String) throws(TransportError) -> [UInt8] {
    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let ready = poll(&pfd, 1, Int32(max(0, min(timeout, 3600)) * 1000))
    guard ready > 0 else { return [] }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
    if n < 0 && errno != EAGAIN && errno != EINTR {
        throw TransportError("read from \(what) failed: \(String(cString: strerror(errno)))")
    }
    if n == 0 && pfd.revents & Int16(POLLHUP | POLLIN) != 0 {
        throw TransportError("\(what) closed the connection")
    }
    return n > 0 ? Array(buffer[0..<n]) : []
}

/// A TCP connection to a serial port behind a socket: QEMU's `-serial tcp::PORT,server=on`
/// chardev, `lifeboat sim --tcp PORT`, or a ser2net bridge. No line discipline in between, so
/// frames arrive as the device wrote them.
public final class TCPTransport: SMPTransport {
    public let host: String
    public let port: UInt16
    private let fd: Int32

    public var endpoint: String { "tcp \(host):\(port)" }

    /// Parses `HOST:PORT` (`PORT` alone means localhost).
    public static func address(_ text: String) throws(TransportError) -> (host: String, port: UInt16) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let host = parts.count > 1 ? parts.dropLast().joined(separator: ":") : "localhost"
        guard let port = parts.last.flatMap({ UInt16($0) }), port > 0 else {
            throw TransportError("'\(text)' is not HOST:PORT (e.g. localhost:4444)")
        }
        return (host.isEmpty ? "localhost" : host, port)
    }

    public init(host: String, port: UInt16, connectTimeout: Double = 5) throws(TransportError) {
        self.host = host
        self.port = port
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw TransportError("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        var connected: Int32 = -1
        while let info = candidate, connected < 0 {
            candidate = info.pointee.ai_next
            let s = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard s >= 0 else { continue }
            _ = fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK)
            if connect(s, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 || errno == EINPROGRESS {
                var pfd = pollfd(fd: s, events: Int16(POLLOUT), revents: 0)
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                if poll(&pfd, 1, Int32(connectTimeout * 1000)) > 0,
                    getsockopt(s, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0
                {
                    connected = s
                    continue
                }
                lastError = error != 0 ? String(cString: strerror(error)) : "timed out after \(connectTimeout) s"
            } else {
                lastError = String(cString: strerror(errno))
            }
            close(s)
        }
        guard connected >= 0 else {
            throw TransportError("cannot connect to \(host):\(port): \(lastError) (is QEMU or `lifeboat sim --tcp \(port)` running and listening there?)")
        }
        var one: Int32 = 1
        setsockopt(connected, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        fd = connected
    }

    deinit { close(fd) }

    public func write(_ bytes: [UInt8]) throws {
        try writeAll(bytes, fd: fd, failure: "send to \(host):\(port) failed", hint: "did the other side close?") {
            send($0, $1, $2, Int32(MSG_NOSIGNAL))
        }
    }

    public func read(timeout: Double) throws -> [UInt8] {
        try pollRead(fd: fd, timeout: timeout, what: "\(host):\(port)")
    }
}

/// The pins of a simulated board as an adapter's lines drive them: the reset line resets the
/// board when it is released after being activated, the boot line holds its recovery button.
public final class SimulatedPins: ControlLineDriver {
    public let transport: LoopbackTransport
    public let resetLine: PinAssignment
    public let bootLine: PinAssignment
    /// Every line change, as `rts=1` / `dtr=0` (1: asserted).
    public private(set) var changes: [String] = []
    private var resetActive = false

    public init(transport: LoopbackTransport, reset: PinAssignment, boot: PinAssignment) {
        self.transport = transport
        self.resetLine = reset
        self.bootLine = boot
    }

    public func setLine(_ line: ControlLine, asserted: Bool) throws(TransportError) {
        changes.append("\(line.rawValue)=\(asserted ? 1 : 0)")
        if line == bootLine.line {
            transport.board.recoveryButtonHeld = asserted == bootLine.assertToActivate
        }
        if line == resetLine.line {
            let active = asserted == resetLine.assertToActivate
            // The board runs again when its reset pin is released.
            if resetActive && !active { transport.console.reset() }
            resetActive = active
        }
    }
}
