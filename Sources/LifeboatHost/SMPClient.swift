import Foundation
import SMP

/// What went wrong talking to an SMP server, phrased for the person at the terminal.
public enum SMPClientError: Error, CustomStringConvertible, Equatable {
    /// No response within the timeout.
    case timeout(command: String, seconds: Double)
    /// The device answered `{"rc": n}` (an SMP-layer or SMP v1 error).
    case device(command: String, rc: Int)
    /// The device answered an SMP v2 group error `{"err": {"group": g, "rc": n}}`.
    case group(command: String, group: Int, rc: Int)
    /// The response could not be understood.
    case badResponse(command: String, reason: String)

    public var description: String {
        switch self {
        case .timeout(let command, let seconds):
            "\(command): no answer within \(seconds) s. Check the port and baud rate, that no other program holds it, "
                + "that the board is in recovery mode, and that the line length matches the device (128)."
        case .device(let command, let rc):
            "\(command): device error rc=\(rc) (\(Self.mgmtName(rc)))"
        case .group(let command, let group, let rc):
            "\(command): device error group \(group) rc=\(rc) (\(Self.groupName(group: group, rc: rc)))"
        case .badResponse(let command, let reason):
            "\(command): unexpected response: \(reason)"
        }
    }

    static func mgmtName(_ rc: Int) -> String {
        guard let code = UInt16(exactly: rc).flatMap(MGMTError.init(rawValue:)) else { return "unknown code" }
        return "MGMT_ERR_" + code.name.description
    }

    static func groupName(group: Int, rc: Int) -> String {
        let code = UInt16(exactly: rc)
        switch group {
        case Int(SMPGroup.image): return code.flatMap(ImageManagementError.init(rawValue:)).map { "IMG_MGMT_ERR_\($0.name)" } ?? "unknown code"
        case Int(SMPGroup.os): return code.flatMap(OSManagementError.init(rawValue:)).map { "OS_MGMT_ERR_\($0.name)" } ?? "unknown code"
        default: return "group-specific code"
        }
    }
}

/// What a client saw come back on its link: counts, and a sample of what was not SMP.
public struct LinkObservation: Sendable, Equatable {
    /// Bytes received.
    public var bytes = 0
    /// Console frames received whole (CRC good), and those that answered no request of ours.
    public var frames = 0
    public var unmatchedFrames = 0
    /// Frames started (`06 09`) but broken: bad base64, CRC or length.
    public var droppedFrames = 0
    /// Whole frames that were requests, not responses: our own bytes sent back (an echoing
    /// console, a loopback).
    public var echoedRequests = 0
    /// Lines that were not console frames, the last few, with non-printable bytes as `.`.
    public var otherLines: [String] = []
    /// Bytes in those lines that are neither printable ASCII nor tab/CR: many of them mean a
    /// wrong baud rate.
    public var unprintableBytes = 0
    public var otherBytes = 0

    mutating func record(otherLine: [UInt8]) {
        otherBytes += otherLine.count
        var text = ""
        for byte in otherLine where byte != 0x0D {
            if (0x20..<0x7F).contains(byte) || byte == 0x09 {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                unprintableBytes += 1
                text.append(".")
            }
        }
        otherLines.append(String(text.prefix(100)))
        if otherLines.count > 4 { otherLines.removeFirst() }
    }
}

/// One SMP response: its header and decoded CBOR payload.
public struct SMPResponse: Sendable {
    public var header: SMPHeader
    public var body: CBORValue
}

/// An image listed by image state read.
public struct ImageState: Equatable, Sendable {
    public var image: Int?
    public var slot: Int
    public var version: String
    public var hash: [UInt8]?
    public var flags: [String]
}

/// An SMP client over the console framing: what smpmgr / mcumgr do, as a library.
///
/// It negotiates the message size through MCUmgr params (falling back to smpmgr's 169-byte
/// messages when the device does not answer them), follows the device's `off` during uploads, and
/// retries a chunk whose answer was lost (the device answers a repeated offset with the one it
/// expects, so a retry is always safe).
public final class SMPClient {
    public let transport: SMPTransport
    /// Seconds to wait for each response.
    public var timeout: Double
    /// Seconds to wait for the first upload chunk (the device may erase first).
    public var firstChunkTimeout: Double = 10
    /// Times a request is re-sent after a timeout during uploads.
    public var retries = 3
    /// Seconds before the first retry; doubled for each further one (at most 2 s).
    public var retryBackoff = 0.1
    /// Console framing line length (MCUboot's `BOOT_MAX_LINE_INPUT_LEN`).
    public var lineLength = 128
    /// How requests are framed: the console framing (MCUboot's default), MCUboot's raw protocol,
    /// or COBS. `.auto` asks in each of them in turn (raw, COBS, console) until the device answers
    /// one, then keeps it (``detectedFraming``).
    public var framing: SerialFraming = .console {
        didSet { decoder.framing = framing == .auto ? .console : framing }
    }
    /// With `.auto`: the framing the device answered in (nil until one did).
    public private(set) var detectedFraming: SerialFraming?
    /// With `.auto`: seconds to wait for an answer in each framing before trying the next.
    public var probeTimeout = 1.0
    /// SMP protocol version of requests (0: v1, 1: v2).
    public var version: UInt8 = 1
    /// Largest SMP message (header + CBOR) to send: 169 until params say more (smpclient's
    /// default budget for a 128-byte line, 2-line device).
    /// Set it to impose a smaller size (`--mtu`); ``readParameters()`` keeps a smaller one.
    public var maxMessageSize = 169
    /// The offset the device resumed the last upload from (its session for the same image, size
    /// and `sha` was still open); nil when it started at 0.
    public private(set) var lastUploadResumedFrom: Int?
    /// Upload requests kept outstanding: nil follows the device (MCUmgr params' `buf_count`, 1
    /// until it answers); 1 waits for each answer before the next request (what MCUboot's single
    /// receive buffer needs). Never more than ``maxWindow``.
    public var window: Int?
    /// `buf_count` from the last MCUmgr params answer (1 before one).
    public private(set) var deviceBufferCount = 1
    public static let maxWindow = 8
    /// Upload requests the next upload keeps in flight: ``window``, else the device's `buf_count`.
    public var uploadWindow: Int { max(1, min(window ?? deviceBufferCount, Self.maxWindow)) }
    /// The caller's upper bound on the message size; params never raise it past this.
    public var mtuLimit: Int? {
        didSet { if let mtuLimit { maxMessageSize = min(maxMessageSize, mtuLimit) } }
    }
    private var sequence: UInt8 = 0
    private var decoder = SerialFrameDecoder(framing: .console)
    /// What came back on the link since the last request was sent: the evidence for a diagnosis
    /// when nothing answers it.
    public private(set) var observed = LinkObservation()
    /// Requests answered so far on this link.
    public private(set) var answered = 0
    private var line: [UInt8] = []
    /// Bytes read past the answer a call returned (the next answer, with requests in flight).
    private var pendingInput: [UInt8] = []

    public init(transport: SMPTransport, timeout: Double = 2.0) {
        self.transport = transport
        self.timeout = timeout
    }

    /// Sends one request and waits for its response (matching sequence number).
    public func request(
        _ name: String, operation: SMPOperation, group: UInt16, command: UInt8, body: CBORValue = .map([]),
        timeout: Double? = nil
    ) throws -> SMPResponse {
        if framing == .auto {
            return try probe(name, operation: operation, group: group, command: command, body: body, timeout: timeout)
        }
        let sent = try send(operation: operation, group: group, command: command, body: body)
        return try response(name, sequence: sent, group: group, command: command, timeout: timeout ?? self.timeout)
    }

    /// Frames and sends one request without waiting for its answer; returns its sequence number.
    /// Not for `.auto` (which must hear an answer to settle on a framing).
    func send(operation: SMPOperation, group: UInt16, command: UInt8, body: CBORValue) throws -> UInt8 {
        let payload = body.encoded()
        sequence &+= 1
        let header = SMPHeader(
            operation: operation, version: version, flags: 0, length: UInt16(payload.count), group: group,
            sequence: sequence, command: command)
        var message = [UInt8](repeating: 0, count: SMPHeader.size)
        message.withUnsafeMutableBytes { header.encode(into: $0) }
        message += payload
        var wire: [UInt8] = []
        message.withUnsafeBytes { raw in
            SerialFrameEncoder.encode(message: raw, framing: framing, lineLength: lineLength) { wire.append(contentsOf: $0) }
        }
        observed = LinkObservation()
        try transport.write(wire)
        return sequence
    }

    /// Waits up to `limit` seconds for the answer to request `sequence`; answers to other requests
    /// (a late one to a request already given up on) are counted and skipped.
    func response(_ name: String, sequence: UInt8, group: UInt16, command: UInt8, timeout limit: Double) throws -> SMPResponse {
        let deadline = Date().addingTimeInterval(limit)
        while true {
            let bytes: [UInt8]
            if pendingInput.isEmpty {
                bytes = try transport.read(timeout: max(0, deadline.timeIntervalSinceNow))
            } else {
                bytes = pendingInput
                pendingInput = []
            }
            if bytes.isEmpty, case .dropped? = decoder.inputIdle() { observed.droppedFrames += 1 }
            for (index, byte) in bytes.enumerated() {
                observe(byte)
                switch decoder.feed(byte) {
                case .packet?: break
                case .dropped?: observed.droppedFrames += 1; continue
                case nil: continue
                }
                observed.frames += 1
                let packet = decoder.withPacket { Array($0) }
                guard let response = try parse(packet, name: name), response.header.sequence == sequence,
                    response.header.group == group, response.header.command == command
                else { observed.unmatchedFrames += 1; continue }
                answered += 1
                // Bytes after this answer (the next request's answer, when several are in
                // flight) wait for the next call.
                if index + 1 < bytes.count { pendingInput = Array(bytes[(index + 1)...]) + pendingInput }
                return response
            }
            if bytes.isEmpty && deadline.timeIntervalSinceNow <= 0 {
                throw SMPClientError.timeout(command: name, seconds: limit)
            }
        }
    }

    /// `.auto`: the request in each framing in turn until one is answered; that framing stays.
    ///
    /// Raw first: a console request would make a raw device drop everything until its line has
    /// been quiet for its input timeout (MCUboot: 3 s), longer than a probe waits; raw bytes are
    /// harmless to the others once each is resynchronised: the COBS request follows a `00` (which
    /// ends the partial frame the raw bytes left), the console one, last, a newline (which ends
    /// the partial line the binary requests left).
    private func probe(
        _ name: String, operation: SMPOperation, group: UInt16, command: UInt8, body: CBORValue, timeout: Double?
    ) throws -> SMPResponse {
        var tried: [String] = []
        for candidate in [SerialFraming.raw, .cobs, .console] {
            framing = candidate
            if candidate == .cobs { try transport.write([0x00]) }
            if candidate == .console { try transport.write([0x0A]) }
            do {
                let response = try request(name, operation: operation, group: group, command: command, body: body,
                                           timeout: min(timeout ?? self.timeout, probeTimeout))
                detectedFraming = candidate
                return response
            } catch SMPClientError.timeout {
                tried.append(candidate.rawValue)
            }
        }
        framing = .auto
        throw SMPClientError.timeout(command: "\(name) (asked in the \(tried.joined(separator: ", ")) framings)", seconds: min(timeout ?? self.timeout, probeTimeout))
    }

    /// Sorts the bytes that arrive into console frame lines and everything else (log lines, a
    /// shell prompt, noise at a wrong baud rate).
    private func observe(_ byte: UInt8) {
        observed.bytes += 1
        if byte == 0x0A || line.count >= 256 {
            let isFrame = line.count >= 2 && ((line[0] == 0x06 && line[1] == 0x09) || (line[0] == 0x04 && line[1] == 0x14))
            if !isFrame && !line.isEmpty { observed.record(otherLine: line) }
            line.removeAll(keepingCapacity: true)
            if byte == 0x0A { return }
        }
        line.append(byte)
    }

    private func parse(_ packet: [UInt8], name: String) throws -> SMPResponse? {
        guard let header = try? packet.withUnsafeBytes({ raw throws(SMPError) in try SMPHeader(parsing: raw) }) else { return nil }
        guard header.operation == .readResponse || header.operation == .writeResponse else {
            observed.echoedRequests += 1
            return nil
        }
        do {
            return SMPResponse(header: header, body: try CBORValue.decode(Array(packet[SMPHeader.size...])))
        } catch {
            throw SMPClientError.badResponse(command: name, reason: "payload is not CBOR (\(error))")
        }
    }

    /// Throws the device's error, if the response is one.
    func check(_ response: SMPResponse, _ name: String) throws {
        if let err = response.body["err"] {
            throw SMPClientError.group(command: name, group: err["group"]?.intValue ?? -1, rc: err["rc"]?.intValue ?? -1)
        }
        if let rc = response.body["rc"]?.intValue, rc != 0 {
            throw SMPClientError.device(command: name, rc: rc)
        }
    }

    // MARK: Commands

    /// `os echo`.
    public func echo(_ text: String) throws -> String {
        let r = try request("os echo", operation: .write, group: SMPGroup.os, command: OSCommand.echo, body: .map([("d", .text(text))]))
        try check(r, "os echo")
        guard let echoed = r.body["r"]?.stringValue else { throw SMPClientError.badResponse(command: "os echo", reason: "no \"r\"") }
        return echoed
    }

    /// MCUmgr params: the device's reassembly buffer. Raises the message size to `buf_size - 4`
    /// in the console framing (the frame's length prefix and CRC share the buffer), to `buf_size`
    /// in the raw and COBS ones (as smpclient's raw transport). Nil when the device does not
    /// support it.
    @discardableResult
    public func readParameters() throws -> (bufferSize: Int, bufferCount: Int)? {
        let r = try request("mcumgr params", operation: .read, group: SMPGroup.os, command: OSCommand.mcumgrParams)
        guard let size = r.body["buf_size"]?.intValue, let count = r.body["buf_count"]?.intValue else { return nil }
        let whole = framing == .raw || framing == .cobs
        maxMessageSize = max(64, min(whole ? size : size - 4, Int(UInt16.max), mtuLimit ?? Int.max))
        deviceBufferCount = max(1, min(count, Self.maxWindow))
        return (size, count)
    }

    /// Bootloader info: the name, and with `query: "mode"` the MCUboot mode.
    public func bootloaderInfo(query: String? = nil) throws -> CBORValue {
        let body: CBORValue = query.map { .map([("query", .text($0))]) } ?? .map([])
        let r = try request("bootloader info", operation: .read, group: SMPGroup.os, command: OSCommand.bootloaderInfo, body: body)
        try check(r, "bootloader info")
        return r.body
    }

    /// Image state read.
    public func imageStates() throws -> [ImageState] {
        let r = try request("image state read", operation: .read, group: SMPGroup.image, command: ImageCommand.state)
        try check(r, "image state read")
        guard let images = r.body["images"]?.arrayValue else {
            throw SMPClientError.badResponse(command: "image state read", reason: "no \"images\" array")
        }
        return images.map(Self.imageState)
    }

    /// Slot info.
    public func slotInfo() throws -> CBORValue {
        let r = try request("slot info", operation: .read, group: SMPGroup.image, command: ImageCommand.slotInfo)
        try check(r, "slot info")
        return r.body
    }

    /// Image erase of a flat slot index (`image * 2 + slot`); nil sends no `slot`, and the
    /// device erases its default (the secondary).
    public func erase(slot: Int?) throws {
        let body: CBORValue = slot.map { .map([("slot", .unsigned(UInt64($0)))]) } ?? .map([])
        let r = try request("image erase", operation: .write, group: SMPGroup.image, command: ImageCommand.erase, body: body)
        try check(r, "image erase")
    }

    /// `os reset`; with `bootMode` 1 an application asks the bootloader to stay in serial recovery.
    public func reset(bootMode: Int? = nil) throws {
        let body: CBORValue = bootMode.map { .map([("boot_mode", .unsigned(UInt64($0)))]) } ?? .map([])
        let r = try request("os reset", operation: .write, group: SMPGroup.os, command: OSCommand.reset, body: body)
        try check(r, "os reset")
    }

    /// Image state write: a test (or, with `confirm`, permanent) request for the image with
    /// `hash`; `confirm` without a hash confirms the running image. Returns the image states the
    /// device answers with.
    @discardableResult
    public func stateWrite(hash: [UInt8]?, confirm: Bool = false) throws -> [ImageState] {
        var fields: [(CBORValue, CBORValue)] = []
        if let hash { fields.append(("hash", .bytes(hash))) }
        if confirm { fields.append(("confirm", .bool(true))) }
        let r = try request("image state write", operation: .write, group: SMPGroup.image, command: ImageCommand.state, body: .map(fields))
        try check(r, "image state write")
        return (r.body["images"]?.arrayValue ?? []).map(Self.imageState)
    }

    static func imageState(_ entry: CBORValue) -> ImageState {
        ImageState(
            image: entry["image"]?.intValue, slot: entry["slot"]?.intValue ?? -1,
            version: entry["version"]?.stringValue ?? "?", hash: entry["hash"]?.bytesValue,
            flags: ["bootable", "pending", "confirmed", "active", "permanent"].filter { entry[$0]?.boolValue == true })
    }

    /// Uploads `data` as image number `image` (see the server's upload policy), following the
    /// device's offsets. `progress(offset, total)` is called after every acknowledged chunk.
    /// Returns the number of requests sent.
    ///
    /// With a ``window`` (or a device `buf_count`) above 1, the chunks after the first are
    /// pipelined: up to that many are in flight, so the link carries the next request while the
    /// device writes the last one. The device answers in order; an answer whose `off` is not the
    /// end of its chunk (a chunk it trimmed, a session that moved) stops sending until the chunks
    /// still in flight are answered (the device wrote none of them), then sending resumes from
    /// the device's offset. A lost answer does the same after the timeout.
    @discardableResult
    public func upload(_ data: [UInt8], image: Int = 0, sha: [UInt8]? = nil, progress: (Int, Int) -> Void = { _, _ in }) throws -> Int {
        var offset = 0
        var requests = 0
        var first = true
        lastUploadResumedFrom = nil
        var stalled = 0
        let depth = uploadWindow
        while true {
            if depth > 1 && !first && framing != .auto {
                requests += try pipelinedUpload(data, from: offset, image: image, sha: sha, depth: depth, progress: progress)
                return requests
            }
            let (entries, count) = try chunk(of: data, at: offset, image: image, sha: sha)
            var response: SMPResponse?
            var attempt = 0
            while response == nil {
                do {
                    requests += 1
                    response = try request("image upload", operation: .write, group: SMPGroup.image, command: ImageCommand.upload,
                                           body: .map(entries), timeout: first ? max(timeout, firstChunkTimeout) : timeout)
                } catch let error as SMPClientError {
                    guard case .timeout = error, attempt < retries else { throw error }
                    attempt += 1
                    backOff(attempt)
                }
            }
            let next = try uploadOffset(response!, total: data.count)
            if first && offset == 0 && next > count { lastUploadResumedFrom = next }
            first = false
            // A device that keeps answering the same offset (e.g. chunks shorter than its write
            // size) would otherwise be asked forever.
            stalled = next == offset ? stalled + 1 : 0
            guard stalled < 3 else {
                throw SMPClientError.badResponse(command: "image upload", reason: "the device keeps asking for offset \(next)")
            }
            offset = next
            progress(offset, data.count)
            if offset == data.count { return requests }
        }
    }

    /// The rest of an upload from `start` (the device's offset), `depth` requests in flight.
    private func pipelinedUpload(
        _ data: [UInt8], from start: Int, image: Int, sha: [UInt8]?, depth: Int, progress: (Int, Int) -> Void
    ) throws -> Int {
        var acknowledged = start  // the device's next offset, from its last answer
        var next = start  // the offset of the next chunk to send
        var inFlight: [(sequence: UInt8, offset: Int, count: Int)] = []
        var requests = 0
        var resyncs = 0  // consecutive re-synchronisations without progress
        var attempt = 0
        var draining = false
        while acknowledged < data.count {
            while !draining && inFlight.count < depth && next < data.count {
                let (entries, count) = try chunk(of: data, at: next, image: image, sha: sha)
                let sequence = try send(operation: .write, group: SMPGroup.image, command: ImageCommand.upload, body: .map(entries))
                inFlight.append((sequence, next, count))
                next += count
                requests += 1
            }
            guard let oldest = inFlight.first else {
                // Everything in flight is answered and sending stopped: go on from the device's offset.
                draining = false
                next = acknowledged
                continue
            }
            let answer: SMPResponse
            do {
                answer = try response("image upload", sequence: oldest.sequence, group: SMPGroup.image, command: ImageCommand.upload,
                                      timeout: timeout)
            } catch let error as SMPClientError {
                guard case .timeout = error, attempt < retries else { throw error }
                // Lost on the way (a dropped request or answer): give up on everything in flight;
                // the device answers a repeated offset with the one it expects.
                attempt += 1
                backOff(attempt)
                inFlight.removeAll()
                draining = false
                next = acknowledged
                continue
            }
            inFlight.removeFirst()
            let reported = try uploadOffset(answer, total: data.count)
            if reported == oldest.offset + oldest.count {
                if reported > acknowledged { resyncs = 0; attempt = 0 }
                acknowledged = max(acknowledged, reported)
                progress(acknowledged, data.count)
            } else {
                // The device expects another offset: none of the later chunks in flight is written.
                if !draining {
                    resyncs += 1
                    guard resyncs < 3 else {
                        throw SMPClientError.badResponse(command: "image upload", reason: "the device keeps asking for offset \(reported)")
                    }
                }
                acknowledged = reported
                draining = true
            }
        }
        return requests
    }

    /// The upload request at `offset`: the first carries `image`, `len` (and `sha`); every chunk
    /// but the last holds a multiple of 4 bytes (write-aligned) and fills the message.
    private func chunk(of data: [UInt8], at offset: Int, image: Int, sha: [UInt8]?) throws -> (entries: [(CBORValue, CBORValue)], count: Int) {
        var entries: [(CBORValue, CBORValue)] = []
        if offset == 0 {
            entries.append(("image", .unsigned(UInt64(image))))
            entries.append(("len", .unsigned(UInt64(data.count))))
        }
        entries.append(("off", .unsigned(UInt64(offset))))
        if offset == 0, let sha { entries.append(("sha", .bytes(sha))) }
        let overhead = SMPHeader.size + CBORValue.map(entries + [("data", .bytes([]))]).encoded().count + 4
        var count = min(data.count - offset, maxMessageSize - overhead)
        if count < data.count - offset { count -= count % 4 }  // keep chunks write-aligned
        guard count > 0 || data.isEmpty else {
            throw SMPClientError.badResponse(command: "image upload", reason: "message size \(maxMessageSize) leaves no room for data")
        }
        entries.append(("data", .bytes(Array(data[offset..<offset + count]))))
        return (entries, count)
    }

    /// The device's next offset from an upload answer (after its `rc`).
    private func uploadOffset(_ response: SMPResponse, total: Int) throws -> Int {
        try check(response, "image upload")
        guard let next = response.body["off"]?.intValue, next >= 0, next <= total else {
            throw SMPClientError.badResponse(command: "image upload", reason: "no valid \"off\" in \(response.body)")
        }
        return next
    }

    /// Waits before retry `attempt` (0.1, 0.2, 0.4 s …, at most 2 s): a device busy erasing, or a
    /// line that dropped the burst, gets time to drain.
    private func backOff(_ attempt: Int) {
        usleep(UInt32(min(2.0, retryBackoff * Double(1 << min(attempt - 1, 5))) * 1_000_000))
    }
}
