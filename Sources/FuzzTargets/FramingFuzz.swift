import SMP

/// The serial framings on arbitrary bytes. Byte 0 picks the framing (console, raw, cobs, auto);
/// byte 1 how often the line goes quiet (`inputIdle()` every `byte1 + 1` bytes, never for 255).
/// Every delivered packet fits its framing's buffer, came in a real framing (never `.auto`),
/// is a whole SMP message when raw, and, framed again in its framing, decodes to itself.
enum FramingFuzz {
    static func run(_ input: UnsafeRawBufferPointer, _ v: inout FuzzViolations) {
        guard input.count >= 2 else { return }
        let framings: [SerialFraming] = [.console, .raw, .cobs, .auto]
        let framing = framings[Int(input[0]) % framings.count]
        let idleEvery = input[1] == 255 ? Int.max : Int(input[1]) + 1
        var decoder = SerialFrameDecoder(framing: framing)
        for (index, byte) in input.dropFirst(2).enumerated() {
            if (index + 1) % idleEvery == 0 { _ = decoder.inputIdle() }
            guard case .packet(let count) = decoder.feed(byte) else { continue }
            let packet: [UInt8] = decoder.withPacket { Array($0) }
            let delivered = decoder.packetFraming
            v.check(packet.count == count, "event count \(count) but \(packet.count) bytes lent")
            v.check(delivered != .auto, "a packet delivered as auto")
            let limit = delivered == .console ? SerialFrameDecoder.maxConsoleMessage : SerialFrameDecoder.maxBinaryMessage
            v.check(packet.count <= limit, "a \(delivered) packet of \(packet.count) bytes exceeds \(limit)")
            if delivered == .raw {
                v.check(packet.count >= 8 && 8 + (Int(packet[2]) << 8 | Int(packet[3])) == packet.count,
                        "a raw packet of \(packet.count) bytes is not what its header announces")
            }
            var framed: [UInt8] = []
            packet.withUnsafeBytes { message in
                SerialFrameEncoder.encode(message: message, framing: delivered, lineLength: ConsoleFrameDecoder.maxLineLength) {
                    framed += Array($0)
                }
            }
            var again = SerialFrameDecoder(framing: delivered)
            var decoded: [[UInt8]] = []
            for b in framed {
                if case .packet = again.feed(b) { decoded.append(again.withPacket { Array($0) }) }
            }
            v.check(decoded == [packet], "a \(delivered) packet of \(packet.count) bytes does not survive re-framing")
        }
    }
}
