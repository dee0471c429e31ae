/// The SMP `op` field: what a message is. Requests are even, their responses are request + 1.
/// Source: zephyr `include/zephyr/mgmt/mcumgr/mgmt/mgmt_defines.h` `enum mcumgr_op_t`.
public enum SMPOperation: UInt8, Sendable {
    case read = 0
    case readResponse = 1
    case write = 2
    case writeResponse = 3

    /// True for ``read`` and ``write``: the only ops a server acts on.
    @inlinable
    public var isRequest: Bool { self == .read || self == .write }

    /// The op a response to this request carries (a response maps to itself).
    @inlinable
    public var response: SMPOperation {
        switch self {
        case .read, .readResponse: .readResponse
        case .write, .writeResponse: .writeResponse
        }
    }
}

/// The 8-byte header in front of every SMP message (MCUboot `struct nmgr_hdr`, Zephyr
/// `struct smp_hdr`); multi-byte fields are big-endian.
///
/// ```
///  byte 0: 7 6 5 4 3 2 1 0      1        2   3      4    5      6      7
///         ├─res─┤ver├─op─┤   flags   length (BE)  group (BE)  seq  command
/// ```
///
/// `op` is bits 0–2 and `version` bits 3–4 because the C struct is a little-endian bitfield, so a
/// v2 WRITE is the byte 0x0A. The reserved bits 5–7 are ignored on input (MCUboot does not look at
/// them) and written as 0.
public struct SMPHeader: Equatable, Sendable {
    public static let size = 8

    public var operation: SMPOperation
    /// 0 = SMP v1 (legacy `{"rc": n}` errors), 1 = SMP v2. Two bits on the wire.
    public var version: UInt8
    public var flags: UInt8
    /// Length of the CBOR payload that follows the header.
    public var length: UInt16
    public var group: UInt16
    /// Echoed in the response so a client can match it to its request.
    public var sequence: UInt8
    /// The command id within `group`.
    public var command: UInt8

    public init(
        operation: SMPOperation, version: UInt8 = 0, flags: UInt8 = 0, length: UInt16,
        group: UInt16, sequence: UInt8, command: UInt8
    ) {
        precondition(version < 4, "SMP version is a 2-bit field")
        self.operation = operation
        self.version = version
        self.flags = flags
        self.length = length
        self.group = group
        self.sequence = sequence
        self.command = command
    }

    /// Parses the first 8 bytes of `bytes` (which may be longer: the payload follows).
    public init(parsing bytes: UnsafeRawBufferPointer) throws(SMPError) {
        guard bytes.count >= SMPHeader.size else { throw .truncated }
        guard let op = SMPOperation(rawValue: bytes[0] & 0x07) else { throw .invalidOperation }
        operation = op
        version = (bytes[0] >> 3) & 0x03
        flags = bytes[1]
        length = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        group = UInt16(bytes[4]) << 8 | UInt16(bytes[5])
        sequence = bytes[6]
        command = bytes[7]
    }

    /// Writes the 8 header bytes at the start of `buffer`, which must hold at least 8 bytes.
    public func encode(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= SMPHeader.size, "SMP header needs 8 bytes")
        buffer[0] = operation.rawValue | (version & 0x03) << 3
        buffer[1] = flags
        buffer[2] = UInt8(truncatingIfNeeded: length >> 8)
        buffer[3] = UInt8(truncatingIfNeeded: length)
        buffer[4] = UInt8(truncatingIfNeeded: group >> 8)
        buffer[5] = UInt8(truncatingIfNeeded: group)
        buffer[6] = sequence
        buffer[7] = command
    }

    /// The header of the response to this request: op + 1, flags 0, group/sequence/command echoed.
    ///
    /// The version is echoed but clamped to v2 (1), as Zephyr's `smp_process_request` does, so a
    /// client speaking a future version learns what we speak. (MCUboot echoes it unclamped; for the
    /// only versions clients send, 0 and 1, the two agree.)
    public func response(payloadLength: Int) -> SMPHeader {
        precondition(payloadLength >= 0 && payloadLength <= Int(UInt16.max), "SMP payload length is 16 bits")
        return SMPHeader(
            operation: operation.response, version: min(version, 1), flags: 0,
            length: UInt16(payloadLength), group: group, sequence: sequence, command: command)
    }

    /// The header of `message` (header + payload) when a server should act on it, nil when
    /// MCUboot's `boot_serial_input` would drop it silently: shorter than 8 bytes, op not READ or
    /// WRITE, or a header length *smaller* than the payload that arrived.
    ///
    /// A header length *larger* than the payload is accepted, like MCUboot: its handlers use the
    /// real length, and refusing would break compatibility for no gain (the CRC already vouches for
    /// the bytes). Handlers must therefore take the payload size from the frame, not from `length`.
    public static func parseRequest(_ message: UnsafeRawBufferPointer) -> SMPHeader? {
        guard let header = try? SMPHeader(parsing: message), header.operation.isRequest,
              Int(header.length) >= message.count - SMPHeader.size
        else { return nil }
        return header
    }
}
