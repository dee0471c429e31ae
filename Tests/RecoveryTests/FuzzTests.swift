import DFUTarget
import FlashKit
import Recovery
import SMP
import Testing

/// Deterministic fuzzing (fixed-seed SplitMix64): the server and the link never trap, always
/// answer a well-formed request with a well-formed CBOR map, and never touch flash outside the
/// slots.
@Suite struct FuzzTests {
    static let keys = ["image", "len", "off", "data", "sha", "upgrade", "slot", "d", "query", "rc", "", "offf", "dat"]

    static func randomValue(_ rng: inout SplitMix64, depth: Int = 0) -> CBOR {
        switch rng.next() % 13 {
        case 0: return .unsigned(rng.next() % 64)
        case 1: return .unsigned(rng.next() % 0x9000)
        case 2: return .unsigned(rng.next() >> (rng.next() % 64))
        case 3: return .negative(-Int64(rng.next() % 1000) - 1)
        case 4, 5: return .bytes(payloadBytes(Int(rng.next() % 300), seed: Int(rng.next() % 1000)))
        case 6: return .text(String(repeating: "z", count: Int(rng.next() % 40)))
        case 7: return .bool(rng.next() & 1 == 0)
        case 8: return .null
        case 9: return depth < 3 ? .array((0..<Int(rng.next() % 4)).map { _ in randomValue(&rng, depth: depth + 1) }) : .null
        case 10: return depth < 3 ? randomMap(&rng, depth: depth + 1) : .unsigned(0)
        case 11: return .raw((0..<Int(rng.next() % 12)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        default: return .unsigned(UInt64(rng.next() % 4) * 0x1000)
        }
    }

    static func randomMap(_ rng: inout SplitMix64, depth: Int = 0) -> CBOR {
        .map((0..<Int(rng.next() % 7)).map { _ in
            (CBOR.text(keys[Int(rng.next() % UInt64(keys.count))]), randomValue(&rng, depth: depth))
        })
    }

    /// A payload: a random map, a mutated valid upload, random bytes, or a valid upload.
    static func randomPayload(_ rng: inout SplitMix64, next: inout Int) -> [UInt8] {
        switch rng.next() % 5 {
        case 0: return randomMap(&rng).encoded()
        case 1:
            var p = uploadBody(off: next, data: payloadBytes(Int(rng.next() % 1500)), len: next == 0 ? Int(rng.next() % 0x9000) : nil).encoded()
            for _ in 0..<(1 + rng.next() % 3) where !p.isEmpty {
                let i = Int(rng.next() % UInt64(p.count))
                switch rng.next() % 3 {
                case 0: p[i] ^= UInt8(1 << (rng.next() % 8))
                case 1: p.removeSubrange(i...)
                default: p.insert(UInt8(truncatingIfNeeded: rng.next()), at: i)
                }
            }
            return p
        case 2: return (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        default:
            let len = 0x3000
            let off = rng.next() % 4 == 0 ? 0 : next
            return uploadBody(off: off, data: payloadBytes(min(1 + Int(rng.next() % 1200), len - off)), len: off == 0 ? len : nil).encoded()
        }
    }

    struct Setup: Sendable, CustomTestStringConvertible {
        var policy: UploadPolicy
        var layout: SlotLayout
        var geometry: Geometry
        var seed: UInt64
        var testDescription: String { "\(policy) \(layout) \(geometry.testDescription) seed \(seed)" }
    }

    static let setups = [
        Setup(policy: .primaryOnly, layout: .single, geometry: .standard, seed: 1),
        Setup(policy: .slotMapping, layout: .dual, geometry: Geometry(writeSize: 8, erasedValue: 0x00), seed: 2),
        Setup(policy: .primaryOnly, layout: .dual, geometry: Geometry(writeSize: 1, erasedValue: 0xFF), seed: 3),
    ]

    /// What requests may modify: the layout's slots, and under primary-only only the primaries.
    static func slotRanges(_ layout: SlotLayout, policy: UploadPolicy) -> [Range<Int>] {
        let all: [Range<Int>]
        switch layout {
        case .single: all = [Addr.primary0, Addr.secondary0]
        case .primaryOnly: all = [Addr.primary0]
        case .dual: all = [Addr.primary0, Addr.secondary0, Addr.primary1, Addr.secondary1]
        }
        guard policy == .primaryOnly else { return all }
        return all.filter { $0 == Addr.primary0 || $0 == Addr.primary1 }
    }

    @Test(arguments: setups)
    func randomRequests(setup: Setup) throws {
        var rng = SplitMix64(seed: setup.seed)
        let rig = try Rig(geometry: setup.geometry, policy: setup.policy, layout: setup.layout)
        try rig.fillWithJunk()
        rig.flash.traceEnabled = false
        let before = rig.flash.snapshot()
        var next = 0
        var answered = 0
        var progressed = 0
        for i in 0..<2000 {
            let pick = rng.next() % 20
            let (group, command): (UInt16, UInt8) =
                pick < 12 ? (1, 1) : pick < 15 ? (0, 0) : pick < 17 ? (1, 5) : pick < 18 ? (1, 0) : (UInt16(rng.next() % 3), UInt8(rng.next() % 10))
            let payload = Self.randomPayload(&rng, next: &next)
            let version = UInt8(rng.next() % 8 == 0 ? rng.next() % 4 : rng.next() % 2)
            let op: UInt8 = rng.next() % 16 == 0 ? UInt8(rng.next() % 8) : (rng.next() % 2 == 0 ? 2 : 0)
            var message = smpMessage(version: version, group: group, command: command, sequence: UInt8(i & 0xFF), payload: payload)
            message[0] = op | version << 3
            if rng.next() % 32 == 0 { message = Array(message.prefix(Int(rng.next() % 12))) }
            let r = rig.send(raw: message)
            let valid = message.count >= 8 && (op == 0 || op == 2)
            guard valid else {
                #expect(r.isEmpty, "iteration \(i)")
                continue
            }
            answered += 1
            let header = try #require(r.header, "iteration \(i)")
            #expect(header.group == group && header.command == command && header.sequence == UInt8(i & 0xFF))
            #expect(Int(header.length) == r.bytes.count - 8)
            let body = try #require(r.body, "iteration \(i): undecodable response \(r.payload)")
            guard case .map = body else {
                Issue.record("iteration \(i): response is not a map: \(body)")
                continue
            }
            if group == 1 && command == 1, let off = body["off"]?.int {
                if off > 0 { progressed += 1 }
                next = off >= 0x3000 ? 0 : off
            }
        }
        #expect(answered > 1500)
        #expect(progressed > 100, "the fuzz should also drive real uploads")
        expectUnchanged(before, rig.flash.snapshot(), except: Self.slotRanges(setup.layout, policy: setup.policy))
    }

    /// Random bytes into the link, mixed with valid and corrupted frames and console text: never a
    /// trap, every output line a well-formed frame whose message is a CBOR map.
    @Test(arguments: [UInt64(7), 8])
    func randomLinkInput(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let l = try LinkRig()
        try l.rig.fillWithJunk()
        l.rig.flash.traceEnabled = false
        let before = l.rig.flash.snapshot()
        var next = 0
        var replies = 0
        for i in 0..<2000 {
            var bytes: [UInt8]
            switch rng.next() % 6 {
            case 0:
                // Random bytes, biased towards markers and newlines.
                bytes = (0..<Int(rng.next() % 300)).map { _ in
                    switch rng.next() % 10 {
                    case 0: 0x0A
                    case 1: 0x06
                    case 2: 0x09
                    case 3: 0x04
                    case 4: 0x14
                    case 5, 6: Array("ABCDEFGHabcdef0123+/=".utf8)[Int(rng.next() % 21)]
                    default: UInt8(truncatingIfNeeded: rng.next())
                    }
                }
            case 1, 2:
                let group: UInt16 = rng.next() % 3 == 0 ? 0 : 1
                let command: UInt8 = group == 0 ? [0, 1, 6, 8][Int(rng.next() % 4)] : [0, 1, 1, 1, 6][Int(rng.next() % 5)]
                bytes = frame(smpMessage(group: group, command: command, sequence: UInt8(i & 0xFF), payload: Self.randomPayload(&rng, next: &next)))
            case 3:
                // A valid frame with one corrupted byte, or cut short.
                var f = frame(echoMessage(String(repeating: "q", count: Int(rng.next() % 400))))
                let j = Int(rng.next() % UInt64(f.count))
                if rng.next() % 2 == 0 { f[j] = UInt8(truncatingIfNeeded: rng.next()) } else { f = Array(f[0..<j]) + [0x0A] }
                bytes = f
            case 4:
                bytes = Array("[00:00:0\(i % 10)] console text\n".utf8)
            default:
                bytes = frame(echoMessage("ping \(i)"))
            }
            let action = l.feed(bytes)
            if action == .reset { l.link.reboot() }
            for message in l.takeMessages() {
                replies += 1
                let r = Response(bytes: message, reply: RecoveryReply(length: message.count))
                let body = try #require(r.body, "iteration \(i)")
                guard case .map = body else {
                    Issue.record("iteration \(i): not a map: \(body)")
                    continue
                }
                if r.header?.group == 1, r.header?.command == 1, let off = body["off"]?.int { next = off >= 0x3000 ? 0 : off }
            }
        }
        #expect(replies > 500)
        expectUnchanged(before, l.rig.flash.snapshot(), except: [Addr.primary0])  // LinkRig: primary-only
    }
}
