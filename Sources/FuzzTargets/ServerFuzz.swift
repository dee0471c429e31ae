import DFUTarget
import FlashKit
import Foundation
import Recovery
import SMP
import Simulation

/// The whole recovery server, behind the console link, over a strict NOR model.
///
/// Input: one configuration byte, then SMP messages, each as a 2-byte big-endian length and that
/// many bytes (a message the fuzzer mutates freely: header, CBOR, upload fields). The harness
/// frames each message correctly (base64, CRC), so the fuzzer's effort goes into the server, not
/// into guessing CRCs; the console target covers the framing itself.
///
/// After every message: no byte outside what the policy lets requests modify has changed, every
/// reply is a well-formed response to that request whose body is one CBOR map, and the server
/// still answers an echo.
///
/// Configuration byte: bit 0 policy (0 primary-only, 1 slot mapping), bit 1 two images, bits 2–3
/// write size (1, 4, 8, 16), bit 4 erased value (0xFF, 0x00).
enum ServerFuzz {
    /// A 16 KiB device with 1 KiB sectors (small, so each run is cheap): bootloader, image 0's
    /// slots, image 1's slots, storage.
    static let deviceSize = 0x4000
    static let sectorSize = 0x400
    static let primary0 = 0x0800..<0x1800
    static let secondary0 = 0x1800..<0x2800
    static let primary1 = 0x2800..<0x3000
    static let secondary1 = 0x3000..<0x3800
    /// The device's contents before each run: never 0x00 or 0xFF, so any stray erase or write shows.
    static let junk = noise(count: deviceSize)

    /// `count` bytes of xorshift noise with no 0x00 or 0xFF in them: a flash device's contents
    /// before a run, so that any stray erase or write shows (the mesh target uses it too).
    static func noise(count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var state: UInt32 = 0x2545_F491
        for i in bytes.indices {
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            let b = UInt8(truncatingIfNeeded: state)
            bytes[i] = b == 0 || b == 0xFF ? 0x5A : b
        }
        return bytes
    }
    static let maxMessages = 64

    struct Slots: SlotMap {
        typealias Area = FlashArea<NORFlashModel>
        let areas: [[Area]]
        var imageCount: Int { areas.count }
        func area(image: Int, slot: Int) -> Area? {
            guard image >= 0, image < areas.count, slot >= 0, slot < areas[image].count else { return nil }
            return areas[image][slot]
        }
    }

    static func run(_ input: UnsafeRawBufferPointer, _ v: inout FuzzViolations) {
        guard let config = input.first else { return }
        let policy: UploadPolicy = config & 1 == 0 ? .primaryOnly : .slotMapping
        let dual = config & 2 != 0
        let writeSize = [1, 4, 8, 16][Int(config >> 2) & 3]
        let erased: UInt8 = config & 0x10 == 0 ? 0xFF : 0x00
        guard let flash = try? NORFlashModel(size: deviceSize, eraseSize: sectorSize, writeSize: writeSize, erasedValue: erased) else {
            return v.check(false, "cannot build the flash model")
        }
        flash.traceEnabled = false
        try? flash.load(junk, at: 0)
        var ranges = [[primary0, secondary0]]
        if dual { ranges.append([primary1, secondary1]) }
        let areas = ranges.map { row in row.map { try! FlashArea(device: flash, offset: $0.lowerBound, size: $0.count) } }
        let slots = Slots(areas: areas)
        // What requests may modify under this policy: the one rule, asked the same way.
        var modifiable: [Range<Int>] = []
        for (image, row) in ranges.enumerated() {
            for (slot, range) in row.enumerated() where policy.mayModify(SlotAddress(image: image, slot: slot)) {
                modifiable.append(range)
            }
        }
        let outside = complement(of: modifiable, in: 0..<deviceSize)
        var link = SerialRecoveryLink(server: RecoveryServer(slots: slots, configuration: RecoveryConfiguration(policy: policy)))

        var p = 1
        var count = 0
        var sequence: UInt8 = 0
        while p + 2 <= input.count && count < maxMessages {
            let length = Int(input[p]) << 8 | Int(input[p + 1])
            p += 2
            let end = min(p + length, input.count)
            let message = Array(input[p..<end])
            p = end
            count += 1
            guard !message.isEmpty, message.count <= ConsoleFrameDecoder.capacity - 4 else { continue }

            let (replies, action) = exchange(&link, message)
            if let request = message.withUnsafeBytes({ SMPHeader.parseRequest($0) }) {
                v.check(replies.count == 1, "message \(count): \(replies.count) replies to a valid request")
                for reply in replies { checkReply(reply, to: request, &v, count) }
            } else {
                v.check(replies.isEmpty, "message \(count): a reply to an invalid request")
            }
            if action == .reset { link.reboot() }
            for range in outside where !same(flash.bytes(in: range), junk, at: range.lowerBound) {
                v.check(false, "message \(count): flash at 0x\(String(range.lowerBound, radix: 16))..<0x\(String(range.upperBound, radix: 16)) changed outside the \(policy) policy's slots")
            }
            // The server still answers.
            sequence &+= 1
            let echo: [UInt8] = [0x02, 0x00, 0x00, 0x08, 0x00, 0x00, sequence, 0x00, 0xA1, 0x61, 0x64, 0x64, 0x70, 0x69, 0x6E, 0x67]
            let (answers, _) = exchange(&link, echo)
            v.check(answers.count == 1 && answers.first.map { Array($0.dropFirst(SMPHeader.size)) } == [0xBF, 0x61, 0x72, 0x64, 0x70, 0x69, 0x6E, 0x67, 0xFF],
                    "message \(count): echo no longer answered (\(answers))")
            if !v.messages.isEmpty { return }
        }
    }

    /// Frames `message` as a client would, feeds it to the link, decodes what comes back.
    static func exchange(_ link: inout SerialRecoveryLink<Slots>, _ message: [UInt8]) -> ([[UInt8]], RecoveryAction) {
        var frame: [UInt8] = []
        message.withUnsafeBytes { m in ConsoleFrameEncoder.encode(message: m, lineLength: ConsoleFrameDecoder.maxLineLength) { frame += Array($0) } }
        var output: [UInt8] = []
        let action = frame.withUnsafeBytes { link.receive($0, transmit: { output += Array($0) }) }
        var decoder = ConsoleFrameDecoder()
        var replies: [[UInt8]] = []
        for byte in output {
            if case .packet = decoder.feed(byte) { replies.append(decoder.withPacket { Array($0) }) }
        }
        return (replies, action)
    }

    static func checkReply(_ reply: [UInt8], to request: SMPHeader, _ v: inout FuzzViolations, _ n: Int) {
        guard let header = try? reply.withUnsafeBytes({ try SMPHeader(parsing: $0) }) else {
            return v.check(false, "message \(n): reply has no SMP header")
        }
        v.check(header.operation == request.operation.response, "message \(n): reply op \(header.operation)")
        v.check(header.group == request.group && header.command == request.command && header.sequence == request.sequence,
                "message \(n): reply does not echo group, command and sequence")
        v.check(Int(header.length) == reply.count - SMPHeader.size, "message \(n): reply length field is wrong")
        let body = Array(reply[SMPHeader.size...])
        let bodyOK = body.withUnsafeBytes { (try? CBORReader.checkRequestBody($0)) != nil }
        v.check(bodyOK && !body.isEmpty, "message \(n): reply body is not one well-formed CBOR map")
    }

    /// `bytes` equals `reference[offset...]` (memcmp: a Swift loop here is instrumented per byte).
    static func same(_ bytes: [UInt8], _ reference: [UInt8], at offset: Int) -> Bool {
        bytes.withUnsafeBytes { a in reference.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress! + offset, a.count) == 0 } }
    }

    static func complement(of ranges: [Range<Int>], in whole: Range<Int>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var at = whole.lowerBound
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if r.lowerBound > at { result.append(at..<r.lowerBound) }
            at = max(at, r.upperBound)
        }
        if at < whole.upperBound { result.append(at..<whole.upperBound) }
        return result
    }
}
