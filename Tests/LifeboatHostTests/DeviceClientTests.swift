import Foundation
import LifeboatHost
import MCUbootImage
import Recovery
import SMP
import Simulation
import Testing

/// A transport whose other side says what the test scripts: nothing, text, noise.
final class ScriptedTransport: SMPTransport {
    var reply: [UInt8]
    /// Send back what was written (an echoing console) instead of `reply`.
    var echo = false
    private var pending: [UInt8] = []
    var endpoint: String { "scripted port" }
    init(reply: [UInt8], echo: Bool = false) {
        self.reply = reply
        self.echo = echo
    }
    func write(_ bytes: [UInt8]) throws { pending += echo ? bytes : reply }
    func read(timeout: Double) throws -> [UInt8] {
        defer { pending.removeAll() }
        if pending.isEmpty { usleep(UInt32(min(timeout, 0.01) * 1_000_000)) }
        return pending
    }
}

/// Runs a simulated board's console loop on a thread until stopped (a pty or TCP server side).
final class ConsoleThread: @unchecked Sendable {
    private let console: SerialConsole
    private let lock = NSLock()
    private var stop = false
    private let finished = DispatchSemaphore(value: 0)

    init(_ console: SerialConsole) {
        self.console = console
        let thread = Thread { [self] in
            self.console.run(shouldStop: { self.lock.withLock { self.stop } })
            self.finished.signal()
        }
        thread.start()
    }

    func finish() {
        lock.withLock { stop = true }
        finished.wait()
    }
}

@Suite struct DeviceClientTests {
    static func signed(_ version: String, seed: UInt32, size: Int = 40_000) throws -> [UInt8] {
        let parts = version.split(separator: ".").map { UInt8($0)! }
        var options = SigningOptions(version: ImageVersion(major: parts[0], minor: parts[1], revision: UInt16(parts[2])), slotSize: 0x76000)
        options.padHeader = true
        options.align = 4
        return try ImageSigner(options: options).sign(applicationBytes(count: size, seed: seed))
    }

    static func file(_ dir: TemporaryDirectory, _ name: String, _ bytes: [UInt8]) throws -> ImageFile {
        let path = dir.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try ImageFile(path: path)
    }

    static func session(_ board: SimulatedBoard) -> (DeviceSession, LoopbackTransport) {
        let transport = LoopbackTransport(board: board, baud: nil)
        transport.console.runBootStage()
        return (DeviceSession(client: SMPClient(transport: transport, timeout: 0.5)), transport)
    }

    // MARK: the image file is checked before anything is sent

    @Test func imageFileChecksHeaderAndHash() throws {
        let dir = try TemporaryDirectory()
        let good = try Self.signed("1.2.3", seed: 1)
        let file = try Self.file(dir, "good.bin", good)
        #expect(file.version == "1.2.3")
        #expect(file.hash == Array(good.suffix(32)), "the SHA-256 TLV is the image's last 32 bytes without a signature")
        var tampered = good
        tampered[0x200 + 10] ^= 1
        try Data(tampered).write(to: URL(fileURLWithPath: dir.path("bad.bin")))
        let failure = #expect(throws: DeviceFailure.self) { try ImageFile(path: dir.path("bad.bin")) }
        #expect(failure?.kind == .imageInvalid)
        #expect(failure?.message.contains("does not match") == true)
        try Data(applicationBytes(count: 1000)).write(to: URL(fileURLWithPath: dir.path("raw.bin")))
        let raw = #expect(throws: DeviceFailure.self) { try ImageFile(path: dir.path("raw.bin")) }
        #expect(raw?.kind == .imageInvalid && raw?.message.contains("not an MCUboot image") == true)
    }

    // MARK: exit codes and rc names

    @Test func failureKindsHaveDistinctExitCodes() {
        let codes = DeviceFailure.Kind.allCases.map(\.exitCode)
        #expect(Set(codes).count == codes.count)
        #expect(!codes.contains(0) && !codes.contains(64))
        #expect(DeviceFailure.exitCodeHelp.contains("3 no answer"))
        let refused = DeviceFailure(SMPClientError.device(command: "image upload", rc: 3))
        #expect(refused.kind == .refused && refused.rc == 3 && refused.rcName == "MGMT_ERR_EINVAL")
        #expect(refused.message.hasPrefix("image upload: device refused: rc 3 EINVAL"))
        let notSupported = DeviceFailure(SMPClientError.device(command: "image state write", rc: 8))
        #expect(notSupported.message.contains("ENOTSUP") && notSupported.message.contains("serial recovery has no test/confirm"))
        #expect(DeviceFailure(TransportError("gone")).kind == .transport)
    }

    // MARK: a diagnosis from what came back

    @Test func silenceIsDiagnosedFromWhatCameBack() throws {
        func failure(_ reply: [UInt8], echo: Bool = false) throws -> DeviceFailure {
            let client = SMPClient(transport: ScriptedTransport(reply: reply, echo: echo), timeout: 0.05)
            let session = DeviceSession(client: client)
            return try #require(#expect(throws: DeviceFailure.self) { try session.connect() })
        }
        let silent = try failure([])
        #expect(silent.kind == .noAnswer)
        #expect(silent.message.contains("mcumgr params, then os echo: no answer"))
        #expect(silent.message.contains("not one byte") && silent.message.contains("scripted port (console framing, 128-byte lines)"))

        let shell = try failure(Array("uart:~$ \r\nshell: command not found\r\n".utf8))
        #expect(shell.message.contains("text came back") && shell.message.contains("'shell: command not found'"))

        var noise: [UInt8] = []
        for i in 0..<200 { noise.append(UInt8(truncatingIfNeeded: i &* 37 | 0x80)) }
        noise.append(0x0A)
        let baud = try failure(noise)
        #expect(baud.message.contains("wrong baud rate"))

        let echoed = try failure([], echo: true)
        #expect(echoed.message.contains("sent our own request back") && echoed.message.contains("echoes the console"), "\(echoed.message)")

        let dropped = try failure(Array("lifeboat: dropped frame: line too long (1 dropped since start)\n".utf8))
        #expect(dropped.message.contains("dropped the frame and said why") && dropped.message.contains("--line-length"))
    }

    @Test func lineLengthMismatchAgainstTheSimulatorIsNamed() throws {
        let board = try simulatedBoard()
        let (session, _) = Self.session(board)
        session.client.lineLength = 256
        // An echo long enough that a 256-byte line is needed: the server's 128-byte line buffer
        // drops it and says so on the console.
        let failure = try #require(#expect(throws: DeviceFailure.self) {
            try session.run { try session.client.echo(String(repeating: "x", count: 300)) }
        })
        #expect(failure.kind == .noAnswer)
        #expect(failure.message.contains("line too long"), "\(failure.message)")
        session.client.lineLength = 128
        #expect(try session.run { try session.client.echo("ok") } == "ok", "the server still answers a well-framed request")
    }

    // MARK: upload, resume

    @Test func interruptedUploadResumesFromTheDevicesOffset() throws {
        let dir = try TemporaryDirectory()
        let board = try simulatedBoard()
        let image = try Self.signed("2.0.0", seed: 7, size: 60_000)
        let file = try Self.file(dir, "v2.bin", image)
        let transport = LoopbackTransport(board: board, baud: nil)
        transport.console.runBootStage()
        let lossy = LossyTransport(transport)
        lossy.cutAfter = 12  // the link dies after 12 requests (params + 11 chunks)
        let first = DeviceSession(client: SMPClient(transport: lossy, timeout: 0.05))
        try first.connect()
        first.client.retries = 1
        let failure = #expect(throws: DeviceFailure.self) { try first.upload(file) }
        #expect(failure?.kind == .noAnswer)
        // A new client on the same, still running, device: the upload resumes.
        let second = DeviceSession(client: SMPClient(transport: transport, timeout: 0.5))
        try second.connect()
        var firstProgress: Int?
        let report = try second.upload(file) { p in if firstProgress == nil { firstProgress = p.done } }
        let resumed = try #require(report.resumedFrom)
        #expect(resumed > 0 && resumed < image.count)
        #expect(firstProgress == resumed)
        #expect(board.devices["internal"]!.bytes(in: 0xC000..<(0xC000 + image.count)) == image)
        #expect(try second.list().first?.hash == file.hash)
    }

    /// The simulator killed mid-upload and started again on the same flash files: the upload
    /// journal in the slot lets the same file resume from a sector boundary the device reached.
    @Test func uploadResumesAfterTheBoardIsRestartedOnTheSameState() throws {
        let dir = try TemporaryDirectory()
        let loader = DescriptorLoader(root: packageRoot)
        func board() throws -> SimulatedBoard {
            try SimulatedBoard(
                board: try loader.loadBoard("nrf52840dk"), layout: try loader.loadLayout("nrf52840dk"),
                configuration: RecoveryConfiguration(policy: .primaryOnly), stateDirectory: dir.path("state"))
        }
        let image = try Self.signed("5.0.0", seed: 12, size: 60_000)
        let file = try Self.file(dir, "v5.bin", image)
        do {
            let first = try board()
            let transport = LoopbackTransport(board: first, baud: nil)
            transport.console.runBootStage()
            let lossy = LossyTransport(transport)
            lossy.cutAfter = 8
            let session = DeviceSession(client: SMPClient(transport: lossy, timeout: 0.05))
            try session.connect()
            session.client.retries = 0
            #expect(throws: DeviceFailure.self) { try session.upload(file) }
            for device in first.devices.values { try device.sync() }
        }  // the first board is gone: nothing in RAM survives
        let second = try board()
        let (session, _) = Self.session(second)
        try session.connect()
        let report = try session.upload(file)
        let resumed = try #require(report.resumedFrom)
        #expect(resumed > 0 && resumed % 4096 == 0)
        #expect(second.devices["internal"]!.bytes(in: 0xC000..<(0xC000 + image.count)) == image)
    }

    // MARK: the guide's update flow

    @Test func updateFromRecoveryThenFromTheApplication() throws {
        let dir = try TemporaryDirectory()
        let board = try simulatedBoard()
        let (session, transport) = Self.session(board)
        let v1 = try Self.file(dir, "v1.bin", try Self.signed("1.0.0", seed: 1))
        let v2 = try Self.file(dir, "v2.bin", try Self.signed("2.0.0", seed: 2))

        var report = UpdateReport(result: "failed")
        try session.update(v1, confirm: .confirm, resetWait: 2, report: &report)
        #expect(report.modeBefore == .recovery)
        #expect(report.before == nil && report.after?.version == "1.0.0" && report.after?.hash == hexString(v1.hash))
        #expect(report.result == "applied")
        #expect(transport.console.stage == .application)

        // From the application, left in test: it runs, unconfirmed, and the old one is kept.
        report = UpdateReport(result: "failed")
        try session.update(v2, confirm: .leaveTesting, resetWait: 2, report: &report)
        #expect(report.modeBefore == .application)
        #expect(report.before?.version == "1.0.0" && report.after?.version == "2.0.0")
        #expect(report.result == "testing")
        #expect(report.boardState?.contains("reverts") == true)
        // Not confirmed: the next reset reverts to 1.0.0.
        try session.run { try session.client.reset() }
        #expect(try session.list().first { $0.flags.contains("active") }?.version == "1.0.0")

        // Again, confirmed this time; a second identical update has nothing to do.
        report = UpdateReport(result: "failed")
        var asked: String?
        try session.update(v2, confirm: .ask({ asked = $0; return true }), resetWait: 2, report: &report)
        #expect(asked?.contains("confirm") == true)
        #expect(report.result == "applied" && report.after?.version == "2.0.0")
        try session.run { try session.client.reset() }
        #expect(try session.list().first { $0.flags.contains("active") }?.version == "2.0.0")
        report = UpdateReport(result: "failed")
        try session.update(v2, confirm: .confirm, resetWait: 2, report: &report)
        #expect(report.result == "unchanged" && report.upload == nil)
    }

    @Test func updateThatDoesNotComeUpSaysWhatTheBoardHolds() throws {
        // The board trusts a key; the image carries only its hash. Serial recovery writes it
        // (MCUboot does not validate uploads), but the boot stage refuses to boot it: the board
        // comes back in recovery, and the update says so.
        let dir = try TemporaryDirectory()
        let loader = DescriptorLoader(root: packageRoot)
        let key = TrustedKey(kind: .ed25519, bytes: [UInt8](repeating: 0x42, count: 44))
        let board = try SimulatedBoard(
            board: try loader.loadBoard("nrf52840dk"), layout: try loader.loadLayout("nrf52840dk"),
            configuration: RecoveryConfiguration(policy: .primaryOnly, imagePolicy: ImagePolicy(trustedKeys: [key])))
        let (session, transport) = Self.session(board)
        let file = try Self.file(dir, "unsigned.bin", try Self.signed("9.0.0", seed: 3))
        var report = UpdateReport(result: "failed")
        let failure = #expect(throws: DeviceFailure.self) { try session.update(file, confirm: .confirm, resetWait: 1, report: &report) }
        #expect(failure?.kind == .verification)
        #expect(failure?.message.contains("came back in recovery") == true, "\(failure?.message ?? "")")
        #expect(report.result == "failed" && report.boardState?.contains("did not start") == true)
        #expect(report.steps.contains { $0.hasPrefix("uploaded 40") })
        #expect(transport.console.stage == .recovery)
    }

    // MARK: the real links

    @Test func ptyAndTCPLinksToARunningBoard() throws {
        let board = try simulatedBoard()
        let pty = try PseudoTerminal()
        let console = SerialConsole(board: board, port: pty)
        console.runBootStage()
        let loop = ConsoleThread(console)
        defer { loop.finish() }
        let serial = try SerialDeviceTransport(path: pty.path, baud: 115_200)
        let session = DeviceSession(client: SMPClient(transport: serial, timeout: 2))
        #expect(try session.connect()?.bufferSize == 2048)
        #expect(try session.mode() == .recovery)
        // Exclusive: a second client is refused, not interleaved.
        let second = #expect(throws: TransportError.self) { try SerialDeviceTransport(path: pty.path) }
        #expect(second?.description.contains("in use") == true || second?.description.contains("exclusively") == true)
        // A pty has no modem lines: asking for them is an error, not a silent no-op.
        #expect(throws: TransportError.self) { try serial.setControlLines(dtr: true) }
        #expect(throws: TransportError.self) { try SerialDeviceTransport(path: pty.path, baud: 12_345) }

        let tcpBoard = try simulatedBoard()
        let socket = try TCPSerialPort(port: 0)
        let tcpConsole = SerialConsole(board: tcpBoard, port: socket)
        tcpConsole.runBootStage()
        let tcpLoop = ConsoleThread(tcpConsole)
        defer { tcpLoop.finish() }
        let tcp = try TCPTransport(host: "localhost", port: socket.port)
        #expect(tcp.endpoint == "tcp localhost:\(socket.port)")
        let overTCP = SMPClient(transport: tcp, timeout: 2)
        #expect(try overTCP.echo("over tcp") == "over tcp")
        try overTCP.readParameters()
        let image = try Self.signed("3.0.0", seed: 5)
        try overTCP.upload(image)
        #expect(try overTCP.imageStates().first?.version == "3.0.0")
        #expect(throws: TransportError.self) { try TCPTransport.address("localhost:notaport") }
        #expect(try TCPTransport.address("4444") == ("localhost", 4444))
    }

    @Test func auditLogAppendsOneLinePerAttempt() throws {
        let dir = try TemporaryDirectory()
        let log = AuditLog(path: dir.path("state/lifeboat/updates.jsonl"))
        var report = UpdateReport(result: "applied")
        report.before = .init(version: "1.0.0", hash: "aa", slot: 0)
        report.after = .init(version: "2.0.0", hash: "bb", slot: 0)
        try log.append(AuditLog.entry(command: "update", device: "/dev/pts/9 at 115200 baud", bootloader: "MCUboot", image: "v2.bin", report: report))
        report.result = "failed"
        try log.append(AuditLog.entry(command: "update", device: "/dev/pts/9 at 115200 baud", bootloader: nil, image: "v2.bin", report: report))
        let lines = try String(contentsOfFile: log.path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect(first?["result"] as? String == "applied")
        #expect((first?["before"] as? [String: Any])?["version"] as? String == "1.0.0")
        #expect((first?["after"] as? [String: Any])?["version"] as? String == "2.0.0")
        #expect(first?["device"] as? String == "/dev/pts/9 at 115200 baud")
        #expect((first?["user"] as? String)?.isEmpty == false && first?["time"] != nil)
    }
}

@Suite struct ImagePackageTests {
    @Test func packageInstallsOnItsLayoutAndIsRefusedOnAnother() throws {
        let dir = try TemporaryDirectory()
        let loader = DescriptorLoader(root: packageRoot)
        let image = try DeviceClientTests.signed("4.1.0", seed: 9)
        let path = dir.path("v4.bin")
        try Data(image).write(to: URL(fileURLWithPath: path))
        let package = try ImagePackage(files: [path], board: "nrf52840dk", layout: try loader.loadLayout("nrf52840dk"))
        try package.write(to: dir.path("release.json"))
        let loaded = try #require(try ImagePackage.load(path: dir.path("release.json")))
        #expect(loaded.layout == "nrf52840dk" && loaded.images.map(\.version) == ["4.1.0"] && loaded.images[0].slotSize == 0x76000)
        #expect(try ImagePackage.load(path: path) == nil, "an image file is not a package")

        let (session, _) = DeviceClientTests.session(try simulatedBoard())
        var report = UpdateReport(result: "failed")
        try session.update(try loaded.imageFile(0), confirm: .confirm, resetWait: 2, package: loaded, report: &report)
        #expect(report.result == "applied" && report.after?.version == "4.1.0")
        #expect(report.steps.contains { $0.contains("the device's slots match") })

        // Made for the nRF5340 DK's layout: another primary slot size, refused before any upload.
        let other = try ImagePackage(files: [path], board: "nrf5340dk", layout: try loader.loadLayout("nrf5340dk"))
        let (second, transport) = DeviceClientTests.session(try simulatedBoard())
        report = UpdateReport(result: "failed")
        let refusal = #expect(throws: DeviceFailure.self) {
            try second.update(try other.imageFile(0), confirm: .confirm, resetWait: 2, package: other, report: &report)
        }
        #expect(refusal?.kind == .imageInvalid && refusal?.message.contains("made for layout nrf5340dk") == true)
        #expect(report.upload == nil)
        #expect(transport.bytesToDevice < 1000, "nothing but the checks was sent")

        // An altered package (one byte of the image) is refused when it is read.
        var altered = loaded
        var bytes = Array(altered.images[0].data)
        bytes[0x300] ^= 1
        altered.images[0].data = Data(bytes)
        #expect(throws: DeviceFailure.self) { try altered.imageFile(0) }
    }
}
