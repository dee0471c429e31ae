/// How SMP messages travel on a serial line (mcuboot-serial-recovery.md §1).
public enum SerialFraming: String, Equatable, Sendable, CaseIterable {
    /// SMP over the console: `06 09` / `04 14` lines of base64 with a length prefix and a
    /// CRC-16 (``ConsoleFrameDecoder``, ``ConsoleFrameEncoder``). MCUboot's default.
    case console
    /// MCUboot's raw protocol (`CONFIG_BOOT_SERIAL_RAW_PROTOCOL`): the bare SMP message, its end
    /// given by the header's length. No CRC, no markers; a stalled partial message is dropped
    /// after the input timeout.
    case raw
    /// The raw protocol in COBS (mcu-tools/mcuboot#2773, smpclient `Cobs()`): each message is
    /// `COBS(header ‖ payload ‖ CRC-16/XMODEM big-endian) ‖ 00`. Self-synchronising at `00`.
    case cobs
    /// Receiving only: tells the three apart per message from its first two bytes (a console
    /// line starts `06 09`; a raw request's second byte is its flags, 0 from every client; a COBS
    /// frame has no zero before its `00`), and the reply goes out in the framing the request came
    /// in. See ``SerialFrameDecoder``.
    case auto
}

/// Writes one SMP message in a framing (the reply side of ``SerialFrameDecoder``).
public enum SerialFrameEncoder {
    /// Calls `emit` with the framed bytes of `message`, in pieces valid only during the call.
    /// `lineLength` applies to the console framing; `.auto` is not a framing to send in and
    /// sends as the console does.
    public static func encode<E: Error>(
        message: UnsafeRawBufferPointer, framing: SerialFraming, lineLength: Int = 128,
        emit: (UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        switch framing {
        case .console, .auto: try ConsoleFrameEncoder.encode(message: message, lineLength: lineLength, emit: emit)
        case .raw: try emit(message)
        case .cobs: try COBS.encodeFrame(message: message, emit: emit)
        }
    }
}

/// Consistent Overhead Byte Stuffing as MCUboot's `cobs.c` and smpclient's `cobs_encode` do it:
/// each block of up to 254 non-zero bytes is prefixed by its length + 1; a block shorter than
/// 254 stands for its bytes and one zero (the last block's zero is implied away), `FF` for 254
/// bytes and no zero. `cobs("")` = `01`, `cobs(01 02 03)` = `04 01 02 03`, `cobs(00)` = `01 01`.
public enum COBS {
    /// Calls `emit` with `COBS(message ‖ CRC-16/XMODEM(message), big-endian) ‖ 00`, straight
    /// from the message (no copy: code bytes and the CRC come from two small locals).
    public static func encodeFrame<E: Error>(
        message: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        let crc = CRC16XMODEM.checksum(message)
        var tail: (UInt8, UInt8) = (UInt8(truncatingIfNeeded: crc >> 8), UInt8(truncatingIfNeeded: crc))
        let total = message.count + 2
        func byte(_ i: Int) -> UInt8 { i < message.count ? message[i] : i == message.count ? tail.0 : tail.1 }
        func emitByte(_ value: UInt8) throws(E) {
            var value = value
            try withUnsafeBytes(of: &value) { (raw) throws(E) in try emit(raw) }
        }
        /// Emits stream bytes `start..<end` (message part as one slice, CRC part from `tail`).
        func emitRange(_ start: Int, _ end: Int) throws(E) {
            let split = min(end, message.count)
            if start < split { try emit(UnsafeRawBufferPointer(rebasing: message[start..<split])) }
            let crcStart = max(start, message.count) - message.count
            let crcEnd = end - message.count
            if crcStart < crcEnd {
                try withUnsafeBytes(of: &tail) { (raw) throws(E) in
                    try emit(UnsafeRawBufferPointer(rebasing: raw[crcStart..<crcEnd]))
                }
            }
        }
        var start = 0
        while true {
            var end = start
            while end < total, end - start < 254, byte(end) != 0 { end += 1 }
            try emitByte(UInt8(end - start + 1))
            try emitRange(start, end)
            if end - start == 254 {
                start = end  // a full block carries no zero; the next (maybe empty) block follows
                continue
            }
            if end == total { break }
            start = end + 1  // the zero the block's code stands for
        }
        try emitByte(0)
    }
}

/// A decoder a serial link can run: ``ConsoleFrameDecoder`` (the console framing only, what a
/// boot stage links: the other framings' code stays out of its image) or ``SerialFrameDecoder``
/// (any framing, chosen at run time).
public protocol SMPFrameDecoding {
    init()
    /// The framing of the last delivered packet (the reply goes out in it).
    var packetFraming: SerialFraming { get }
    /// Feeds one byte; a packet is lent by ``withPacket(_:)`` until the next byte.
    mutating func feed(_ byte: UInt8) -> ConsoleEvent?
    mutating func withPacket<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R
    /// The line has been quiet for the input timeout (a partial raw message is dropped).
    mutating func inputIdle() -> ConsoleEvent?
    /// Forgets any partial message.
    mutating func reset()
}

extension SMPFrameDecoding {
    /// Feeds a buffer; `handle` gets each event with the packet bytes (empty for a drop), valid
    /// only during the call.
    public mutating func feed<E: Error>(
        _ bytes: UnsafeRawBufferPointer, _ handle: (ConsoleEvent, UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        for byte in bytes {
            guard let event = feed(byte) else { continue }
            switch event {
            case .packet:
                try withPacket { (packet) throws(E) in try handle(event, packet) }
            case .dropped:
                try handle(event, UnsafeRawBufferPointer(start: nil, count: 0))
            }
        }
    }
}

extension ConsoleFrameDecoder: SMPFrameDecoding {
    public var packetFraming: SerialFraming { .console }
    /// The console framing resynchronises on its own markers: a quiet line changes nothing.
    public mutating func inputIdle() -> ConsoleEvent? { nil }
}

extension SerialFrameDecoder: SMPFrameDecoding {
    public init() { self.init(framing: .console) }
}
