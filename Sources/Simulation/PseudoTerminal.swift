#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A pseudo-terminal pair in raw mode: the simulator owns the master side, a client (smpmgr,
/// mcumgr, a terminal) opens the slave path as if it were the board's USB serial port.
///
/// The simulator keeps its own descriptor of the slave open, so a client closing the port does
/// not make reads of the master fail with EIO, and the path stays valid across client sessions
/// and simulated resets.
public final class PseudoTerminal {
    public let masterFD: Int32
    private let slaveFD: Int32
    /// The path clients open, e.g. `/dev/pts/3`.
    public let path: String

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init() throws(Failure) {
        var master: Int32 = -1
        var slave: Int32 = -1
        var name = [CChar](repeating: 0, count: 256)
        guard openpty(&master, &slave, &name, nil, nil) == 0 else {
            throw Failure(description: "openpty failed: \(String(cString: strerror(errno)))")
        }
        var attributes = termios()
        tcgetattr(slave, &attributes)
        cfmakeraw(&attributes)
        tcsetattr(slave, TCSANOW, &attributes)
        let flags = fcntl(master, F_GETFL)
        _ = fcntl(master, F_SETFL, flags | O_NONBLOCK)
        masterFD = master
        slaveFD = slave
        path = name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    deinit {
        close(masterFD)
        close(slaveFD)
    }

    /// Waits up to `timeoutMilliseconds` for input and returns what arrived (empty on timeout).
    public func read(timeoutMilliseconds: Int32) -> [UInt8] {
        var pfd = pollfd(fd: masterFD, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMilliseconds) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(masterFD, $0.baseAddress, $0.count) }
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    /// Writes all of `bytes`, waiting while the pty buffer is full.
    public func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(masterFD, $0.baseAddress, $0.count) }
            if n > 0 {
                offset += n
            } else if errno == EAGAIN || errno == EINTR {
                var pfd = pollfd(fd: masterFD, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pfd, 1, 100)
            } else {
                return
            }
        }
    }
}
