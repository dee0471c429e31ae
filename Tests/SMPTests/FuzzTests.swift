import SMP
import Testing

/// Deterministic random input: the decoders must throw or drop, never trap, and never deliver a
/// packet whose CRC does not check.
@Suite("Fuzz")
struct FuzzTests {
    /// Bytes biased towards what the framing cares about: markers, base64, newlines.
    static func frameishByte(_ rng: inout SplitMix64) -> UInt8 {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".utf8)
        switch UInt8.random(in: 0...15, using: &rng) {
        case 0: return 0x0A
        case 1: return [0x06, 0x09, 0x04, 0x14][Int.random(in: 0...3, using: &rng)]
        case 2: return UInt8.random(in: 0...255, using: &rng)
        default: return alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
        }
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func randomBytesIntoFrameDecoder(_ seed: UInt64) {
        var rng = SplitMix64(state: seed)
        var decoder = ConsoleFrameDecoder()
        var stream = [UInt8]()
        for _ in 0..<100_000 { stream.append(FuzzTests.frameishByte(&rng)) }
        let events = decode(stream, chunk: 997, into: &decoder)
        #expect(events.allSatisfy { event in
            if case .packet(let m) = event { return !m.isEmpty && m.count <= ConsoleFrameDecoder.capacity - 4 }
            return true
        })
        // Still in working order afterwards.
        #expect(decode(line([0x0A, 0x06, 0x09], "AAsAAAABAAEAAKCG/g=="), into: &decoder).last == .packet(hex("00 00 0001 0001 00 00 a0")))
    }

    @Test func mutatedFramesNeverDeliverCorruptPackets() {
        var rng = SplitMix64(state: 42)
        let original = uploadChunkMessage
        let stream = Array(encodeLines(original).joined())
        var delivered = 0
        for _ in 0..<2_000 {
            var mutated = stream
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<mutated.count, using: &rng)
                switch Int.random(in: 0...2, using: &rng) {
                case 0: mutated[i] = FuzzTests.frameishByte(&rng)
                case 1: mutated.remove(at: i)
                default: mutated.insert(FuzzTests.frameishByte(&rng), at: i)
                }
            }
            for event in decode(mutated) {
                if case .packet(let m) = event {
                    // Only a mutation outside the frame (e.g. in a newline's neighbourhood that
                    // leaves the base64 intact) may let a packet through, and then it is the original:
                    // with this seed no mutation forges a matching CRC.
                    #expect(m == original)
                    delivered += 1
                }
            }
        }
        #expect(delivered < 2_000, "most mutations are caught")
    }

    @Test(arguments: [UInt64(7), 8])
    func randomBytesIntoCBORReader(_ seed: UInt64) {
        var rng = SplitMix64(state: seed)
        var accepted = 0
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...48, using: &rng)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if let _ = try? reading(bytes, { (r) throws in try r.skip(); #expect(r.position <= bytes.count) }) {
                accepted += 1
            }
            _ = try? decodeUpload(bytes)
        }
        #expect(accepted > 0, "some random items are well-formed")
    }

    @Test func mutatedRequestsIntoCBORReader() {
        var rng = SplitMix64(state: 99)
        for _ in 0..<20_000 {
            var bytes = uploadRequest
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            _ = try? decodeUpload(bytes)
            _ = try? reading(bytes) { (r) throws in try r.skip() }
        }
    }
}
