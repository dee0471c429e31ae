/// Cuts an SMP message into console frame lines, as MCUboot's `boot_serial_output`, Zephyr's
/// `mcumgr_serial_tx_pkt` and smpclient's `smp.packet.encode` all do:
///
/// ```
///  stream = [len+2 (BE16)] [SMP header + payload] [CRC-16/XMODEM of header+payload (BE16)]
///  base64(stream) cut into pieces of ((lineLength - 4) / 4) * 4 characters (124 for 128):
///  06 09 <piece 1> 0A
///  04 14 <piece 2> 0A
///  …
/// ```
///
/// Pieces are whole 4-character groups so each line decodes on its own; only the last carries
/// padding. Encoding streams 3-byte groups straight out of the three parts into one line-sized
/// stack buffer: no copy of the message, no heap.
public enum ConsoleFrameEncoder {
    /// Longest `lineLength` the stack line buffer supports.
    public static let maxLineLength = 512

    /// Calls `emit` once per line (markers, base64 and the trailing `\n`); each line is at most
    /// `lineLength - 1` bytes, leaving room for the NUL MCUboot appends to its 128-byte buffer.
    /// The buffer handed to `emit` is only valid during the call.
    public static func encode<E: Error>(
        message: UnsafeRawBufferPointer, lineLength: Int = 128,
        emit: (UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        precondition(lineLength >= 8 && lineLength <= maxLineLength, "line length out of range")
        precondition(message.count <= Int(UInt16.max) - 2, "SMP message too long for the length prefix")
        let prefix = UInt16(message.count + 2)
        let crc = CRC16XMODEM.checksum(message)
        let rawCount = message.count + 4
        let piece = (lineLength - 4) / 4 * 4
        let groupsPerLine = piece / 4

        /// Byte `i` of the virtual stream [prefix][message][crc].
        func streamByte(_ i: Int) -> UInt8 {
            if i < 2 { return UInt8(truncatingIfNeeded: i == 0 ? prefix >> 8 : prefix) }
            if i < 2 + message.count { return message[i - 2] }
            return UInt8(truncatingIfNeeded: i == rawCount - 2 ? crc >> 8 : crc)
        }

        var line = InlineArray<512, UInt8>(repeating: 0)
        var offset = 0  // next raw byte of the stream
        var first = true
        while offset < rawCount {
            line[0] = first ? 0x06 : 0x04
            line[1] = first ? 0x09 : 0x14
            first = false
            var n = 2
            var groups = 0
            while groups < groupsPerLine && offset < rawCount {
                let left = rawCount - offset
                let b0 = streamByte(offset)
                let b1: UInt8 = left > 1 ? streamByte(offset + 1) : 0
                let b2: UInt8 = left > 2 ? streamByte(offset + 2) : 0
                line[n] = Base64.character(b0 >> 2)
                line[n + 1] = Base64.character((b0 & 0x03) << 4 | b1 >> 4)
                line[n + 2] = left > 1 ? Base64.character((b1 & 0x0F) << 2 | b2 >> 6) : Base64.pad
                line[n + 3] = left > 2 ? Base64.character(b2 & 0x3F) : Base64.pad
                n += 4
                offset += 3
                groups += 1
            }
            line[n] = 0x0A
            n += 1
            let count = n
            try line.span.withUnsafeBytes { (raw) throws(E) in
                try emit(UnsafeRawBufferPointer(rebasing: raw[0..<count]))
            }
        }
    }
}
