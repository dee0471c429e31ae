import BootCrypto
import Crypto
import Foundation
import LifeboatHost
import Testing

/// The host's SHA-256 engine (the x86 SHA instructions) gives BootCrypto's digests: every length
/// around the block and padding boundaries, updates split anywhere, and a whole slot.
@Suite struct HostSHA256Tests {
    static func bytes(_ count: Int, seed: UInt32) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }

    static func digest(_ message: [UInt8], engine: BootCrypto.SHA256.Engine, splits: [Int] = []) -> [UInt8] {
        var sha = BootCrypto.SHA256(engine: engine)
        var start = 0
        message.withUnsafeBytes { raw in
            for cut in splits.sorted() + [message.count] where cut >= start && cut <= message.count {
                sha.update(UnsafeRawBufferPointer(rebasing: raw[start..<cut]))
                start = cut
            }
        }
        return sha.finalize().bytes.span.withUnsafeBufferPointer { Array($0) }
    }

    @Test func thisMachineUsesItsSHAInstructionsWhenItHasThem() throws {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        #if arch(x86_64)
        if cpuinfo.contains(" sha_ni") {
            #expect(!HostSHA256.engine.isPortable)
            #expect(HostSHA256.name(of: HostSHA256.engine) == "x86 SHA extensions")
        }
        #endif
        #expect(HostSHA256.name(of: .portable) == "portable")
    }

    @Test func everyLengthUpToFourBlocks() {
        for count in 0...260 {
            let message = Self.bytes(count, seed: UInt32(count))
            let expected = Array(Crypto.SHA256.hash(data: message))
            #expect(Self.digest(message, engine: HostSHA256.engine) == expected, "length \(count)")
            #expect(Self.digest(message, engine: .portable) == expected, "length \(count)")
        }
    }

    @Test func splitUpdatesAndAWholeSlot() {
        let message = Self.bytes(475_136 + 7, seed: 42)
        let expected = Array(Crypto.SHA256.hash(data: message))
        #expect(Self.digest(message, engine: HostSHA256.engine) == expected)
        #expect(Self.digest(message, engine: HostSHA256.engine, splits: [1, 63, 64, 65, 200, 4096, 300_001]) == expected)
        // "abc", FIPS 180-4's first example.
        #expect(Self.digest(Array("abc".utf8), engine: HostSHA256.engine).prefix(4) == [0xba, 0x78, 0x16, 0xbf])
    }
}
