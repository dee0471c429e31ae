/// Reassembles SMP messages from the console byte stream ("SMP over console"), as MCUboot's
/// `boot_serial_read_console` + `boot_serial_in_dec` do, in fixed storage.
///
/// ```
///  06 09 <base64> 0A      start line: resets reassembly, decodes into an empty buffer
///  04 14 <base64> 0A      continuation: decodes after what is there
///  anything else   0A      console text: ignored
///
///  decoded stream: [len (BE16) = N] [SMP header + payload : N-2] [CRC-16/XMODEM (BE16)]
/// ```
///
/// Each line is base64-decoded on its own (so every line carries whole 4-character groups). The
/// packet is complete when exactly N bytes follow the prefix; it is delivered only if the CRC over
/// header + payload + received CRC leaves residue 0. Every other outcome is a ``ConsoleEvent/dropped(_:)``
/// and, as in MCUboot, no reply: a client times out and resends.
///
/// Differences from MCUboot, all in what happens to a frame that can never be delivered anyway:
/// an over-long frame line is reported at once (MCUboot truncates it and fails later), and a
/// stream that overshoots its prefix or cannot fit is dropped at once (MCUboot waits for the next
/// start line). The continuation lines of a dropped frame are discarded with it: one frame, one
/// drop. Both directions use it: the host client reads device replies with it too, which is
/// why the request-only header check lives in ``SMPHeader/parseRequest(_:)``, not here.
public struct ConsoleFrameDecoder {
    /// Longest line, including its `\n` (MCUboot `CONFIG_BOOT_MAX_LINE_INPUT_LEN`, smpclient's
    /// default line length).
    public static let maxLineLength = 128
    /// Largest decoded stream: 2-byte prefix + SMP message + 2-byte CRC. This is the `buf_size`
    /// the server reports in MCUmgr params, so the largest SMP message is `capacity - 4` = 2044.
    public static let capacity = 2048

    /// Line bytes (without `\n`) in `storage[0..<lineBase + maxLineLength]`, the decoded stream
    /// after them. One array, so a line can be decoded into the stream through one pointer.
    static let decodedBase = maxLineLength
    var storage = InlineArray<2176, UInt8>(repeating: 0)  // maxLineLength + capacity
    var lineCount = 0
    /// The current line overflowed; everything up to its `\n` is thrown away.
    var discardingLine = false
    var decodedCount = 0
    /// A start line has been seen and the packet is neither delivered nor dropped yet.
    var inPacket = false
    /// The packet of the last start line was dropped: its remaining continuation lines are
    /// discarded silently (one frame, one drop) until the next start line.
    var discardingPacket = false
    /// Size of the delivered message, 0 when none is available.
    var packetCount = 0

    public init() {}

    /// Forgets any partial line and packet.
    public mutating func reset() {
        lineCount = 0
        discardingLine = false
        decodedCount = 0
        inPacket = false
        discardingPacket = false
        packetCount = 0
    }

    /// Feeds one byte of the console stream.
    public mutating func feed(_ byte: UInt8) -> ConsoleEvent? {
        packetCount = 0
        if discardingLine {
            if byte == 0x0A { discardingLine = false }
            return nil
        }
        if byte == 0x0A {
            let count = lineCount
            lineCount = 0
            return endOfLine(count: count)
        }
        guard lineCount < ConsoleFrameDecoder.maxLineLength - 1 else {
            // The `\n` would be byte 129: the line does not fit MCUboot's buffer.
            let kind = marker(count: lineCount)
            lineCount = 0
            discardingLine = true
            guard let kind else { return nil }
            // A too-long continuation of a frame already dropped is part of that drop.
            if kind == .continuation && !inPacket && discardingPacket { return nil }
            return drop(.lineTooLong)
        }
        storage[lineCount] = byte
        lineCount += 1
        return nil
    }

    /// The message (SMP header + payload, CRC stripped) of the last ``ConsoleEvent/packet(count:)``;
    /// empty when the last byte fed did not complete one.
    ///
    /// `mutating` only so that the buffer is lent in place: a non-mutating call copied the whole
    /// decoder (2 KiB) onto the caller's stack on armv6m. The packet is not changed.
    public mutating func withPacket<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let start = ConsoleFrameDecoder.decodedBase + 2
        let end = start + packetCount
        var span = storage.mutableSpan
        return try span.withUnsafeMutableBytes { (raw) throws(E) -> R in
            try body(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
        }
    }

    // MARK: - Line handling

    enum Marker { case start, continuation }

    func marker(count: Int) -> Marker? {
        guard count >= 2 else { return nil }
        switch (storage[0], storage[1]) {
        case (0x06, 0x09): return .start
        case (0x04, 0x14): return .continuation
        default: return nil
        }
    }

    mutating func endOfLine(count: Int) -> ConsoleEvent? {
        guard let kind = marker(count: count) else { return nil }
        switch kind {
        case .start:
            inPacket = true
            discardingPacket = false
            decodedCount = 0
        case .continuation:
            guard inPacket else {
                // The rest of a frame that was already dropped is not another drop.
                return discardingPacket ? nil : .dropped(.continuationWithoutStart)
            }
        }

        let outStart = ConsoleFrameDecoder.decodedBase + decodedCount
        let outEnd = ConsoleFrameDecoder.decodedBase + ConsoleFrameDecoder.capacity
        var span = storage.mutableSpan
        let decoded: Result<Int, Base64Error> = span.withUnsafeMutableBytes { raw in
            let line = UnsafeRawBufferPointer(rebasing: raw[2..<count])
            let out = UnsafeMutableRawBufferPointer(rebasing: raw[outStart..<outEnd])
            do throws(Base64Error) {
                return .success(try Base64.decode(line, into: out))
            } catch {
                return .failure(error)
            }
        }
        switch decoded {
        case .success(let n):
            decodedCount += n
        case .failure(.outputTooSmall):
            return drop(.overflow)
        case .failure:
            return drop(.badBase64)
        }
        return checkComplete()
    }

    mutating func checkComplete() -> ConsoleEvent? {
        guard decodedCount >= 2 else { return nil }
        let base = ConsoleFrameDecoder.decodedBase
        let expected = Int(storage[base]) << 8 | Int(storage[base + 1])
        let received = decodedCount - 2
        guard expected + 2 <= ConsoleFrameDecoder.capacity else {
            return drop(.overflow)  // can never fit: no need to wait for the overflow
        }
        guard received >= expected else { return nil }
        guard received == expected else { return drop(.lengthMismatch) }
        guard expected > 2 else { return drop(.tooShort) }
        let residue = storage.span.withUnsafeBytes { raw in
            CRC16XMODEM.checksum(UnsafeRawBufferPointer(rebasing: raw[(base + 2)..<(base + 2 + expected)]))
        }
        guard residue == 0 else { return drop(.badCRC) }
        inPacket = false
        packetCount = expected - 2
        return .packet(count: packetCount)
    }

    /// Ends the current packet as dropped; its remaining continuation lines are discarded.
    mutating func drop(_ reason: FrameDropReason) -> ConsoleEvent {
        inPacket = false
        discardingPacket = true
        return .dropped(reason)
    }
}
