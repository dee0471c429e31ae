import Foundation
import LifeboatHost
import MCUbootImage
import Simulation
import Testing

/// A fake of the libftdi calls, wired to a simulated board: bytes go to its console, the lines to
/// its reset pin (RTS) and recovery button (DTR) as a board wired for `lifeboat device recover`.
/// Every call is recorded, so the sequences are asserted exactly.
final class FakeFTDI: FTDIDriver {
    var events: [String] = []
    var adapterList: [FTDIAdapter] = []
    let board: LoopbackTransport?
    let pins: SimulatedPins?

    init(board: SimulatedBoard? = nil, reset: PinAssignment = PinAssignment(line: .rts), boot: PinAssignment = PinAssignment(line: .dtr)) {
        if let board {
            let transport = LoopbackTransport(board: board, baud: nil)
            transport.console.runBootStage()
            self.board = transport
            pins = SimulatedPins(transport: transport, reset: reset, boot: boot)
        } else {
            self.board = nil
            pins = nil
        }
    }

    func adapters(vendor: UInt16?, product: UInt16?) throws(TransportError) -> [FTDIAdapter] {
        events.append("find_all")
        return adapterList
    }
    func open(_ selector: FTDISelector) throws(TransportError) { events.append("open \(selector.openString)") }
    func configureUART(baud: Int) throws(TransportError) { events.append("uart \(baud) 8N1 noflow") }
    /// CBUS pins as the adapter would drive them: an output bit (high nibble) with level 0 is a
    /// pin pulled low, i.e. the line asserted.
    private var cbusLow: UInt8 = 0
    func setBitmode(mask: UInt8, mode: UInt8) throws(TransportError) {
        events.append(String(format: "bitmode 0x%02x 0x%02x", mask, mode))
        guard mode == CBUSBitBang.mode else { return }
        let low = (mask >> 4) & ~mask & 0x0F
        for pin in 0..<4 where (low ^ cbusLow) & (1 << pin) != 0 {
            try pins?.setLine(ControlLine.allCases.first { $0.cbusPin == pin }!, asserted: low & (1 << pin) != 0)
        }
        cbusLow = low
    }
    func setLine(_ line: ControlLine, asserted: Bool) throws(TransportError) {
        events.append("\(line.rawValue)=\(asserted ? 1 : 0)")
        try pins?.setLine(line, asserted: asserted)
    }
    func write(_ bytes: [UInt8]) throws(TransportError) {
        events.append("write")
        try? board?.write(bytes)
    }
    func read(max: Int) throws(TransportError) -> [UInt8] { (try? board?.read(timeout: 0)) ?? [] }
    func close() { events.append("close") }
}

@Suite struct FTDITests {
    @Test func selectorsBecomeLibftdiOpenStrings() throws {
        #expect(try FTDISelector(parsing: "0403:6015").openString == "i:0x0403:0x6015")
        #expect(try FTDISelector(parsing: "0403:6014:FT4XYZ").openString == "s:0x0403:0x6014:FT4XYZ")
        #expect(try FTDISelector(parsing: "d:001/004").openString == "d:001/004")
        #expect(throws: TransportError.self) { try FTDISelector(parsing: "6015") }
        #expect(throws: TransportError.self) { try FTDISelector(parsing: "d:1") }
        #expect(FTDIAdapter(vendor: 0x403, product: 0x6015, manufacturer: "FTDI", description: "FT230X", serial: "DK1").selector == "0403:6015:DK1")
    }

    @Test func pinAssignmentsAndPolarity() throws {
        #expect(try PinAssignment(parsing: "rts") == PinAssignment(line: .rts, assertToActivate: true))
        #expect(try PinAssignment(parsing: "!DTR") == PinAssignment(line: .dtr, assertToActivate: false))
        #expect(throws: TransportError.self) { try PinAssignment(parsing: "cts") }
        #expect(try PinAssignment(parsing: "!cbus3") == PinAssignment(line: .cbus3, assertToActivate: false))
        #expect(throws: TransportError.self) { try PinAssignment(parsing: "cbus4") }
    }

    /// CBUS bit-bang: an active pin is an output at 0, a released one an input; the other pins
    /// keep their state. Masks are `ftdi_set_bitmode`'s (direction high nibble, levels low).
    @Test func cbusMasksDriveOnlyTheActivePinsLow() {
        var cbus = CBUSBitBang()
        #expect(cbus.set(pin: 1, asserted: true) == 0x20)
        #expect(cbus.set(pin: 0, asserted: true) == 0x30)
        #expect(cbus.set(pin: 1, asserted: false) == 0x10)
        #expect(cbus.set(pin: 0, asserted: false) == 0x00)
        #expect(cbus.drivenLow == 0)
    }

    /// `recover` with the reset pin on CBUS0 and the button on CBUS1 of an FT230X: the exact
    /// `ftdi_set_bitmode` calls (BITMODE_CBUS 0x20), the UART untouched in between, and the
    /// board ends up running the new image.
    @Test func recoverThroughCBUSPins() throws {
        let dir = try TemporaryDirectory()
        let board = try simulatedBoard()
        let v1 = try Self.file(dir, "1.0.0", seed: 1), v2 = try Self.file(dir, "2.0.0", seed: 2)
        try board.devices["internal"]!.load(v1.bytes, at: 0xC000)
        let reset = try PinAssignment(parsing: "cbus0"), boot = try PinAssignment(parsing: "cbus1")
        let fake = FakeFTDI(board: board, reset: reset, boot: boot)
        let transport = try FTDITransport(driver: fake, selector: try FTDISelector(parsing: "0403:6015"), baud: 115_200)
        let session = DeviceSession(client: SMPClient(transport: transport, timeout: 0.5))
        var pins = PinSequencer(driver: transport, reset: reset, boot: boot)
        pins.sleep = { _ in }
        var report = UpdateReport(result: "failed")
        try session.recover(v2, pins: pins, wait: 2, report: &report)
        #expect(report.result == "recovered" && report.after?.version == "2.0.0")
        let modes = fake.events.filter { $0.hasPrefix("bitmode") || $0.hasPrefix("uart") || $0.contains("=") }
        #expect(modes == [
            "uart 115200 8N1 noflow",
            "bitmode 0x20 0x20", "bitmode 0x30 0x20", "bitmode 0x20 0x20", "bitmode 0x00 0x20",  // hold SW1, pulse reset, release SW1
            "bitmode 0x10 0x20", "bitmode 0x00 0x20",  // the reset that boots v2
        ])
        #expect(board.resetCount == 2 && board.recoveryButtonHeld == false)
        #expect(transport.cbus.drivenLow == 0)
    }

    /// A tty has no CBUS pins: naming one with --port is refused with the reason, before any line moves.
    @Test func cbusOnASerialPortIsRefused() throws {
        let pty = try PseudoTerminal()
        let tty = try SerialDeviceTransport(path: pty.path, baud: 115_200)
        let error = #expect(throws: TransportError.self) { try tty.setLine(.cbus2, asserted: true) }
        #expect(error?.description.contains("--ftdi") == true)
    }

    /// The sequence `recover` drives: boot held, reset pulsed, boot held while the boot stage
    /// samples it, then released; with an inverted reset line the levels are the other way round.
    @Test func enterRecoverySequenceIsExact() throws {
        let fake = FakeFTDI()
        var pins = PinSequencer(driver: fake, reset: PinAssignment(line: .rts), boot: PinAssignment(line: .dtr))
        var slept: [Double] = []
        pins.sleep = { slept.append($0) }
        try pins.enterRecovery()
        #expect(fake.events == ["dtr=1", "rts=1", "rts=0", "dtr=0"])
        #expect(slept == [0.1, 0.5])
        fake.events = []
        var inverted = PinSequencer(driver: fake, reset: PinAssignment(line: .rts, assertToActivate: false), boot: PinAssignment(line: .dtr))
        inverted.sleep = { _ in }
        try inverted.pulseReset()
        #expect(fake.events == ["rts=0", "rts=1"])
        let noBoot = PinSequencer(driver: fake, reset: PinAssignment(line: .rts))
        #expect(throws: TransportError.self) { try noBoot.enterRecovery() }
    }

    static func file(_ dir: TemporaryDirectory, _ version: String, seed: UInt32) throws -> ImageFile {
        let path = dir.path("\(version).bin")
        try Data(try DeviceClientTests.signed(version, seed: seed)).write(to: URL(fileURLWithPath: path))
        return try ImageFile(path: path)
    }

    /// `recover` through the fake adapter against a board that runs v1: the boot pin brings it
    /// into recovery (without it the application would answer), v2 goes into the primary slot,
    /// the reset boots it. The UART set-up and line toggles are pinned down in order.
    @Test func recoverThroughTheAdapterReplacesTheRunningImage() throws {
        let dir = try TemporaryDirectory()
        let board = try simulatedBoard()
        let v1 = try Self.file(dir, "1.0.0", seed: 1), v2 = try Self.file(dir, "2.0.0", seed: 2)
        try board.devices["internal"]!.load(v1.bytes, at: 0xC000)
        let fake = FakeFTDI(board: board)
        #expect(fake.board?.console.stage == .application, "v1 boots without the boot pin")
        let transport = try FTDITransport(driver: fake, selector: try FTDISelector(parsing: "0403:6015:DK1"), baud: 115_200)
        #expect(transport.endpoint == "FTDI 0403:6015:DK1 at 115200 baud")
        let session = DeviceSession(client: SMPClient(transport: transport, timeout: 0.5))
        var pins = PinSequencer(driver: fake, reset: PinAssignment(line: .rts), boot: PinAssignment(line: .dtr))
        pins.sleep = { _ in }
        var report = UpdateReport(result: "failed")
        try session.recover(v2, pins: pins, wait: 2, report: &report)
        #expect(report.result == "recovered")
        #expect(report.modeBefore == .recovery && report.before?.version == "1.0.0" && report.after?.version == "2.0.0")
        let lines = fake.events.filter { $0.contains("=") || $0.hasPrefix("open") || $0.hasPrefix("uart") }
        #expect(lines == ["open s:0x0403:0x6015:DK1", "uart 115200 8N1 noflow", "dtr=1", "rts=1", "rts=0", "dtr=0", "rts=1", "rts=0"])
        #expect(board.resetCount == 2)
        #expect(board.recoveryButtonHeld == false)
    }

    @Test func recoverWithTheBootLineWiredWrongSaysSo() throws {
        let dir = try TemporaryDirectory()
        let board = try simulatedBoard()
        let v1 = try Self.file(dir, "1.0.0", seed: 1), v2 = try Self.file(dir, "2.0.0", seed: 2)
        try board.devices["internal"]!.load(v1.bytes, at: 0xC000)
        // The board's button hangs on RTS, but we drive DTR: the application keeps running.
        let fake = FakeFTDI(board: board, reset: PinAssignment(line: .dtr), boot: PinAssignment(line: .rts))
        let transport = try FTDITransport(driver: fake, selector: try FTDISelector(parsing: "0403:6015"), baud: 115_200)
        let session = DeviceSession(client: SMPClient(transport: transport, timeout: 0.5))
        var pins = PinSequencer(driver: fake, reset: PinAssignment(line: .dtr), boot: PinAssignment(line: .dtr))
        pins.sleep = { _ in }
        var report = UpdateReport(result: "failed")
        let failure = #expect(throws: DeviceFailure.self) { try session.recover(v2, pins: pins, wait: 2, report: &report) }
        #expect(failure?.kind == .verification)
        #expect(failure?.message.contains("not serial recovery") == true)
        #expect(report.boardState?.contains("unchanged") == true)
    }

    /// The real library, called: without an adapter on this machine it reports that plainly,
    /// with the transport exit code (and if libftdi1 is not installed, it says which package).
    @Test(.enabled(if: lifeboatBinary != nil))
    func ftdiListRunsTheRealLibrary() throws {
        let r = try run(lifeboatBinary!, ["device", "--ftdi", "list", "--json"])
        let line = try #require(r.output.split(separator: "\n").first { $0.hasPrefix("{") })
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        if r.status == 0 {
            #expect((fields["adapters"] as? [Any])?.isEmpty == false)
        } else {
            #expect(r.status == DeviceFailure.Kind.transport.exitCode)
            let message = (fields["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains("no FTDI adapter found") || message.contains("apt-get install libftdi1-2"), "\(message)")
        }
    }
}
