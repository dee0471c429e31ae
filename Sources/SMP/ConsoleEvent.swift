/// Why the console framing threw a frame away. MCUboot answers none of these (a bad frame gets no
/// reply at all); the reason exists for logs and tests.
public enum FrameDropReason: Error, Equatable, Sendable {
    /// A frame line longer than ``ConsoleFrameDecoder/maxLineLength`` bytes including its `\n`.
    /// MCUboot truncates such a line, so its frame can never pass the CRC.
    case lineTooLong
    /// A line's payload is not whole groups of standard base64.
    case badBase64
    /// The packet's CRC-16/XMODEM does not check out.
    case badCRC
    /// The decoded stream would exceed ``ConsoleFrameDecoder/capacity`` bytes.
    case overflow
    /// More bytes arrived than the length prefix announced.
    case lengthMismatch
    /// A `04 14` continuation line with no packet started by `06 09`.
    case continuationWithoutStart
    /// The length prefix announces no SMP message at all (≤ 2 bytes: just a CRC).
    case tooShort
    /// The SMP header is unusable for a request (see ``SMPHeader/parseRequest(_:)``); in the raw
    /// framing, a first byte whose op is not READ or WRITE (MCUboot discards the buffer).
    case badHeader
    /// A COBS frame ended (`00`) inside a block: it was cut short.
    case badCOBS
    /// A partial raw message saw no byte for the input timeout (MCUboot's
    /// `BOOT_SERIAL_RAW_PROTOCOL_INPUT_TIMEOUT_MS`, 3000 by default) and was discarded.
    case inputTimeout

    public var description: StaticString {
        switch self {
        case .lineTooLong: "line too long"
        case .badBase64: "bad base64"
        case .badCRC: "bad CRC"
        case .overflow: "packet exceeds buffer"
        case .lengthMismatch: "more data than the length prefix"
        case .continuationWithoutStart: "continuation without start"
        case .tooShort: "packet too short"
        case .badHeader: "bad SMP header"
        case .badCOBS: "COBS frame cut short"
        case .inputTimeout: "partial raw packet timed out"
        }
    }
}

/// What one fed byte produced.
public enum ConsoleEvent: Equatable, Sendable {
    /// A complete, CRC-checked SMP message (header + payload) of `count` bytes is available
    /// through the decoder's `withPacket` until the next byte is fed.
    case packet(count: Int)
    /// A frame was discarded.
    case dropped(FrameDropReason)
}
