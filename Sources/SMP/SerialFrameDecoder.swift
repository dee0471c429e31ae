/// Reassembles SMP messages from a serial byte stream in one framing, or in whichever framing
/// each message comes in (``SerialFraming/auto``), in the fixed storage of one
/// ``ConsoleFrameDecoder``: raw and COBS messages are written over its line buffer and decoded
/// stream (after the bytes auto holds undecided), so the decoder is no larger than the console
/// one. A raw or COBS message may be as long as the buffer the server reports in MCUmgr params
/// (`buf_size`, ``ConsoleFrameDecoder/capacity``): smpclient's raw transport sends messages of
/// exactly that size, with no framing overhead taken off (the console framing's prefix and CRC
/// share its buffer, so there the largest message is 4 bytes shorter).
///
/// ```
///  console  06 09 <base64> 0A [04 14 <base64> 0A …]     see ConsoleFrameDecoder
///  raw      [SMP header (8) with length N] [N bytes]     ends when 8 + N bytes have arrived
///  cobs     COBS([header + payload] [CRC-16/XMODEM BE16]) 00
/// ```
///
/// Raw (MCUboot `boot_serial_input_raw`): a first byte whose op is not READ or WRITE, or a length
/// past the buffer, drops the message; having no markers, the stream is then ignored until the
/// line goes quiet (``inputIdle()``, which the owner calls after the input timeout), and a
/// partial message is dropped there too. COBS: decoded as it arrives, one block at a time; the
/// CRC over the decoded bytes must leave residue 0; an empty frame (a stray `00`) is no frame; a
/// frame past the buffer is dropped and the rest of it ignored up to its `00`.
///
/// Auto, per message, from its first two bytes while between messages (held in the line
/// buffer): `06` starts a console line and `0D` ends console text. A second byte of `00` means
/// raw: it is the request's flags, 0 from every client, and COBS has no zero before its
/// delimiter; the first must start a request (reserved bits 0, version 0 or 1, op READ or
/// WRITE). A non-zero second byte means COBS when the first is a code byte of 1…9 (the header's
/// first zero, its flags or the high byte of a group below 256, within its 8 bytes) and the
/// decoded first byte starts a request. `0A` is a newline unless `00` follows (`0A 00` starts a
/// raw v2 write); `00` followed by a non-zero byte was a stray COBS delimiter and is skipped.
/// Anything else is console text, given to the console decoder, which ignores it to the end of
/// its line: typed text never passes for a binary message. ``inputIdle()`` drops a partial raw
/// or COBS message and starts over.
public struct SerialFrameDecoder {
    /// The framing accepted: one, or ``SerialFraming/auto``.
    public var framing: SerialFraming {
        didSet { reset() }
    }
    /// The framing of the last delivered packet: the reply goes out in it.
    public private(set) var packetFraming: SerialFraming = .console

    var console = ConsoleFrameDecoder()
    /// Auto: the framing of the message in progress (nil: between messages).
    var current: SerialFraming?
    /// Auto: undecided first bytes (at most 2), in `console.storage[0..<prefixCount]`.
    var prefixCount = 0
    /// Raw and COBS: message bytes so far at ``binaryBase`` (COBS: decoded, CRC included).
    var count = 0
    /// Raw: header + payload length, once the header is in (0 before).
    var expected = 0
    /// COBS: data bytes left in the current block (0: the next byte is a code byte).
    var blockRemaining = 0
    /// COBS: the block in progress stands for a zero after its data (its code was below FF).
    var zeroPending = false
    /// COBS: bytes of the frame in progress seen (an empty frame is a stray delimiter).
    var frameStarted = false
    /// Dropped message: raw ignores bytes until ``inputIdle()``, COBS until its `00`.
    var discarding = false
    var packetCount = 0
    /// Where the delivered packet starts in the storage.
    var packetStart = 0

    /// Where a console packet starts (after its stream's 2-byte length prefix).
    static let consoleBase = ConsoleFrameDecoder.decodedBase + 2
    /// Where a raw or COBS message is assembled: after the bytes auto holds undecided (2; the
    /// header's size leaves room).
    static let binaryBase = SMPHeader.size
    /// Largest SMP message in the console framing (`capacity - 4`: prefix and CRC share it).
    public static let maxConsoleMessage = ConsoleFrameDecoder.capacity - 4
    /// Largest SMP message in the raw and COBS framings (the reported `buf_size`).
    public static let maxBinaryMessage = ConsoleFrameDecoder.capacity

    public init(framing: SerialFraming = .console) {
        self.framing = framing
    }

    /// Forgets any partial message.
    public mutating func reset() {
        console.reset()
        current = nil
        prefixCount = 0
        resetMessage()
        discarding = false
        packetCount = 0
    }

    mutating func resetMessage() {
        count = 0
        expected = 0
        blockRemaining = 0
        zeroPending = false
        frameStarted = false
    }

    /// Whether a message is partly received (so that a quiet line would drop it).
    public var isInsideMessage: Bool {
        switch framing {
        case .console: false
        case .raw: count > 0
        case .cobs: frameStarted
        case .auto: prefixCount > 0 || current == .raw || current == .cobs
        }
    }

    /// The line has been quiet for the input timeout. Raw: a partial message is dropped (and
    /// the stream is read afresh after a drop). Auto: a partial raw or COBS message, or
    /// undecided bytes, likewise. Console and COBS resynchronise on their own; nothing changes.
    public mutating func inputIdle() -> ConsoleEvent? {
        packetCount = 0
        switch framing {
        case .console, .cobs:
            return nil
        case .raw:
            defer { resetMessage(); discarding = false }
            return count > 0 && !discarding ? .dropped(.inputTimeout) : nil
        case .auto:
            let partial = (current == .raw || current == .cobs) && !discarding && (count > 0 || frameStarted)
            // A lone newline or stray delimiter held undecided is not a message.
            let undecided = prefixCount > 1 || prefixCount == 1 && console.storage[0] != 0x0A && console.storage[0] != 0
            if current != .console {
                current = nil
                prefixCount = 0
                resetMessage()
                discarding = false
            }
            return partial || undecided ? .dropped(.inputTimeout) : nil
        }
    }

    /// Feeds one byte of the stream.
    public mutating func feed(_ byte: UInt8) -> ConsoleEvent? {
        packetCount = 0
        switch framing {
        case .console: return deliverConsole(console.feed(byte))
        case .raw: return feedRaw(byte)
        case .cobs: return feedCOBS(byte)
        case .auto: return feedAuto(byte)
        }
    }

    /// The message (SMP header + payload; no CRC) of the last ``ConsoleEvent/packet(count:)``;
    /// empty when the last byte fed did not complete one. `mutating` only to lend the buffer in
    /// place (a copy of the decoder would land on the caller's stack); the packet is not changed.
    public mutating func withPacket<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let start = packetStart
        let end = start + packetCount
        var span = console.storage.mutableSpan
        return try span.withUnsafeMutableBytes { (raw) throws(E) -> R in
            try body(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
        }
    }

    // MARK: - Console

    mutating func deliverConsole(_ event: ConsoleEvent?) -> ConsoleEvent? {
        if case .packet(let n) = event {
            packetCount = n
            packetStart = Self.consoleBase
            packetFraming = .console
        }
        return event
    }

    // MARK: - Raw

    /// Whether `byte` can start an SMP request: reserved bits 0, version 0 or 1, op READ (0) or
    /// WRITE (2). Auto's test; text never passes it but for `00`–`02`, `08` and `0A`.
    static func isRequestHeaderStart(_ byte: UInt8) -> Bool {
        byte & 0xE0 == 0 && (byte >> 3) & 0x03 <= 1 && (byte & 0x07 == 0 || byte & 0x07 == 2)
    }

    /// Whether the first two held bytes can start a COBS-framed request: a code byte of 1…9 (the
    /// header's first zero within its 8 bytes, as raw's rule assumes) and a decoded first byte
    /// that starts a request. Text (bytes from `20` up) never passes.
    func cobsLike(_ first: UInt8) -> Bool {
        (1...9).contains(first) && Self.isRequestHeaderStart(first == 1 ? 0 : console.storage[1])
    }

    mutating func feedRaw(_ byte: UInt8) -> ConsoleEvent? {
        guard !discarding else { return nil }
        if count == 0, byte & 0x07 > 3 {
            return dropRaw(.badHeader)  // MCUboot checks the op only
        }
        console.storage[Self.binaryBase + count] = byte
        count += 1
        if count == SMPHeader.size {
            let length = Int(console.storage[Self.binaryBase + 2]) << 8 | Int(console.storage[Self.binaryBase + 3])
            guard SMPHeader.size + length <= Self.maxBinaryMessage else { return dropRaw(.overflow) }
            expected = SMPHeader.size + length
        }
        guard count >= SMPHeader.size, count == expected else { return nil }
        packetCount = count
        packetStart = Self.binaryBase
        packetFraming = .raw
        resetMessage()
        return .packet(count: packetCount)
    }

    mutating func dropRaw(_ reason: FrameDropReason) -> ConsoleEvent {
        resetMessage()
        discarding = true
        return .dropped(reason)
    }

    // MARK: - COBS

    mutating func feedCOBS(_ byte: UInt8) -> ConsoleEvent? {
        if byte == 0 {
            defer { resetMessage() }
            if discarding {
                discarding = false  // the end of a frame already reported
                return nil
            }
            guard frameStarted else { return nil }  // a stray delimiter: an empty frame
            guard blockRemaining == 0 else { return .dropped(.badCOBS) }
            guard count > 2 else { return .dropped(.tooShort) }
            let residue = console.storage.span.withUnsafeBytes { raw in
                CRC16XMODEM.checksum(UnsafeRawBufferPointer(rebasing: raw[Self.binaryBase..<(Self.binaryBase + count)]))
            }
            guard residue == 0 else { return .dropped(.badCRC) }
            packetCount = count - 2
            packetStart = Self.binaryBase
            packetFraming = .cobs
            return .packet(count: packetCount)
        }
        guard !discarding else { return nil }
        frameStarted = true
        if blockRemaining == 0 {
            if zeroPending, !put(0) { return dropCOBS() }
            blockRemaining = Int(byte) - 1
            zeroPending = byte != 0xFF
        } else {
            guard put(byte) else { return dropCOBS() }
            blockRemaining -= 1
        }
        return nil
    }

    /// Appends a decoded byte; false when message + CRC would pass ``maxBinaryMessage`` + 2.
    mutating func put(_ byte: UInt8) -> Bool {
        guard count < Self.maxBinaryMessage + 2 else { return false }
        console.storage[Self.binaryBase + count] = byte
        count += 1
        return true
    }

    mutating func dropCOBS() -> ConsoleEvent {
        resetMessage()
        discarding = true
        return .dropped(.overflow)
    }

    // MARK: - Auto

    mutating func feedAuto(_ byte: UInt8) -> ConsoleEvent? {
        switch current {
        case .console?:
            let event = deliverConsole(console.feed(byte))
            if console.isIdle { current = nil }
            return event
        case .raw?:
            let event = feedRaw(byte)
            if case .packet? = event { current = nil }  // after a drop: ignored until idle
            return event
        case .cobs?:
            let event = feedCOBS(byte)
            if byte == 0 { current = nil }
            return event
        case .auto?, nil:
            return classify(byte)
        }
    }

    /// Between messages in auto: holds the first two bytes of a message and decides on them.
    mutating func classify(_ byte: UInt8) -> ConsoleEvent? {
        if prefixCount == 0 {
            if byte == 0x06 || byte == 0x0D { return asConsole(byte) }
            console.storage[0] = byte
            prefixCount = 1
            return nil
        }
        let first = console.storage[0]
        if byte != 0, first == 0x00 {
            prefixCount = 0  // the `00` was a stray COBS delimiter
            return classify(byte)
        }
        if byte != 0, first == 0x0A {
            // `0A` is a newline unless a zero follows (a raw v2 write starts `0A 00`).
            prefixCount = 0
            _ = asConsole(0x0A)
            return classify(byte)
        }
        console.storage[1] = byte
        prefixCount = 2
        if byte == 0 {
            // A request's second byte is its flags, 0 from every client: raw (COBS has no zero).
            return Self.isRequestHeaderStart(first) ? decide(.raw) : asConsoleText()
        }
        return cobsLike(first) ? decide(.cobs) : asConsoleText()
    }

    /// Commits to `framing` and replays the held bytes into it.
    mutating func decide(_ framing: SerialFraming) -> ConsoleEvent? {
        current = framing
        let held = prefixCount
        prefixCount = 0
        var last: ConsoleEvent?
        for i in 0..<held {
            let byte = console.storage[i]
            last = framing == .raw ? feedRaw(byte) : feedCOBS(byte)
        }
        if case .packet? = last { current = nil }
        return last
    }

    /// Console text (or a console line), one byte.
    mutating func asConsole(_ byte: UInt8) -> ConsoleEvent? {
        let event = deliverConsole(console.feed(byte))
        current = console.isIdle ? nil : .console
        return event
    }

    /// The held bytes are none of the binary framings: they go to the console decoder as text.
    mutating func asConsoleText() -> ConsoleEvent? {
        let held = prefixCount
        prefixCount = 0
        var last: ConsoleEvent?
        for i in 0..<held { last = deliverConsole(console.feed(console.storage[i])) }
        current = console.isIdle ? nil : .console
        return last
    }
}

extension ConsoleFrameDecoder {
    /// Between lines and not inside a frame: the next byte may start anything.
    var isIdle: Bool { lineCount == 0 && !discardingLine && !inPacket }
}
