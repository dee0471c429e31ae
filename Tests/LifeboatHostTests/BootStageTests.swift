import Foundation
import LifeboatHost
import MCUbootImage
import Recovery
import Simulation
import Testing

/// The boot stage on the simulated nRF52840 DK, driven the way a user drives it: recovery uploads,
/// then `os reset`; the board's serial console runs the Bootloader at the reset.
@Suite struct BootStageTests {
    static func signed(_ version: ImageVersion, padConfirm: Bool) throws -> [UInt8] {
        var options = SigningOptions(version: version, slotSize: 0x76000)
        options.padHeader = true
        options.align = 4
        options.confirm = padConfirm
        return try ImageSigner(options: options).sign(applicationBytes(count: 20_000, seed: 5))
    }

    /// imgtool `--pad --confirm` uploaded to the secondary is taken as a permanent upgrade at the
    /// next reset, as MCUboot takes it.
    @Test func paddedConfirmedUploadIsInstalledAtReset() throws {
        let board = try simulatedBoard(policy: .slotMapping)
        var log: [String] = []
        let transport = LoopbackTransport(board: board, baud: nil)
        transport.console.log = { log.append($0) }
        let client = SMPClient(transport: transport)
        let v1 = ImageVersion(major: 1, minor: 0, revision: 0), v2 = ImageVersion(major: 2, minor: 0, revision: 0)
        try client.upload(try Self.signed(v1, padConfirm: false), image: 1)
        let update = try Self.signed(v2, padConfirm: true)
        #expect(update.count == 0x76000)
        try client.upload(update, image: 2)
        let primary = board.slots.area(image: 0, slot: 0)!, secondary = board.slots.area(image: 0, slot: 1)!
        let request = ImageTrailer.swapType(
            primary: try ImageTrailer(reading: primary, layout: TrailerLayout(slot: primary, overwriteOnly: true)),
            secondary: try ImageTrailer(reading: secondary, layout: TrailerLayout(slot: secondary, overwriteOnly: true)))
        #expect(request == .permanent, "the request is in the secondary's trailer")
        try client.reset()
        #expect(log.contains("boot: image 0: swap type permanent"))
        #expect(log.contains("boot: image 0: permanent swap complete"))
        // Swap using move (the default): v2 in the primary, v1 kept in the secondary.
        let states = try client.imageStates()
        #expect(states.map(\.slot) == [0, 1])
        #expect(states.map(\.version) == ["2.0.0", "1.0.0"])
        let occupied = try ImageInspector().inspect(primary).occupiedSize
        #expect(board.devices["internal"]!.bytes(in: 0xC000..<(0xC000 + occupied)) == Array(update[0..<occupied]))
        // The next reset has nothing to do.
        #expect(board.boot() == (.boot(version: v2), [.swapType(image: 0, .none), .booting(version: v2)]))
    }

    /// The boot stage trusts what recovery trusts: with a key configured, an unsigned image in the
    /// primary is not booted.
    @Test func bootStageUsesTheBoardsImagePolicy() throws {
        let loader = DescriptorLoader(root: packageRoot)
        let key = TrustedKey(kind: .ed25519, bytes: [UInt8](repeating: 0x42, count: 44))
        let board = try SimulatedBoard(
            board: try loader.loadBoard("nrf52840dk"), layout: try loader.loadLayout("nrf52840dk"),
            configuration: RecoveryConfiguration(policy: .primaryOnly, imagePolicy: ImagePolicy(trustedKeys: [key])))
        try board.devices["internal"]!.load(try Self.signed(ImageVersion(major: 1, minor: 0, revision: 0), padConfirm: false), at: 0xC000)
        #expect(board.boot().0 == .recovery(.noBootableImage(.signatureMissing)))
    }

    /// Multi-image (the nRF5340 network-core layout): image 1's test request is carried out by
    /// the same boot, with image 1's own trailers (swap_info names image 1), and image 0 boots.
    @Test func networkCoreImageIsSwappedToo() throws {
        let board = try simulatedBoard("nrf5340dk", layout: "nrf5340dk_netcore")
        let v1 = ImageVersion(major: 1, minor: 0, revision: 0), v2 = ImageVersion(major: 2, minor: 0, revision: 0)
        func image(_ version: ImageVersion, seed: UInt32, slotSize: Int) throws -> [UInt8] {
            var options = SigningOptions(version: version, slotSize: slotSize)
            options.padHeader = true
            options.align = 4
            return try ImageSigner(options: options).sign(applicationBytes(count: 20_000, seed: seed))
        }
        try board.devices["internal"]!.load(try image(v1, seed: 1, slotSize: 0xE8000), at: 0x10000)
        let net1 = try image(v1, seed: 2, slotSize: 0x40000), net2 = try image(v2, seed: 3, slotSize: 0x40000)
        try board.devices["ram-flash"]!.load(net1, at: 0)
        try board.devices["external"]!.load(net2, at: 0xE8000)
        let secondary = try #require(board.slots.area(image: 1, slot: 1))
        try board.bootConfiguration.trailerLayouts(primary: board.slots.area(image: 1, slot: 0)!, secondary: secondary).secondary!
            .setNext(secondary, image: 1, active: false, confirm: false)
        let (outcome, events) = board.boot()
        #expect(outcome == .boot(version: v1))
        #expect(events.contains(.swapType(image: 1, .test)))
        #expect(events.contains(.swapCompleted(image: 1, .test)))
        #expect(board.devices["ram-flash"]!.bytes(in: 0..<net2.count) == net2)
        #expect(board.devices["external"]!.bytes(in: 0xE8000..<(0xE8000 + net1.count)) == net1)
        let trailer = try ImageTrailer(reading: board.slots.area(image: 1, slot: 0)!, layout: TrailerLayout(slot: board.slots.area(image: 1, slot: 0)!))
        #expect(trailer.swapImage == 1 && trailer.swapType == .test && trailer.copyDone == .set)
    }
}
