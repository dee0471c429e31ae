import Foundation
import Simulation
import Recovery
import LifeboatHost
import Testing

/// The package root (this file is Tests/LifeboatHostTests/Support.swift).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A tool from the venv `tools/setup-python` makes (`.build/venv/bin`), else from `$PATH`.
func pythonTool(_ name: String) -> String? {
    let fm = FileManager.default
    var candidates = [packageRoot.appendingPathComponent(".build/venv/bin/\(name)").path]
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        candidates.append("\(dir)/\(name)")
    }
    return candidates.first { fm.isExecutableFile(atPath: $0) }
}

/// The `lifeboat` executable of this build (tools/test runs `swift build` before the tests).
let lifeboatBinary: String? = {
    let fm = FileManager.default
    let candidates = [".build/debug/lifeboat", ".build/x86_64-unknown-linux-gnu/debug/lifeboat", ".build/release/lifeboat"]
        .map { packageRoot.appendingPathComponent($0).path }
    return candidates.first { fm.isExecutableFile(atPath: $0) }
}()

let interopReady = pythonTool("smpmgr") != nil && pythonTool("imgtool") != nil && lifeboatBinary != nil
let interopSkipReason: Comment =
    "needs smpmgr and imgtool (run tools/setup-python, or tools/test) and a built lifeboat (swift build)"

/// A finished process: exit status and everything it printed.
struct ProcessResult {
    var status: Int32
    var output: String
}

/// Runs a program to completion, capturing stdout and stderr together; fails the test after `timeout`.
@discardableResult
func run(_ executable: String, _ arguments: [String], timeout: Double = 60) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    // Drain the pipe on a GCD thread (not the test's cooperative pool, which a blocked wait
    // could starve on a 2-core machine) so a chatty process cannot fill it and stall.
    let reader = PipeReader(pipe)
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning {
        Issue.record("\(executable) \(arguments) did not finish within \(timeout) s")
        kill(process.processIdentifier, SIGKILL)
    }
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, output: String(decoding: reader.finish(), as: UTF8.self))
}

/// Reads a pipe to its end on a GCD thread.
final class PipeReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        DispatchQueue.global().async {
            self.data = handle.readDataToEndOfFile()
            self.done.signal()
        }
    }

    /// Waits for the end of the pipe and returns everything read.
    func finish() -> Data {
        done.wait()
        return data
    }
}

/// `lifeboat sim` running in the background on a pty, with its state in a temporary folder.
final class RunningSimulator {
    let process = Process()
    let stateDirectory: URL
    let port: String
    private let stderrLog: PipeReader

    init(arguments: [String] = []) throws {
        stateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: lifeboatBinary!)
        process.arguments = ["sim", "--state", stateDirectory.path] + arguments
        process.currentDirectoryURL = packageRoot
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        stderrLog = PipeReader(stderr)
        try process.run()
        // The first line on stdout is "serial: /dev/pts/N" (with --tcp: "tcp: localhost:PORT").
        var line = Data()
        let handle = stdout.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "serial: ") ?? text.range(of: "tcp: ") else {
            process.terminate()
            throw SimulatorStartError(output: text)
        }
        port = String(text[range.upperBound...].prefix { $0 != "\n" })
    }

    struct SimulatorStartError: Error, CustomStringConvertible {
        var output: String
        var description: String { "lifeboat sim did not print its serial port; it printed: \(output)" }
    }

    /// The raw flash file of a device (`internal`, `external`).
    func flash(_ device: String = "internal") throws -> [UInt8] {
        Array(try Data(contentsOf: stateDirectory.appendingPathComponent("\(device).bin")))
    }

    /// Stops the simulator (SIGTERM, as Ctrl-C) and returns what it logged on stderr.
    @discardableResult
    func stop() -> String {
        if process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            Issue.record("lifeboat sim did not stop on SIGTERM")
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        let log = String(decoding: stderrLog.finish(), as: UTF8.self)
        try? FileManager.default.removeItem(at: stateDirectory)
        return log
    }
}

/// A temporary folder removed when the value goes away.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A simulated board from the shipped descriptors (drivers backend, as `lifeboat sim` runs it).
func simulatedBoard(
    _ board: String = "nrf52840dk", layout: String? = nil, policy: UploadPolicy = .primaryOnly, receiveBuffers: Int = 1
) throws -> SimulatedBoard {
    let loader = DescriptorLoader(root: packageRoot)
    return try SimulatedBoard(
        board: try loader.loadBoard(board), layout: try loader.loadLayout(layout ?? board),
        configuration: RecoveryConfiguration(policy: policy, receiveBufferCount: receiveBuffers))
}
