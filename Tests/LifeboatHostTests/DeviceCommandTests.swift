import Foundation
import LifeboatHost
import MCUbootImage
import Simulation
import Testing

/// `lifeboat device` as a user runs it: the built executable against `lifeboat sim` on a pty and
/// on TCP, and against a port where nothing answers.
@Suite(.enabled(if: lifeboatBinary != nil, "needs a built lifeboat (swift build)"), .serialized)
struct DeviceCommandTests {
    static func imageFile(_ dir: TemporaryDirectory, _ name: String, version: String, seed: UInt32) throws -> String {
        let path = dir.path(name)
        try Data(try DeviceClientTests.signed(version, seed: seed, size: 30_000)).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func json(_ output: String) throws -> [String: Any] {
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("{") })
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func updateOverThePtyPrintsOneJSONObjectAndLogsIt() throws {
        let dir = try TemporaryDirectory()
        let v1 = try Self.imageFile(dir, "v1.bin", version: "1.0.0", seed: 1)
        let v2 = try Self.imageFile(dir, "v2.bin", version: "2.0.0", seed: 2)
        let sim = try RunningSimulator()
        defer { sim.stop() }
        let log = dir.path("audit.jsonl")
        // From serial recovery (empty board): upload into the primary, reset, it boots.
        let first = try run(lifeboatBinary!, ["device", "--port", sim.port, "update", v1, "--confirm", "--json", "--log", log])
        #expect(first.status == 0, "\(first.output)")
        let a = try Self.json(first.output)
        #expect(a["result"] as? String == "applied")
        #expect(a["mode_before"] as? String == "recovery")
        #expect((a["after"] as? [String: Any])?["version"] as? String == "1.0.0")
        // From the application: the guide's flow, test → reset → verify → confirm.
        let second = try run(lifeboatBinary!, ["device", "--port", sim.port, "update", v2, "--confirm", "--json", "--log", log])
        #expect(second.status == 0, "\(second.output)")
        let b = try Self.json(second.output)
        #expect(b["result"] as? String == "applied" && b["mode_before"] as? String == "application")
        #expect((b["before"] as? [String: Any])?["version"] as? String == "1.0.0")
        #expect((b["after"] as? [String: Any])?["version"] as? String == "2.0.0")
        #expect((b["after"] as? [String: Any])?["hash"] as? String == hexString(try ImageFile(path: v2).hash))
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let entry = try Self.json(String(lines[1]))
        #expect(entry["result"] as? String == "applied" && entry["device"] as? String == "\(sim.port) at 115200 baud")
        #expect(entry["bootloader"] as? String == "MCUboot")
        // The board now runs 2.0.0, confirmed.
        let list = try run(lifeboatBinary!, ["device", "list", "--port", sim.port])
        #expect(list.status == 0)
        #expect(list.output.contains("2.0.0") && list.output.contains("confirmed,active"), "\(list.output)")
    }

    /// The pin map: --reset-line / --boot-line (CBUS pins too), else the board descriptor's
    /// recovery-adapter (--board); a descriptor without one is named in the refusal.
    @Test func recoverTakesThePinMapFromOptionsOrTheBoardDescriptor() throws {
        let dir = try TemporaryDirectory()
        let v1 = try Self.imageFile(dir, "v1.bin", version: "1.0.0", seed: 1)
        let cbus = try run(lifeboatBinary!, ["device", "--sim", "nrf52840dk", "--reset-line", "cbus0", "--boot-line", "cbus1", "recover", v1, "--json"])
        #expect(cbus.status == 0, "\(cbus.output)")
        #expect(try Self.json(cbus.output)["result"] as? String == "recovered")
        let described = try run(lifeboatBinary!, ["device", "--sim", "nrf52840dk", "--board", "nrf5340dk", "recover", v1, "--json"])
        #expect(described.status == 0, "\(described.output)")
        let missing = try run(lifeboatBinary!, ["device", "--sim", "nrf52840dk", "--board", "qemu-microbit", "recover", v1, "--json"])
        #expect(missing.status != 0)
        #expect(((try Self.json(missing.output)["error"] as? [String: Any])?["message"] as? String)?.contains("no recovery-adapter") == true, "\(missing.output)")
        let serial = try run(lifeboatBinary!, ["device", "--sim", "nrf52840dk", "--reset-line", "cbus5", "recover", v1])
        #expect(serial.status == 64 && serial.output.contains("cbus0…cbus3"), "\(serial.output)")
    }

    /// `--help` after a device subcommand prints that subcommand's help (ArgumentParser alone
    /// printed `device`'s), with or without link options before it.
    @Test func subcommandHelpIsTheSubcommands() throws {
        for arguments in [["device", "upload", "--help"], ["device", "--tcp", "127.0.0.1:1", "upload", "-h"]] {
            let r = try run(lifeboatBinary!, arguments)
            #expect(r.status == 0 && r.output.contains("USAGE: lifeboat device upload"), "\(arguments): \(r.output.prefix(300))")
        }
        let test = try run(lifeboatBinary!, ["device", "test", "--help"])
        #expect(test.output.contains("Mark an image for test"), "\(test.output.prefix(300))")
        let parent = try run(lifeboatBinary!, ["device", "--help"])
        #expect(parent.output.contains("Talk to a board over SMP") && parent.output.contains("SUBCOMMANDS"), "\(parent.output.prefix(300))")
    }

    @Test func uploadShowsProgressAndAFinalRate() throws {
        let dir = try TemporaryDirectory()
        let v1 = try Self.imageFile(dir, "v1.bin", version: "1.0.0", seed: 1)
        let sim = try RunningSimulator()
        defer { sim.stop() }
        let r = try run(lifeboatBinary!, ["device", "upload", "--port", sim.port, v1])
        #expect(r.status == 0, "\(r.output)")
        let size = try Data(contentsOf: URL(fileURLWithPath: v1)).count
        #expect(r.output.contains("upload 100%  \(size)/\(size) bytes"), "\(r.output)")
        #expect(r.output.range(of: #"\n\#(size) bytes in [0-9.]+ s \([0-9.]+ KiB/s\)"#, options: .regularExpression) != nil, "\(r.output)")
        // A tampered file is refused before anything is sent.
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: v1)))
        bytes[0x300] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: dir.path("bad.bin")))
        let bad = try run(lifeboatBinary!, ["device", "upload", "--port", sim.port, dir.path("bad.bin"), "--json"])
        #expect(bad.status == DeviceFailure.Kind.imageInvalid.exitCode)
        #expect(((try Self.json(bad.output))["error"] as? [String: Any])?["kind"] as? String == "image-invalid")
    }

    @Test func silentPortEndsWithinTheTimeoutWithADiagnosis() throws {
        let silent = try PseudoTerminal()  // nobody reads or answers on the other side
        let start = Date()
        let r = try run(lifeboatBinary!, ["device", "info", "--port", silent.path, "--timeout", "0.5"])
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(r.status == DeviceFailure.Kind.noAnswer.exitCode, "\(r.output)")
        #expect(r.output.contains("not one byte") && r.output.contains("\(silent.path) at 115200 baud"), "\(r.output)")
        // No such port: a transport error, its own exit code.
        let missing = try run(lifeboatBinary!, ["device", "echo", "--port", "/dev/lifeboat-no-such-port", "--json"])
        #expect(missing.status == DeviceFailure.Kind.transport.exitCode)
        // No link at all: a usage error.
        #expect(try run(lifeboatBinary!, ["device", "echo"]).status == 64)
    }

    /// An erase the policy forbids (primary-only recovery: the secondary is not its to touch)
    /// is a device refusal: exit 4, the rc by name, and the request that caused it.
    @Test func refusedEraseHasTheRefusalExitCodeAndTheRcName() throws {
        let r = try run(lifeboatBinary!, ["device", "--sim", "nrf52840dk", "erase", "--json"])
        #expect(r.status == DeviceFailure.Kind.refused.exitCode)
        let error = try #require(try Self.json(r.output)["error"] as? [String: Any])
        #expect(error["rc"] as? Int == 11 && error["rc_name"] as? String == "MGMT_ERR_EACCESSDENIED")
        #expect((error["message"] as? String)?.hasPrefix("image erase: device refused: rc 11") == true)
        let allowed = try run(lifeboatBinary!, ["device", "--sim", "nrf52840dk", "--policy", "slot-mapping", "erase", "--slot", "1"])
        #expect(allowed.status == 0 && allowed.output.contains("erased slot 1"), "\(allowed.output)")
    }

    @Test func lineLengthMismatchIsDiagnosedAgainstTheSimulator() throws {
        let sim = try RunningSimulator()
        defer { sim.stop() }
        let r = try run(lifeboatBinary!, ["device", "echo", String(repeating: "z", count: 300), "--port", sim.port, "--line-length", "512", "--timeout", "1"])
        #expect(r.status == DeviceFailure.Kind.noAnswer.exitCode)
        #expect(r.output.contains("line too long") && r.output.contains("--line-length"), "\(r.output)")
    }

    /// `lifeboat device --framing`: the client speaks the simulator's raw and COBS framings, and
    /// `auto` finds whichever the board runs (raw, COBS, console in turn) and says so. An upload
    /// in the raw framing lands byte for byte; the console client at a raw board is told to try
    /// the other framings.
    @Test(arguments: ["raw", "cobs", "console"])
    func framingsAreSpokenAndDetected(boardFraming: String) throws {
        let dir = try TemporaryDirectory()
        let v1 = try Self.imageFile(dir, "v1.bin", version: "1.5.0", seed: 8)
        let sim = try RunningSimulator(arguments: ["--framing", boardFraming])
        defer { sim.stop() }
        let info = try run(lifeboatBinary!, ["device", "--port", sim.port, "--framing", "auto", "info", "--json"])
        #expect(info.status == 0, "\(info.output)")
        let fields = try Self.json(info.output)
        #expect(fields["framing"] as? String == boardFraming)
        #expect(fields["buf_size"] as? Int == 2048)
        let upload = try run(lifeboatBinary!, ["device", "--port", sim.port, "--framing", boardFraming, "upload", v1])
        #expect(upload.status == 0, "\(upload.output)")
        let image = Array(try Data(contentsOf: URL(fileURLWithPath: v1)))
        #expect(Array(try sim.flash()[0xC000..<(0xC000 + image.count)]) == image)
        if boardFraming == "raw" {
            let console = try run(lifeboatBinary!, ["device", "--port", sim.port, "--timeout", "0.5", "echo", "hi"])
            #expect(console.status == DeviceFailure.Kind.noAnswer.exitCode)
            #expect(console.output.contains("try --framing raw, cobs or auto"), "\(console.output)")
        }
    }

    @Test func tcpLinkToTheSimulator() throws {
        let dir = try TemporaryDirectory()
        let v1 = try Self.imageFile(dir, "v1.bin", version: "1.4.2", seed: 4)
        let sim = try RunningSimulator(arguments: ["--tcp", "0"])
        defer { sim.stop() }
        #expect(sim.port.hasPrefix("localhost:"))
        let info = try run(lifeboatBinary!, ["device", "--tcp", sim.port, "info", "--json"])
        #expect(info.status == 0, "\(info.output)")
        let fields = try Self.json(info.output)
        #expect(fields["mode"] as? String == "recovery" && fields["bootloader"] as? String == "MCUboot")
        #expect(fields["buf_size"] as? Int == 2048)
        let upload = try run(lifeboatBinary!, ["device", "--tcp", sim.port, "upload", v1, "--json"])
        #expect(upload.status == 0, "\(upload.output)")
        #expect(((try Self.json(upload.output))["upload"] as? [String: Any])?["bytes"] as? Int == 30_000 + 0x200 + 40)
        let list = try run(lifeboatBinary!, ["device", "--tcp", sim.port, "list"])
        #expect(list.output.contains("1.4.2"), "\(list.output)")
    }
}
