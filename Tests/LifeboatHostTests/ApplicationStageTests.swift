import Bootloader
import DFUTarget
import Foundation
import LifeboatHost
import MCUbootImage
import Recovery
import Simulation
import Testing

/// The MCUmgr guide's flow on the simulated nRF52840 DK, in process, through the board's serial
/// console: recovery puts v1 in the primary, the board boots it, and the application stage (the
/// smp_svr stand-in) takes the upload → test → reset → swap → confirm or revert walk.
@Suite struct ApplicationStageTests {
    static let v1 = ImageVersion(major: 1, minor: 0, revision: 0)
    static let v2 = ImageVersion(major: 2, minor: 0, revision: 0)

    static func signed(_ version: ImageVersion, seed: UInt32, size: Int = 30_000, slotSize: Int = 0x76000) throws -> [UInt8] {
        var options = SigningOptions(version: version, slotSize: slotSize)
        options.padHeader = true
        options.align = 4
        return try ImageSigner(options: options).sign(applicationBytes(count: size, seed: seed))
    }

    /// A board with the console's log collected, v1 put in the primary through recovery and
    /// booted into the application.
    final class Rig {
        let board: SimulatedBoard
        let transport: LoopbackTransport
        let client: SMPClient
        var log: [String] = []
        var console: SerialConsole { transport.console }

        init(policy: UploadPolicy = .primaryOnly, layout: String? = nil, board name: String = "nrf52840dk", slotSize: Int = 0x76000) throws {
            board = try simulatedBoard(name, layout: layout, policy: policy)
            transport = LoopbackTransport(board: board, baud: nil)
            client = SMPClient(transport: transport)
            transport.console.log = { [unowned self] in self.log.append($0) }
            transport.console.runBootStage()
        }

        /// The states as (slot, version, flags).
        func states() throws -> [String] {
            try client.imageStates().map { "\($0.slot) \($0.version) \($0.flags.joined(separator: ","))" }
        }

        func hash(of version: String) throws -> [UInt8] {
            try #require(try client.imageStates().first { $0.version == version }?.hash)
        }

        var lastBanner: String? { log.last { $0.hasPrefix("app: ") } }
    }

    @Test func guideFlowTestRevertTestConfirm() throws {
        let rig = try Rig()
        #expect(rig.console.stage == .recovery, "empty flash: no bootable image")
        try rig.client.upload(try Self.signed(Self.v1, seed: 1))
        try rig.client.reset()
        #expect(rig.console.stage == .application)
        #expect(rig.lastBanner == "app: image 0 version 1.0.0 running, confirmed yes")
        // Zephyr's state read: every flag present; v1 active and confirmed.
        #expect(try rig.states() == ["0 1.0.0 bootable,confirmed,active"])

        // Upload v2 from the application: image 0 goes to the free slot, the secondary.
        try rig.client.upload(try Self.signed(Self.v2, seed: 2))
        #expect(try rig.states() == ["0 1.0.0 bootable,confirmed,active", "1 2.0.0 bootable"])
        let v2hash = try rig.hash(of: "2.0.0")
        let marked = try rig.client.stateWrite(hash: v2hash)
        #expect(marked.map { "\($0.slot) \($0.version) \($0.flags.joined(separator: ","))" }
            == ["0 1.0.0 bootable,confirmed,active", "1 2.0.0 bootable,pending"])

        // Reset: the board swaps and boots v2, not confirmed.
        try rig.client.reset()
        #expect(rig.log.contains("boot: image 0: test swap complete (reverts at the next reset unless confirmed)"))
        #expect(rig.lastBanner == "app: image 0 version 2.0.0 running, confirmed no")
        #expect(try rig.states() == ["0 2.0.0 bootable,active", "1 1.0.0 bootable,confirmed"])
        // The revert target may be neither overwritten nor erased (img_mgmt NO_FREE_SLOT, 9).
        #expect(throws: SMPClientError.group(command: "image erase", group: 1, rc: 9)) { try rig.client.erase(slot: 1) }
        #expect(throws: SMPClientError.group(command: "image upload", group: 1, rc: 9)) {
            try rig.client.upload(try Self.signed(Self.v2, seed: 3))
        }
        // Testing the running image again is refused (IMAGE_SETTING_TEST_TO_ACTIVE_DENIED, 33).
        #expect(throws: SMPClientError.group(command: "image state write", group: 1, rc: 33)) { try rig.client.stateWrite(hash: v2hash) }

        // Reset again without confirming: reverted to v1.
        try rig.client.reset()
        #expect(rig.log.contains("boot: image 0: revert swap complete"))
        #expect(rig.lastBanner == "app: image 0 version 1.0.0 running, confirmed yes")
        #expect(try rig.states() == ["0 1.0.0 bootable,confirmed,active", "1 2.0.0 bootable"])

        // Test v2 again, reset, confirm, reset: v2 stays.
        try rig.client.stateWrite(hash: v2hash)
        try rig.client.reset()
        #expect(rig.lastBanner == "app: image 0 version 2.0.0 running, confirmed no")
        let confirmed = try rig.client.stateWrite(hash: nil, confirm: true)
        #expect(confirmed.first.map { $0.flags } == ["bootable", "confirmed", "active"])
        try rig.client.reset()
        #expect(rig.lastBanner == "app: image 0 version 2.0.0 running, confirmed yes")
        try rig.client.reset()
        #expect(rig.lastBanner == "app: image 0 version 2.0.0 running, confirmed yes")
        #expect(try rig.states() == ["0 2.0.0 bootable,confirmed,active", "1 1.0.0 bootable"])
    }

    /// `smpmgr upgrade --slot 2 FILE --confirm` from the application: direct upload to slot 1,
    /// a permanent request, reset, swapped in for good.
    @Test func permanentUpgradeByDirectUpload() throws {
        let rig = try Rig()
        try rig.client.upload(try Self.signed(Self.v1, seed: 1))
        try rig.client.reset()
        let v3 = ImageVersion(major: 3, minor: 0, revision: 0)
        try rig.client.upload(try Self.signed(v3, seed: 4), image: 2)
        let states = try rig.client.stateWrite(hash: try rig.hash(of: "3.0.0"), confirm: true)
        #expect(states.last?.flags == ["bootable", "pending", "permanent"])
        try rig.client.reset()
        #expect(rig.log.contains("boot: image 0: permanent swap complete"))
        #expect(rig.lastBanner == "app: image 0 version 3.0.0 running, confirmed yes")
        try rig.client.reset()
        #expect(rig.lastBanner == "app: image 0 version 3.0.0 running, confirmed yes")
    }

    /// `os reset` with `boot_mode` 1 from the application: the next boot stays in serial
    /// recovery (retained boot mode, read and cleared), and the reset after boots again.
    @Test func bootModeOneEntersRecoveryOnce() throws {
        let rig = try Rig()
        try rig.client.upload(try Self.signed(Self.v1, seed: 1))
        try rig.client.reset()
        #expect(rig.console.stage == .application)
        try rig.client.reset(bootMode: 1)
        #expect(rig.console.stage == .recovery)
        #expect(rig.log.contains("boot: serial recovery (the application asked for the bootloader)"))
        // Recovery answers: MCUboot's image list has no "pending" etc. beyond what is true.
        #expect(try rig.states() == ["0 1.0.0 bootable,confirmed,active"])
        try rig.client.reset()
        #expect(rig.console.stage == .application)
    }

    /// The recovery button held at reset wins over everything, pending swaps included.
    @Test func buttonHeldStaysInRecovery() throws {
        let rig = try Rig()
        try rig.client.upload(try Self.signed(Self.v1, seed: 1))
        rig.board.recoveryButtonHeld = true
        try rig.client.reset()
        #expect(rig.console.stage == .recovery)
        #expect(rig.log.last == "boot: serial recovery (recovery button held)")
        rig.board.recoveryButtonHeld = false
        try rig.client.reset()
        #expect(rig.console.stage == .application)
    }

    /// Wait for DFU: a valid frame inside the window latches recovery; without one the
    /// application starts when the window ends.
    @Test func waitForDFUWindow() throws {
        let rig = try Rig()
        try rig.client.upload(try Self.signed(Self.v1, seed: 1))
        rig.console.waitForDFUMilliseconds = 60_000
        try rig.client.reset()
        guard case .waitingForDFU = rig.console.stage else {
            Issue.record("expected the wait-for-DFU window, got \(rig.console.stage)")
            return
        }
        _ = try rig.client.echo("hello")
        #expect(rig.console.stage == .recovery)
        rig.console.waitForDFUMilliseconds = 1
        try rig.client.reset()
        rig.console.checkDFUWindow(now: SerialConsole.monotonicSeconds() + 1)
        #expect(rig.console.stage == .application)
        #expect(rig.lastBanner == "app: image 0 version 1.0.0 running, confirmed yes")
    }

    /// The enumeration group tells clients what the application supports.
    @Test func enumerationGroup() throws {
        let rig = try Rig()
        try rig.client.upload(try Self.signed(Self.v1, seed: 1))
        try rig.client.reset()
        let count = try rig.client.request("enum count", operation: .read, group: 10, command: 0)
        #expect(count.body["count"]?.intValue == 3)
        let list = try rig.client.request("enum list", operation: .read, group: 10, command: 1)
        #expect(list.body["groups"]?.arrayValue?.compactMap(\.intValue) == [0, 1, 10])
        let last = try rig.client.request("enum single", operation: .read, group: 10, command: 2, body: .map([("index", .unsigned(2))]))
        #expect(last.body["group"]?.intValue == 10 && last.body["end"]?.boolValue == true)
        let details = try rig.client.request("enum details", operation: .read, group: 10, command: 3)
        #expect(details.body["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["os", "img", "enum"])
        // An unknown command is ENOTSUP, as smp_svr answers it.
        let unknown = try rig.client.request("x", operation: .read, group: 1, command: 9)
        #expect(unknown.body["rc"]?.intValue == 8)
    }

    /// The devzone thread's case on the nRF5340 DK: slot-mapping recovery uploads image 2 to the
    /// external MX25R64, marks it for test and resets; the board swaps it into the internal
    /// primary and boots it.
    @Test func nrf5340ExternalSecondaryThroughRecovery() throws {
        let rig = try Rig(policy: .slotMapping, layout: "nrf5340dk_external", board: "nrf5340dk")
        let image = try Self.signed(Self.v2, seed: 5, slotSize: 0xE8000)
        try rig.client.upload(image, image: 2)
        #expect(rig.board.devices["external"]!.bytes(in: 0..<image.count) == image)
        let states = try rig.client.stateWrite(hash: try rig.hash(of: "2.0.0"))
        #expect(states.map { "\($0.slot) \($0.flags.joined(separator: ","))" } == ["1 bootable,pending"])
        try rig.client.reset()
        #expect(rig.log.contains("boot: image 0: test swap complete (reverts at the next reset unless confirmed)"))
        #expect(rig.lastBanner == "app: image 0 version 2.0.0 running, confirmed no")
        #expect(rig.board.devices["internal"]!.bytes(in: 0x10000..<(0x10000 + image.count)) == image)
    }
}
