import Foundation
import Recovery
import Simulation

/// A byte pipe to an SMP server speaking the console framing.
public protocol SMPTransport: AnyObject {
    func write(_ bytes: [UInt8]) throws
    /// Bytes received within `timeout` seconds; empty when none arrived.
    func read(timeout: Double) throws -> [UInt8]
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
public final class SerialDeviceTransport: SMPTransport {
    public let path: String
    private let fd: Int32

    public init(path: String, baud: Int = 115_200) throws {
        self.path = path
        fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else {
            throw TransportError("cannot open \(path): \(String(cString: strerror(errno))) (is the port right, and not held by another program?)")
        }
        var attributes = termios()
        if tcgetattr(fd, &attributes) == 0 {
            cfmakeraw(&attributes)
            let speed: speed_t = switch baud {
            case 9600: speed_t(B9600)
            case 19200: speed_t(B19200)
            case 38400: speed_t(B38400)
            case 57600: speed_t(B57600)
            case 230_400: speed_t(B230400)
            case 460_800: speed_t(B460800)
            case 921_600: speed_t(B921600)
            case 1_000_000: speed_t(B1000000)
            default: speed_t(B115200)
            }
            cfsetispeed(&attributes, speed)
            cfsetospeed(&attributes, speed)
            tcsetattr(fd, TCSANOW, &attributes)
        }
    }

    deinit { close(fd) }

    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                offset += n
            } else if errno == EAGAIN || errno == EINTR {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pfd, 1, 100)
            } else {
                throw TransportError("write to \(path) failed: \(String(cString: strerror(errno)))")
            }
        }
    }

    public func read(timeout: Double) throws -> [UInt8] {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(max(0, timeout * 1000))) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno != EAGAIN && errno != EINTR {
            throw TransportError("read from \(path) failed: \(String(cString: strerror(errno)))")
        }
        return n > 0 ? Array(buffer[0..<n]) : []
    }
}
