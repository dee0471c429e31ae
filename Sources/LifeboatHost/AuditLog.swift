import Foundation

/// The update audit trail: one JSON line per `update` or `recover` attempt, appended, never
/// rewritten: time, host user, device identity, image before → after, result, duration.
public struct AuditLog {
    public var path: String

    public init(path: String) { self.path = path }

    /// `$XDG_STATE_HOME/lifeboat/updates.jsonl`, else `~/.local/state/lifeboat/updates.jsonl`.
    public static var defaultPath: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.local/state")
        return base + "/lifeboat/updates.jsonl"
    }

    public struct Entry: Codable, Sendable {
        public var time: String
        public var user: String
        public var host: String
        public var command: String
        public var device: String
        public var bootloader: String?
        public var image: String
        public var before: UpdateReport.Image?
        public var after: UpdateReport.Image?
        public var result: String
        public var boardState: String?
        public var error: String?
        public var seconds: Double

        enum CodingKeys: String, CodingKey {
            case time, user, host, command, device, bootloader, image, before, after, result
            case boardState = "board_state", error, seconds
        }
    }

    public static func entry(command: String, device: String, bootloader: String?, image: String, report: UpdateReport) -> Entry {
        let formatter = ISO8601DateFormatter()
        let env = ProcessInfo.processInfo.environment
        return Entry(
            time: formatter.string(from: Date()), user: env["USER"] ?? env["LOGNAME"] ?? getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? String(getuid()),
            host: ProcessInfo.processInfo.hostName, command: command, device: device, bootloader: bootloader,
            image: image, before: report.before, after: report.after, result: report.result,
            boardState: report.boardState, error: report.error, seconds: (report.seconds * 1000).rounded() / 1000)
    }

    /// Appends `entry` as one line (creating the directory), with O_APPEND so concurrent runs
    /// never interleave inside a line.
    public func append(_ entry: Entry) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(entry)
        line.append(0x0A)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw TransportError("cannot open the audit log \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = line.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else { throw TransportError("cannot write the audit log \(path): \(String(cString: strerror(errno)))") }
    }
}
