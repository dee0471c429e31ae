#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The simulated board's UART behind a TCP socket, as QEMU's `-serial tcp::PORT,server=on,wait=off`
/// chardev offers it: one client at a time; a client that disconnects frees the port for the
/// next; what the board transmits while nobody is connected is lost, as on a UART with nothing
/// attached.
public final class TCPSerialPort: SerialPort {
    public let port: UInt16
    private let listener: Int32
    private var client: Int32 = -1
    /// Called with a line for the log when a client connects or leaves.
    public var log: (String) -> Void = { _ in }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Listens on `port` (0: any free port; ``port`` says which) on the loopback interface, or on
    /// every interface with `anyInterface`.
    public init(port: UInt16, anyInterface: Bool = false) throws(Failure) {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = (anyInterface ? INADDR_ANY : INADDR_LOOPBACK).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(s, 1) == 0 else {
            let reason = String(cString: strerror(errno))
            close(s)
            throw Failure(description: "cannot listen on TCP port \(port): \(reason)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &length) }
        }
        _ = fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK)
        listener = s
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    deinit {
        if client >= 0 { close(client) }
        close(listener)
    }

    public func read(timeoutMilliseconds: Int32) -> [UInt8]? {
        var pfd = pollfd(fd: client >= 0 ? client : listener, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMilliseconds) > 0 else { return [] }
        if client < 0 {
            let c = accept(listener, nil, nil)
            guard c >= 0 else { return [] }
            _ = fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            setsockopt(c, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            client = c
            log("tcp: client connected on port \(port)")
            return []
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
        if n > 0 { return Array(buffer[0..<n]) }
        if n == 0 || (errno != EAGAIN && errno != EINTR) {
            close(client)
            client = -1
            log("tcp: client left; listening on port \(port)")
        }
        return []
    }

    public func write(_ bytes: [UInt8]) {
        var offset = 0
        while client >= 0 && offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                offset += n
            } else if errno == EAGAIN || errno == EINTR {
                var pfd = pollfd(fd: client, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pfd, 1, 100)
            } else {
                close(client)
                client = -1
            }
        }
    }
}
