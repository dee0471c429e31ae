import BootCrypto
import Foundation
import MCUbootImage

/// Who answers on the other side of the link.
public enum DeviceMode: String, Codable, Sendable {
    /// MCUboot's serial recovery (or Lifeboat's boot stage serving it).
    case recovery
    /// An application with MCUmgr (Zephyr's smp_svr, the simulator's application stage).
    case application
}

/// An image as state read lists it, for tables and JSON.
public struct ImageSummary: Codable, Equatable, Sendable {
    public var image: Int?
    public var slot: Int
    public var version: String
    public var hash: String
    public var flags: [String]

    public init(_ state: ImageState) {
        image = state.image
        slot = state.slot
        version = state.version
        hash = state.hash.map(hexString) ?? ""
        flags = state.flags
    }
}

/// Lower-case hex, as state read tables and imgtool print hashes.
public func hexString(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

/// An image file checked on the host before anything is sent: what the device will list for it.
public struct ImageFile: Sendable {
    public var path: String
    public var bytes: [UInt8]
    public var version: String
    /// The SHA-256 TLV (what image state read lists as `hash`).
    public var hash: [UInt8]
    /// SHA-256 of the whole file (the upload's `sha`, for resume and Zephyr's image check).
    public var fileSHA: [UInt8]

    /// Reads and checks `path`: an MCUboot image whose header parses and whose SHA-256 TLV matches
    /// (signatures are the device's to check: it holds the keys). Throws `image-invalid`.
    public init(path: String, slotSize: Int? = nil) throws(DeviceFailure) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DeviceFailure(.other, "cannot read \(path)")
        }
        self.path = path
        bytes = Array(data)
        let report: ImageReport
        do { report = try ImageReport(bytes: bytes, keys: [], slotSize: slotSize) } catch {
            throw DeviceFailure(.imageInvalid, "\(path): \(error)")
        }
        guard let header = report.header else {
            throw DeviceFailure(.imageInvalid, "\(path): not an MCUboot image (no header magic 0x96f3b83d; sign it with `lifeboat image sign` or imgtool)")
        }
        guard let tlv = report.tlvs.first(where: { $0.type == 0x10 }), let computed = report.computedHash else {
            throw DeviceFailure(.imageInvalid, "\(path): no SHA-256 TLV (the device lists and checks images by it)")
        }
        guard tlv.value == computed else {
            throw DeviceFailure(.imageInvalid, "\(path): the SHA-256 TLV does not match the image (the file was changed after signing)")
        }
        version = header.version.imgtoolText.hasSuffix("+0") ? String(header.version.imgtoolText.dropLast(2)) : header.version.imgtoolText
        hash = tlv.value
        fileSHA = bytes.withUnsafeBytes { SHA256.hash($0) }.withUnsafeBytes { Array($0) }
    }
}

/// Progress of a long transfer, for a progress line.
public struct TransferProgress: Sendable {
    public var done: Int
    public var total: Int
    public var seconds: Double
    public var bytesPerSecond: Double { seconds > 0 ? Double(done) / seconds : 0 }
    public var etaSeconds: Double? { bytesPerSecond > 0 ? Double(total - done) / bytesPerSecond : nil }
}

/// The result of an upload.
public struct UploadReport: Codable, Sendable {
    public var bytes: Int
    public var seconds: Double
    public var requests: Int
    /// The device already had this many bytes of the same image (a resumed upload).
    public var resumedFrom: Int?
    /// Upload requests the client kept in flight (the device's `buf_count`, or `--window`).
    public var inFlight = 1
    public var kibPerSecond: Double { seconds > 0 ? Double(bytes - (resumedFrom ?? 0)) / 1024 / seconds : 0 }

    enum CodingKeys: String, CodingKey {
        case bytes, seconds, requests, resumedFrom = "resumed_from", kibPerSecond = "kib_per_second", inFlight = "in_flight"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(bytes, forKey: .bytes)
        try c.encode((seconds * 1000).rounded() / 1000, forKey: .seconds)
        try c.encode(requests, forKey: .requests)
        try c.encodeIfPresent(resumedFrom, forKey: .resumedFrom)
        try c.encode((kibPerSecond * 10).rounded() / 10, forKey: .kibPerSecond)
        try c.encode(inFlight, forKey: .inFlight)
    }

    public init(bytes: Int, seconds: Double, requests: Int, resumedFrom: Int?) {
        self.bytes = bytes
        self.seconds = seconds
        self.requests = requests
        self.resumedFrom = resumedFrom
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bytes = try c.decode(Int.self, forKey: .bytes)
        seconds = try c.decode(Double.self, forKey: .seconds)
        requests = try c.decode(Int.self, forKey: .requests)
        resumedFrom = try c.decodeIfPresent(Int.self, forKey: .resumedFrom)
    }
}

/// A conversation with one device: what `lifeboat device` commands are made of. Each method is
/// one step of the MCUmgr guide's flows; errors come out as ``DeviceFailure``.
public final class DeviceSession {
    public let client: SMPClient
    /// Status lines (stderr in the CLI).
    public var log: (String) -> Void = { _ in }
    /// The device's params, once ``connect()`` has read them (nil: it does not answer them).
    public private(set) var parameters: (bufferSize: Int, bufferCount: Int)?

    public init(client: SMPClient) {
        self.client = client
    }

    /// Runs `body`, turning every error into a ``DeviceFailure`` with this link's diagnosis.
    public func run<T>(_ body: () throws -> T) throws(DeviceFailure) -> T {
        do { return try body() } catch { throw DeviceFailure(error, client: client) }
    }

    /// Checks that something answers, and negotiates the message size: MCUmgr params, or, when
    /// the device does not answer them (older MCUboot), an echo and smpmgr's 169-byte messages.
    @discardableResult
    public func connect() throws(DeviceFailure) -> (bufferSize: Int, bufferCount: Int)? {
        try run {
            do {
                parameters = try client.readParameters()
            } catch SMPClientError.timeout {
                // No params answer: an MCUboot without params drops the unknown request with
                // no reply at all on some versions. An echo tells "older server" from "nobody".
                do {
                    _ = try client.echo("lifeboat")
                } catch SMPClientError.timeout(_, let seconds) {
                    throw SMPClientError.timeout(command: "mcumgr params, then os echo", seconds: seconds)
                }
                parameters = nil
            }
            return parameters
        }
    }

    /// Tells recovery from an application: Zephyr answers `os info` and lists every flag (true
    /// or false) in state read; MCUboot's recovery answers neither way.
    public func mode() throws(DeviceFailure) -> DeviceMode {
        try run {
            let r = try client.request("os info", operation: .read, group: 0, command: 7)
            if r.body["output"] != nil { return .application }
            let states = try client.request("image state read", operation: .read, group: 1, command: 0)
            let listsFalseFlags = states.body["images"]?.arrayValue?.contains { $0["active"]?.boolValue == false } ?? false
            return listsFalseFlags ? .application : .recovery
        }
    }

    public func list() throws(DeviceFailure) -> [ImageState] {
        try run { try client.imageStates() }
    }

    /// Uploads `file` as image number `image`, with its `sha` so that an interrupted upload of the
    /// same file resumes where the device got to.
    public func upload(_ file: ImageFile, image: Int = 0, progress: @escaping (TransferProgress) -> Void = { _ in }) throws(DeviceFailure) -> UploadReport {
        let start = Date()
        let requests: Int = try run {
            try client.upload(file.bytes, image: image, sha: file.fileSHA) { done, total in
                progress(TransferProgress(done: done, total: total, seconds: Date().timeIntervalSince(start)))
            }
        }
        var report = UploadReport(bytes: file.bytes.count, seconds: Date().timeIntervalSince(start), requests: requests, resumedFrom: client.lastUploadResumedFrom)
        report.inFlight = client.uploadWindow
        return report
    }

    /// Waits until the device answers an echo again (after a reset): up to `seconds`.
    public func waitForDevice(seconds: Double) throws(DeviceFailure) {
        let deadline = Date().addingTimeInterval(seconds)
        let saved = client.timeout
        client.timeout = min(saved, 1)
        defer { client.timeout = saved }
        var lastError: Error?
        while Date() < deadline {
            do {
                _ = try client.echo("lifeboat")
                return
            } catch {
                lastError = error
                if case SMPClientError.timeout = error { continue }
                if error is TransportError { usleep(200_000); continue }
                throw DeviceFailure(error, client: client)
            }
        }
        let failure = lastError.map { DeviceFailure($0, client: client) }
        throw DeviceFailure(.noAnswer, "the device did not come back within \(seconds) s of the reset" + (failure.map { ": " + $0.message } ?? ""))
    }
}

/// The guide's production flow, step by step, with what state the board is left in.
public struct UpdateReport: Codable, Sendable {
    public struct Image: Codable, Equatable, Sendable {
        public var version: String
        public var hash: String
        public var slot: Int?

        public init(version: String, hash: String, slot: Int?) {
            self.version = version
            self.hash = hash
            self.slot = slot
        }

        init(_ state: ImageState) {
            self.init(version: state.version, hash: state.hash.map(hexString) ?? "", slot: state.slot)
        }
    }
    public var result: String
    public var modeBefore: DeviceMode?
    public var before: Image?
    public var after: Image?
    public var upload: UploadReport?
    public var steps: [String] = []
    public var boardState: String?
    public var seconds: Double = 0
    public var error: String?

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(result, forKey: .result)
        try c.encodeIfPresent(modeBefore, forKey: .modeBefore)
        try c.encodeIfPresent(before, forKey: .before)
        try c.encodeIfPresent(after, forKey: .after)
        try c.encodeIfPresent(upload, forKey: .upload)
        try c.encode(steps, forKey: .steps)
        try c.encodeIfPresent(boardState, forKey: .boardState)
        try c.encode((seconds * 1000).rounded() / 1000, forKey: .seconds)
        try c.encodeIfPresent(error, forKey: .error)
    }

    public init(result: String) { self.result = result }

    enum CodingKeys: String, CodingKey {
        case result, modeBefore = "mode_before", before, after, upload, steps, boardState = "board_state", seconds, error
    }
}

extension DeviceSession {
    /// Image 0's running (active) entry of a state read.
    static func running(_ states: [ImageState]) -> ImageState? {
        states.first { $0.flags.contains("active") && ($0.image ?? 0) == 0 }
    }

    /// How `update` ends when it cannot confirm by itself.
    public enum ConfirmChoice {
        case confirm
        case leaveTesting
        case ask((String) -> Bool)
    }

    /// The MCUmgr guide's update: check the connection, list, upload to the free slot, mark it for
    /// test, reset, wait, check that the new image runs (version and hash), then confirm. Against
    /// serial recovery (no test/confirm there): upload into the primary slot, reset, and check that
    /// the image boots. `report` is filled in as the flow goes, so a failure still says where
    /// it stopped and what state the board is in.
    public func update(
        _ file: ImageFile, confirm: ConfirmChoice, resetWait: Double = 10, package: ImagePackage? = nil, report: inout UpdateReport,
        progress: @escaping (TransferProgress) -> Void = { _ in }
    ) throws(DeviceFailure) {
        let start = Date()
        defer { report.seconds = Date().timeIntervalSince(start) }
        func step(_ text: String) { report.steps.append(text); log(text) }
        let target = UpdateReport.Image(version: file.version, hash: hexString(file.hash), slot: nil)

        try connect()
        let mode = try self.mode()
        report.modeBefore = mode
        let before = try list()
        let running = mode == .application ? Self.running(before) : before.first { $0.slot == 0 && ($0.image ?? 0) == 0 }
        report.before = running.map(UpdateReport.Image.init)
        step("connected: \(mode.rawValue), " + (running.map { "running \($0.version) (\(hexString($0.hash ?? []).prefix(8))…)" } ?? "no image in the primary slot"))
        if let package {
            try package.check(slotInfo: try run { try client.slotInfo() })
            step("package for layout \(package.layout) (\(package.board)): the device's slots match")
        }
        if running?.hash == file.hash, running?.flags.contains("confirmed") ?? (mode == .recovery) {
            report.after = report.before
            report.result = "unchanged"
            report.boardState = "unchanged: \(file.version) already runs, confirmed"
            step("the board already runs this image (\(file.version)), confirmed: nothing to do")
            return
        }

        report.boardState = "unchanged (nothing written yet)"
        let uploaded = try upload(file, image: 0, progress: progress)
        report.upload = uploaded
        step("uploaded \(uploaded.bytes) bytes in \(String(format: "%.1f", uploaded.seconds)) s" + (uploaded.resumedFrom.map { " (resumed from \($0))" } ?? ""))

        if mode == .application {
            report.boardState = "the new image is in the secondary slot, not marked: the running image stays"
            _ = try run { try client.stateWrite(hash: file.hash, confirm: false) }
            report.boardState = "the new image is marked for test: the next reset boots it once, and it reverts unless confirmed"
            step("marked \(file.version) for test")
        } else {
            report.boardState = "the new image is in the primary slot: it boots at the next reset if it validates"
        }
        try run { try client.reset() }
        step("reset; waiting up to \(Int(resetWait)) s for the device")
        try waitForDevice(seconds: resetWait)
        let modeAfter = try self.mode()
        let after = try list()
        let now = modeAfter == .application ? Self.running(after) : nil
        report.after = now.map(UpdateReport.Image.init)
        guard let now, now.hash == file.hash else {
            report.result = "failed"
            let what = now.map { "\($0.version) (\(hexString($0.hash ?? []).prefix(8))…) runs instead" } ?? "the device came back in \(modeAfter.rawValue), running no application"
            report.boardState = mode == .application
                ? "the new image did not start: \(what); the board keeps (or reverted to) the old image"
                : "the new image did not start: \(what)"
            throw DeviceFailure(.verification, "after the reset, \(what); expected \(file.version) (\(target.hash.prefix(8))…)")
        }
        step("running \(now.version) (\(hexString(now.hash ?? []).prefix(8))…)" + (now.flags.contains("confirmed") ? ", confirmed" : ", not confirmed yet"))
        if now.flags.contains("confirmed") {
            report.result = "applied"
            report.boardState = "the new image runs, confirmed"
            return
        }
        let doConfirm: Bool
        switch confirm {
        case .confirm: doConfirm = true
        case .leaveTesting: doConfirm = false
        case .ask(let prompt): doConfirm = prompt("\(now.version) runs; confirm it (make it permanent)?")
        }
        guard doConfirm else {
            report.result = "testing"
            report.boardState = "the new image runs in test: it reverts to the old one at the next reset unless confirmed (`lifeboat device confirm`)"
            step("left in test (not confirmed)")
            return
        }
        let states = try run { try client.stateWrite(hash: nil, confirm: true) }
        guard states.contains(where: { $0.hash == file.hash && $0.flags.contains("confirmed") }) else {
            report.result = "failed"
            report.boardState = "the new image runs but the confirm did not take: it reverts at the next reset"
            throw DeviceFailure(.verification, "confirm: the device does not list \(file.version) as confirmed afterwards")
        }
        report.result = "applied"
        report.boardState = "the new image runs, confirmed"
        step("confirmed \(file.version)")
    }
}

extension DeviceSession {
    /// Recovery by the pins: hold the boot pin, pulse reset, wait for serial recovery, release the
    /// pin, upload `file` into the primary slot, reset, and check that the new image runs (it
    /// must answer MCUmgr and list the image as active). `report` says where it stopped.
    public func recover(
        _ file: ImageFile, pins: PinSequencer, wait: Double = 10, report: inout UpdateReport,
        progress: @escaping (TransferProgress) -> Void = { _ in }
    ) throws(DeviceFailure) {
        let start = Date()
        defer { report.seconds = Date().timeIntervalSince(start) }
        func step(_ text: String) { report.steps.append(text); log(text) }
        func pinsRun(_ body: () throws(TransportError) -> Void) throws(DeviceFailure) {
            do { try body() } catch { throw DeviceFailure(.transport, error.description) }
        }
        report.boardState = "unchanged (nothing written yet)"
        try pinsRun { () throws(TransportError) in try pins.enterRecovery(releaseBoot: false) }
        step("boot pin (\(pins.boot.map(\.description) ?? "-")) held, reset (\(pins.reset)) pulsed")
        do {
            try waitForDevice(seconds: wait)
        } catch {
            try? pins.releaseBoot()
            throw DeviceFailure(.noAnswer, "nothing answered after the reset with the boot pin held: check the wiring (reset on \(pins.reset), boot on \(pins.boot.map(\.description) ?? "-")), the polarity (! inverts), and the baud rate. \(error.message)")
        }
        try pinsRun { () throws(TransportError) in try pins.releaseBoot() }
        try connect()
        let mode = try self.mode()
        report.modeBefore = mode
        guard mode == .recovery else {
            report.boardState = "unchanged: the board runs its application"
            throw DeviceFailure(.verification, "the board answered as an application, not serial recovery: the boot pin did not take (is --boot-line the recovery button's line, and its polarity right?)")
        }
        let before = try list().first { $0.slot == 0 && ($0.image ?? 0) == 0 }
        report.before = before.map(UpdateReport.Image.init)
        step("serial recovery answers; primary slot: " + (before.map { "\($0.version)" } ?? "no valid image"))
        report.boardState = "the primary slot is being rewritten: until the upload completes it holds no bootable image (the board stays in recovery)"
        let uploaded = try upload(file, image: 0, progress: progress)
        report.upload = uploaded
        step("uploaded \(uploaded.bytes) bytes in \(String(format: "%.1f", uploaded.seconds)) s" + (uploaded.resumedFrom.map { " (resumed from \($0))" } ?? ""))
        report.boardState = "the new image is in the primary slot: it boots at the next reset if it validates"
        try pinsRun { () throws(TransportError) in try pins.pulseReset() }
        step("reset (\(pins.reset)) pulsed; waiting up to \(Int(wait)) s")
        try waitForDevice(seconds: wait)
        let now = try self.mode() == .application ? Self.running(try list()) : nil
        report.after = now.map(UpdateReport.Image.init)
        guard let now, now.hash == file.hash else {
            report.result = "failed"
            report.boardState = "the new image is in the primary slot but does not run: the board is in serial recovery"
            throw DeviceFailure(.verification, "after the reset the board does not run \(file.version): it answers as serial recovery (the image does not validate for this boot stage: key, slot size?)")
        }
        report.result = "recovered"
        report.boardState = "the new image runs"
        step("running \(now.version) (\(hexString(now.hash ?? []).prefix(8))…)")
    }
}
