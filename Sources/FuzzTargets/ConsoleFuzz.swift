import SMP

/// The console framing decoder on arbitrary bytes (lines, markers, base64, CRCs).
enum ConsoleFuzz {
    static func run(_ input: UnsafeRawBufferPointer, _ v: inout FuzzViolations) {
        var decoder = ConsoleFrameDecoder()
        for byte in input {
            guard case .packet = decoder.feed(byte) else { continue }
            let packet: [UInt8] = decoder.withPacket { Array($0) }
            v.check(packet.count <= ConsoleFrameDecoder.capacity - 4, "packet of \(packet.count) bytes exceeds the buffer")
            // What the decoder delivered, the encoder must frame so that it decodes to itself.
            var lines: [UInt8] = []
            packet.withUnsafeBytes { message in
                ConsoleFrameEncoder.encode(message: message, lineLength: ConsoleFrameDecoder.maxLineLength) { lines += Array($0) }
            }
            var again = ConsoleFrameDecoder()
            var delivered: [[UInt8]] = []
            for b in lines {
                if case .packet = again.feed(b) { delivered.append(again.withPacket { Array($0) }) }
            }
            v.check(delivered == [packet], "a delivered packet of \(packet.count) bytes does not survive re-encoding")
        }
    }
}
