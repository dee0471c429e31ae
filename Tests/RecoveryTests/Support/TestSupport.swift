import BootCrypto
import DFUTarget
import FlashKit
import Foundation
import MCUbootImage
import Recovery
import SMP
import Simulation
import Testing

// MARK: - CBOR values for requests and responses

/// A CBOR item on the test side. Encoding goes through ``SMP/CBORWriter`` (definite lengths, as
/// smpclient's cbor2 sends); decoding through ``SMP/CBORReader`` (accepts the indefinite-length
/// maps the server writes). `.raw` splices bytes verbatim (hostile heads, truncated items).
indirect enum CBOR: Equatable, CustomStringConvertible {
    case unsigned(UInt64)
    case negative(Int64)
    case bytes([UInt8])
    case text(String)
    case array([CBOR])
    case map([(CBOR, CBOR)])
    case bool(Bool)
    case null
    case raw([UInt8])

    static func == (lhs: CBOR, rhs: CBOR) -> Bool {
        switch (lhs, rhs) {
        case (.unsigned(let a), .unsigned(let b)): a == b
        case (.negative(let a), .negative(let b)): a == b
        case (.bytes(let a), .bytes(let b)): a == b
        case (.text(let a), .text(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.map(let a), .map(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.bool(let a), .bool(let b)): a == b
        case (.null, .null): true
        case (.raw(let a), .raw(let b)): a == b
        default: false
        }
    }

    subscript(key: String) -> CBOR? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.0 == .text(key) }?.1
    }

    var keys: [String] {
        guard case .map(let entries) = self else { return [] }
        return entries.compactMap { if case .text(let k) = $0.0 { k } else { nil } }
    }

    var int: Int? {
        switch self {
        case .unsigned(let v): Int(exactly: v)
        case .negative(let v): Int(exactly: v)
        default: nil
        }
    }
    var string: String? { if case .text(let s) = self { s } else { nil } }
    var byteString: [UInt8]? { if case .bytes(let b) = self { b } else { nil } }
    var array: [CBOR]? { if case .array(let a) = self { a } else { nil } }

    var description: String {
        switch self {
        case .unsigned(let v): "\(v)"
        case .negative(let v): "\(v)"
        case .bytes(let b): b.count <= 40 ? "h'\(b.map { String(format: "%02x", $0) }.joined())'" : "<\(b.count) bytes>"
        case .text(let s): s.count <= 60 ? "\"\(s)\"" : "<text \(s.count)>"
        case .array(let a): "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .map(let m): "{" + m.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}"
        case .bool(let b): "\(b)"
        case .null: "null"
        case .raw(let r): "raw\(r)"
        }
    }

    // MARK: Encoding

    /// Runs `body` on a CBORWriter large enough for `capacity` bytes and returns what it wrote.
    static func written(capacity: Int, _ body: (inout CBORWriter) -> Void) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: capacity)
        let count = buffer.withUnsafeMutableBytes { raw in
            var writer = CBORWriter(raw)
            body(&writer)
            precondition(!writer.overflowed, "test CBOR writer overflowed")
            return writer.count
        }
        return Array(buffer[0..<count])
    }

    func encoded() -> [UInt8] {
        switch self {
        case .unsigned(let v): return Self.written(capacity: 9) { $0.unsigned(v) }
        case .negative(let v): return Self.written(capacity: 9) { $0.signed(v) }
        case .bytes(let b): return Self.written(capacity: b.count + 9) { w in b.withUnsafeBytes { w.bytes($0) } }
        case .text(let s):
            let utf8 = Array(s.utf8)
            return Self.written(capacity: utf8.count + 9) { w in utf8.withUnsafeBytes { w.text(bytes: $0) } }
        case .array(let items):
            return Self.written(capacity: 9) { $0.beginArray(count: items.count) } + items.flatMap { $0.encoded() }
        case .map(let entries):
            return Self.written(capacity: 9) { $0.beginMap(count: entries.count) }
                + entries.flatMap { $0.0.encoded() + $0.1.encoded() }
        case .bool(let b): return Self.written(capacity: 1) { $0.bool(b) }
        case .null: return Self.written(capacity: 1) { $0.null() }
        case .raw(let r): return r
        }
    }

    // MARK: Decoding

    enum DecodeError: Error, Equatable { case trailingBytes, unsupported }

    /// Decodes exactly one item filling `bytes`.
    static func decode(_ bytes: [UInt8]) throws -> CBOR {
        try bytes.withUnsafeBytes { raw in
            var reader = CBORReader(raw)
            let value = try read(&reader, depth: 0)
            guard reader.isAtEnd else { throw DecodeError.trailingBytes }
            return value
        }
    }

    static func read(_ reader: inout CBORReader, depth: Int) throws -> CBOR {
        guard depth < CBORReader.maxDepth else { throw CBORError.tooDeep }
        switch try reader.peekType() {
        case .unsigned: return .unsigned(try reader.readUnsigned())
        case .negative: return .negative(try reader.readSigned())
        case .bytes: return .bytes(Array(try reader.readBytes()))
        case .text: return .text(String(decoding: try reader.readText(), as: UTF8.self))
        case .bool: return .bool(try reader.readBool())
        case .null:
            try reader.readNull()
            return .null
        case .array:
            var container = try reader.beginArray()
            var items: [CBOR] = []
            while try reader.next(in: &container) { items.append(try read(&reader, depth: depth + 1)) }
            return .array(items)
        case .map:
            var container = try reader.beginMap()
            var entries: [(CBOR, CBOR)] = []
            while try reader.next(in: &container) {
                let key = try read(&reader, depth: depth + 1)
                entries.append((key, try read(&reader, depth: depth + 1)))
            }
            return .map(entries)
        default:
            throw DecodeError.unsupported
        }
    }
}

extension CBOR: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    init(stringLiteral value: String) { self = .text(value) }
    init(integerLiteral value: UInt64) { self = .unsigned(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// `{"rc": n}`
func rcMap(_ rc: UInt64) -> CBOR { .map([("rc", .unsigned(rc))]) }
/// `{"err": {"group": g, "rc": n}}`
func errMap(group: UInt64, rc: UInt64) -> CBOR {
    .map([("err", .map([("group", .unsigned(group)), ("rc", .unsigned(rc))]))])
}

// MARK: - Flash layout

/// The slots of the test device: one NOR model, image 0 primary at 0x4000 and secondary at 0xC000
/// (0x8000 each), optionally image 1 at 0x14000 / 0x18000 (0x4000 each). 0x0000–0x4000 and
/// 0x1C000–0x20000 belong to nobody (bootloader, storage).
///
/// The brief asked for a 64 KiB device, but 0xC000 + 0x8000 is 80 KiB, so the device is 128 KiB.
struct TestSlots: SlotMap {
    typealias Area = FlashArea<NORFlashModel>
    let areas: [[Area?]]
    var imageCount: Int { areas.count }
    func area(image: Int, slot: Int) -> Area? {
        guard image >= 0, image < areas.count, slot >= 0, slot < 2 else { return nil }
        return areas[image][slot]
    }
}

enum SlotLayout: String, CaseIterable, Sendable {
    /// Image 0 with primary and secondary.
    case single
    /// Image 0 with a primary slot only.
    case primaryOnly
    /// Images 0 and 1, each with two slots.
    case dual
}

struct Geometry: Sendable, CustomTestStringConvertible {
    var writeSize: Int
    var erasedValue: UInt8
    var testDescription: String { "write \(writeSize), erased 0x\(String(erasedValue, radix: 16))" }

    static let standard = Geometry(writeSize: 4, erasedValue: 0xFF)
    /// Write sizes 1/4/8 × erased values 0xFF/0x00.
    static let all: [Geometry] = [1, 4, 8].flatMap { w in [0xFF, 0x00].map { Geometry(writeSize: w, erasedValue: $0) } }
}

enum Addr {
    static let deviceSize = 0x20000
    static let sector = 0x1000
    static let primary0 = 0x4000..<0xC000
    static let secondary0 = 0xC000..<0x14000
    static let primary1 = 0x14000..<0x18000
    static let secondary1 = 0x18000..<0x1C000

    static func range(_ address: SlotAddress) -> Range<Int> {
        switch (address.image, address.slot) {
        case (0, 0): primary0
        case (0, 1): secondary0
        case (1, 0): primary1
        default: secondary1
        }
    }
}

/// The rig with every command, as most tests use it.
typealias Rig = FeatureRig<AllRecoveryFeatures>

extension FeatureRig where Features == AllRecoveryFeatures {
    convenience init(
        geometry: Geometry = .standard, policy: UploadPolicy = .primaryOnly, layout: SlotLayout = .single,
        echo: Bool = true
    ) throws {
        try self.init(features: AllRecoveryFeatures.self, geometry: geometry, policy: policy, layout: layout, echo: echo)
    }
}

/// A recovery server over a fresh test device: with every command (`Rig()`), or with the
/// commands of `features` (`FeatureRig(features:)`).
final class FeatureRig<Features: RecoveryFeatureSet> {
    let flash: NORFlashModel
    let slots: TestSlots
    var server: RecoveryServer<TestSlots, Features>
    let geometry: Geometry
    var sequence: UInt8 = 0

    init(
        features: Features.Type,
        geometry: Geometry = .standard, policy: UploadPolicy = .primaryOnly, layout: SlotLayout = .single,
        echo: Bool = true
    ) throws {
        self.geometry = geometry
        flash = try NORFlashModel(
            size: Addr.deviceSize, eraseSize: Addr.sector, writeSize: geometry.writeSize,
            erasedValue: geometry.erasedValue)
        var areas: [[TestSlots.Area?]] = []
        let primary0 = try FlashArea(device: flash, offset: Addr.primary0.lowerBound, size: Addr.primary0.count)
        let secondary0 = try FlashArea(device: flash, offset: Addr.secondary0.lowerBound, size: Addr.secondary0.count)
        switch layout {
        case .single: areas = [[primary0, secondary0]]
        case .primaryOnly: areas = [[primary0, nil]]
        case .dual:
            let primary1 = try FlashArea(device: flash, offset: Addr.primary1.lowerBound, size: Addr.primary1.count)
            let secondary1 = try FlashArea(device: flash, offset: Addr.secondary1.lowerBound, size: Addr.secondary1.count)
            areas = [[primary0, secondary0], [primary1, secondary1]]
        }
        slots = TestSlots(areas: areas)
        server = RecoveryServer(slots: slots, configuration: RecoveryConfiguration(policy: policy, echo: echo), features: features)
    }

    /// Fills every byte of the device with a non-erased pattern (so any erase or write shows up in
    /// a snapshot comparison). Bypasses the trace.
    func fillWithJunk(seed: Int = 1) throws {
        try flash.load(junk(Addr.deviceSize, seed: seed, avoiding: geometry.erasedValue), at: 0)
    }

    /// Fills `range` (device offsets) with junk.
    func fillWithJunk(_ range: Range<Int>, seed: Int = 2) throws {
        try flash.load(junk(range.count, seed: seed, avoiding: geometry.erasedValue), at: range.lowerBound)
    }

    /// Handles one raw message.
    func send(raw message: [UInt8], responseCapacity: Int = 4096) -> Response {
        var out = [UInt8](repeating: 0, count: responseCapacity)
        let reply = message.withUnsafeBytes { request in
            out.withUnsafeMutableBytes { response in server.handle(request: request, response: response) }
        }
        return Response(bytes: Array(out[0..<reply.length]), reply: reply)
    }

    /// Builds an SMP request and handles it.
    func send(
        op: SMPOperation = .write, version: UInt8 = 0, group: UInt16, command: UInt8, payload: [UInt8],
        sequence: UInt8? = nil
    ) -> Response {
        let seq = sequence ?? nextSequence()
        return send(raw: smpMessage(op: op, version: version, group: group, command: command, sequence: seq, payload: payload))
    }

    func send(
        op: SMPOperation = .write, version: UInt8 = 0, group: UInt16, command: UInt8, body: CBOR, sequence: UInt8? = nil
    ) -> Response {
        send(op: op, version: version, group: group, command: command, payload: body.encoded(), sequence: sequence)
    }

    private func nextSequence() -> UInt8 {
        sequence &+= 1
        return sequence
    }

    /// One upload request.
    func upload(
        off: Int, data: [UInt8], len: Int? = nil, image: Int? = nil, sha: [UInt8]? = nil, version: UInt8 = 0
    ) -> Response {
        send(version: version, group: SMPGroup.image, command: ImageCommand.upload,
             body: uploadBody(off: off, data: data, len: len, image: image, sha: sha))
    }

    /// Uploads `image` the way a client does: chunks of at most `chunkSize` bytes from the offset
    /// the server asks for, until the server reports the whole length. Returns every response.
    @discardableResult
    func uploadAll(
        _ image: [UInt8], chunkSize: Int, target: Int? = nil, sha: [UInt8]? = nil, version: UInt8 = 0,
        maxRequests: Int = 100_000
    ) throws -> [Response] {
        var responses: [Response] = []
        var off = 0
        repeat {
            let end = min(off + chunkSize, image.count)
            let r = upload(
                off: off, data: Array(image[off..<end]), len: off == 0 ? image.count : nil,
                image: off == 0 ? target : nil, sha: off == 0 ? sha : nil, version: version)
            responses.append(r)
            let body = try #require(r.body)
            let next = try #require(body["off"]?.int, "upload refused: \(body)")
            try #require(next > off || next == image.count, "no progress at \(off): \(body)")
            off = next
            try #require(responses.count < maxRequests)
        } while off < image.count
        return responses
    }

    /// The bytes of a slot.
    func slotBytes(_ address: SlotAddress) -> [UInt8] { flash.bytes(in: Addr.range(address)) }

    /// Mutating operations in the trace (reads dropped).
    var mutations: [FlashOperation] { flash.trace.filter(\.isMutating) }
}

/// The body of an upload request, keys in smpclient's order.
func uploadBody(off: Int, data: [UInt8], len: Int? = nil, image: Int? = nil, sha: [UInt8]? = nil) -> CBOR {
    var entries: [(CBOR, CBOR)] = []
    if let image { entries.append(("image", .unsigned(UInt64(image)))) }
    if let len { entries.append(("len", .unsigned(UInt64(len)))) }
    entries.append(("off", .unsigned(UInt64(off))))
    if let sha { entries.append(("sha", .bytes(sha))) }
    entries.append(("data", .bytes(data)))
    return .map(entries)
}

/// Header + payload; the header's length field is the payload's.
func smpMessage(
    op: SMPOperation = .write, version: UInt8 = 0, flags: UInt8 = 0, group: UInt16, command: UInt8,
    sequence: UInt8 = 0, payload: [UInt8], length: Int? = nil
) -> [UInt8] {
    var header = [UInt8](repeating: 0, count: SMPHeader.size)
    let h = SMPHeader(
        operation: op, version: version, flags: flags, length: UInt16(length ?? payload.count), group: group,
        sequence: sequence, command: command)
    header.withUnsafeMutableBytes { h.encode(into: $0) }
    return header + payload
}

/// A response message and what `handle` returned with it.
struct Response {
    var bytes: [UInt8]
    var reply: RecoveryReply

    var isEmpty: Bool { bytes.isEmpty }
    var header: SMPHeader? {
        bytes.withUnsafeBytes { try? SMPHeader(parsing: $0) }
    }
    var payload: [UInt8] { bytes.count > SMPHeader.size ? Array(bytes[SMPHeader.size...]) : [] }
    /// The decoded CBOR body, nil when there is none or it does not decode.
    var body: CBOR? { try? CBOR.decode(payload) }
}

/// Checks the response header against the request: op + 1, flags 0, version clamped to 1, length =
/// payload length, group / sequence / command echoed.
func expectHeader(
    _ response: Response, op: SMPOperation, version: UInt8 = 0, group: UInt16, command: UInt8,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let header = response.header else {
        Issue.record("no response header (\(response.bytes.count) bytes)", sourceLocation: sourceLocation)
        return
    }
    #expect(header.operation == op.response, sourceLocation: sourceLocation)
    #expect(header.version == min(version, 1), sourceLocation: sourceLocation)
    #expect(header.flags == 0, sourceLocation: sourceLocation)
    #expect(Int(header.length) == response.bytes.count - SMPHeader.size, sourceLocation: sourceLocation)
    #expect(header.group == group, sourceLocation: sourceLocation)
    #expect(header.command == command, sourceLocation: sourceLocation)
}

// MARK: - Images

/// Bytes that never equal `avoiding`.
func junk(_ count: Int, seed: Int, avoiding erased: UInt8) -> [UInt8] {
    (0..<count).map { i in
        let v = UInt8(truncatingIfNeeded: (i &* 131) ^ (i >> 7) &* 7 &+ seed &* 29 &+ 0x33)
        return v == erased ? 0xA5 : v
    }
}

/// Arbitrary payload bytes (may contain the erased value).
func payloadBytes(_ count: Int, seed: Int = 0) -> [UInt8] {
    var rng = SplitMix64(seed: UInt64(bitPattern: Int64(seed)) &+ 0x1234)
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
}

/// A hash-only MCUboot image laid out as imgtool does (copy of LifeboatHost's ImageBuilder):
/// `[header padded to 0x200][body][0x6907 info + SHA-256 TLV]`.
struct TestImage {
    var version = ImageVersion(major: 1, minor: 2, revision: 3)
    var headerSize = 0x200
    var body: [UInt8]

    init(bodySize: Int, seed: Int = 7, version: ImageVersion = ImageVersion(major: 1, minor: 2, revision: 3)) {
        self.body = payloadBytes(bodySize, seed: seed)
        self.version = version
    }

    var bytes: [UInt8] {
        var image = [UInt8](repeating: 0xFF, count: headerSize)
        let header = ImageHeader(
            loadAddress: 0, headerSize: UInt16(headerSize), protectedTLVSize: 0,
            imageSize: UInt32(body.count), flags: [], version: version)
        image.withUnsafeMutableBytes { header.encode(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<ImageHeader.size])) }
        image += body
        let digest = image.withUnsafeBytes { SHA256.hash($0) }
        let tlvTotal = TLVInfo.size + 4 + SHA256.Digest.byteCount
        image += le16(TLVInfo.unprotectedMagic) + le16(UInt16(tlvTotal))
        image += le16(TLVType.sha256.rawValue) + le16(UInt16(SHA256.Digest.byteCount))
        image += digest.withUnsafeBytes { Array($0) }
        return image
    }

    /// The SHA-256 of header + body: the hash TLV's value.
    var hash: [UInt8] {
        let b = bytes
        return Array(b[(b.count - 32)...])
    }
}

func le16(_ value: UInt16) -> [UInt8] { [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)] }

func sha256(_ bytes: [UInt8]) -> [UInt8] {
    bytes.withUnsafeBytes { SHA256.hash($0) }.withUnsafeBytes { Array($0) }
}

// MARK: - Comparisons

/// Describes the first byte where `actual` differs from `expected` (device offsets from `base`).
func firstDifference(_ actual: [UInt8], _ expected: [UInt8], base: Int = 0) -> String? {
    guard actual.count == expected.count else { return "count \(actual.count), expected \(expected.count)" }
    guard let i = actual.indices.first(where: { actual[$0] != expected[$0] }) else { return nil }
    return "offset 0x\(String(base + i, radix: 16)): 0x\(String(actual[i], radix: 16)), expected 0x\(String(expected[i], radix: 16))"
}

/// Expects `after` to equal `before` everywhere except in `except` (device offsets).
func expectUnchanged(
    _ before: [UInt8], _ after: [UInt8], except: [Range<Int>] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(before.count == after.count, sourceLocation: sourceLocation)
    var start = 0
    for r in except.sorted(by: { $0.lowerBound < $1.lowerBound }) + [after.count..<after.count] {
        if start < r.lowerBound, let d = firstDifference(Array(after[start..<r.lowerBound]), Array(before[start..<r.lowerBound]), base: start) {
            Issue.record("flash changed outside \(except): \(d)", sourceLocation: sourceLocation)
            return
        }
        start = max(start, r.upperBound)
    }
}

// MARK: - Serial framing (client side)

/// The console lines a client sends for `message`.
func frame(_ message: [UInt8], lineLength: Int = 128) -> [UInt8] {
    var out: [UInt8] = []
    message.withUnsafeBytes { m in
        ConsoleFrameEncoder.encode(message: m, lineLength: lineLength) { out += Array($0) }
    }
    return out
}

/// Decodes the console output of the server into SMP messages, with a plain base64 decoder (so a
/// response larger than the client-side ConsoleFrameDecoder could hold still decodes). Checks the
/// line format, length prefix and CRC; records an issue on any violation.
func parseFrames(_ output: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> [[UInt8]] {
    var messages: [[UInt8]] = []
    var stream: [UInt8] = []
    for line in output.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
        let l = Array(line)
        #expect(l.count + 1 <= 128, "response line longer than 128 bytes", sourceLocation: sourceLocation)
        guard l.count >= 2 else { Issue.record("short line", sourceLocation: sourceLocation); continue }
        let text = String(decoding: l[2...], as: UTF8.self)
        guard let data = Data(base64Encoded: text) else {
            Issue.record("bad base64 in response line", sourceLocation: sourceLocation)
            continue
        }
        if l[0] == 0x06 && l[1] == 0x09 {
            stream = Array(data)
        } else if l[0] == 0x04 && l[1] == 0x14 {
            stream += Array(data)
        } else {
            Issue.record("line without a frame marker", sourceLocation: sourceLocation)
            continue
        }
        guard stream.count >= 2 else { continue }
        let expected = Int(stream[0]) << 8 | Int(stream[1])
        if stream.count - 2 == expected {
            let body = Array(stream[2...])
            let crc = body.withUnsafeBytes { CRC16XMODEM.checksum($0) }
            #expect(crc == 0, "response CRC", sourceLocation: sourceLocation)
            messages.append(Array(body.dropLast(2)))
            stream = []
        }
    }
    #expect(output.isEmpty || output.last == 0x0A, "output ends mid-line", sourceLocation: sourceLocation)
    return messages
}

/// A serial link over a fresh rig, collecting output and events.
final class LinkRig {
    let rig: Rig
    var link: SerialRecoveryLink<TestSlots>
    var output: [UInt8] = []
    var events: [LinkEvent] = []

    init(geometry: Geometry = .standard, policy: UploadPolicy = .primaryOnly) throws {
        rig = try Rig(geometry: geometry, policy: policy)
        link = SerialRecoveryLink(server: rig.server)
    }

    @discardableResult
    func feed(_ bytes: [UInt8]) -> RecoveryAction {
        bytes.withUnsafeBytes { raw in
            link.receive(raw, transmit: { output += Array($0) }, observe: { events.append($0) })
        }
    }

    /// Takes the output so far as decoded messages.
    func takeMessages(sourceLocation: SourceLocation = #_sourceLocation) -> [[UInt8]] {
        let messages = parseFrames(output, sourceLocation: sourceLocation)
        output = []
        return messages
    }
}

// MARK: - Deterministic randomness

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
