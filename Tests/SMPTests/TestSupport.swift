import SMP
import Testing

/// Bytes from hex text; spaces are ignored ("bf 62 72 63").
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") })
    precondition(digits.count % 2 == 0, "odd hex")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: preconditionFailure("bad hex digit")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

/// A console frame line: marker, ASCII payload, `\n`.
func line(_ marker: [UInt8], _ base64: String) -> [UInt8] {
    marker + Array(base64.utf8) + [0x0A]
}
let start: [UInt8] = [0x06, 0x09]
let continuation: [UInt8] = [0x04, 0x14]

/// Encodes `message` into console lines with the encoder under test.
func encodeLines(_ message: [UInt8], lineLength: Int = 128) -> [[UInt8]] {
    var lines: [[UInt8]] = []
    message.withUnsafeBytes { raw in
        ConsoleFrameEncoder.encode(message: raw, lineLength: lineLength) { lines.append(Array($0)) }
    }
    return lines
}

/// What a decoder produced, with packet bytes copied out.
enum Decoded: Equatable {
    case packet([UInt8])
    case dropped(FrameDropReason)
}

/// Feeds `stream` in chunks of `chunk` bytes (0 = all at once) and collects the events.
func decode(_ stream: [UInt8], chunk: Int = 0, into decoder: inout ConsoleFrameDecoder) -> [Decoded] {
    var events: [Decoded] = []
    let size = chunk == 0 ? max(stream.count, 1) : chunk
    var i = 0
    while i < stream.count {
        let part = Array(stream[i..<min(i + size, stream.count)])
        part.withUnsafeBytes { raw in
            decoder.feed(raw) { event, packet in
                switch event {
                case .packet(let count):
                    #expect(count == packet.count)
                    events.append(.packet(Array(packet)))
                case .dropped(let reason):
                    events.append(.dropped(reason))
                }
            }
        }
        i += size
    }
    return events
}

func decode(_ stream: [UInt8], chunk: Int = 0) -> [Decoded] {
    var decoder = ConsoleFrameDecoder()
    return decode(stream, chunk: chunk, into: &decoder)
}

/// Deterministic PRNG (SplitMix64) so fuzz loops are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Runs the CBOR writer on a fresh buffer and returns what it wrote.
func cbor(capacity: Int = 512, _ build: (inout CBORWriter) -> Void) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: capacity)
    return out.withUnsafeMutableBytes { raw in
        var w = CBORWriter(raw)
        build(&w)
        #expect(!w.overflowed)
        return Array(w.written)
    }
}
