import DFUTarget
import Foundation
import LifeboatHost
import Recovery
import SMP
import Simulation
import Testing

/// Regressions for what an attacking client found against `lifeboat sim` on the nRF52840 DK
/// (issue 7), on the real board descriptors and the drivers backend `lifeboat sim` runs.
@Suite struct HostileFindingsTests {
    static func board(policy: UploadPolicy) throws -> SimulatedBoard {
        try simulatedBoard(policy: policy)
    }

    /// Finding 1: under primary-only, the 23-byte frame of an SMP v2 image erase with body `{}`
    /// (default slot 1) erased the whole secondary slot, 0x82000..0xF8000. It is now refused with
    /// EACCESSDENIED and internal flash is unchanged byte for byte.
    @Test func eraseFrameFromTheReportIsRefusedUnderPrimaryOnly() throws {
        let frameBytes: [UInt8] = [
            0x06, 0x09, 0x41, 0x41, 0x73, 0x4b, 0x41, 0x41, 0x41, 0x42, 0x41, 0x41, 0x45, 0x4c, 0x42, 0x61,
            0x42, 0x6d, 0x59, 0x67, 0x3d, 0x3d, 0x0a,
        ]
        #expect(frameBytes.count == 23)
        let board = try Self.board(policy: .primaryOnly)
        let flash = try #require(board.devices["internal"])
        let secondary = try #require(board.layout.slot(image: 0, slot: 1))
        #expect(secondary.address == 0x82000 && secondary.address + secondary.size == 0xF8000)
        // A recognisable secondary slot (an image a previous session left there) and primary.
        try flash.load([UInt8](repeating: 0x5A, count: secondary.size), at: secondary.address)
        try flash.load([UInt8](repeating: 0xA5, count: 0x1000), at: 0xC000)
        let before = flash.bytes(in: 0..<flash.size)
        var output: [UInt8] = []
        var events: [LinkEvent] = []
        let action = board.receive(frameBytes, transmit: { output += Array($0) }, observe: { events.append($0) })
        #expect(action == .none)
        var decoder = ConsoleFrameDecoder()
        var reply: [UInt8]?
        for byte in output {
            if case .packet = decoder.feed(byte) { reply = decoder.withPacket { Array($0) } }
        }
        let message = try #require(reply, "the erase gets an answer")
        // SMP v2 write response, group 1, command 5, body {"rc": 11} (EACCESSDENIED).
        #expect(message[0] & 0x07 == 3 && message[4...5] == [0, 1] && message[7] == 5)
        #expect(Array(message[8...]) == [0xBF, 0x62, 0x72, 0x63, 0x0B, 0xFF])  // zcbor's indefinite {"rc": 11}
        #expect(events.contains(.recovery(.eraseRefused(SlotAddress(image: 0, slot: 1), .deniedByPolicy(.primaryOnly)))))
        #expect(flash.bytes(in: 0..<flash.size) == before, "no byte of internal flash changed")
        #expect(flash.eraseCount == 0)
    }

    /// The same frame under slot mapping erases exactly the secondary slot.
    @Test func eraseFrameFromTheReportErasesTheSecondaryUnderSlotMapping() throws {
        let frameBytes = Array("AAsKAAABAAELBaBmYg==".utf8)
        let board = try Self.board(policy: .slotMapping)
        let flash = try #require(board.devices["internal"])
        try flash.load([UInt8](repeating: 0x5A, count: flash.size), at: 0)
        var output: [UInt8] = []
        _ = board.receive([0x06, 0x09] + frameBytes + [0x0A], transmit: { output += Array($0) })
        #expect(!output.isEmpty)
        #expect(flash.bytes(in: 0x82000..<0xF8000).allSatisfy { $0 == 0xFF })
        #expect(flash.bytes(in: 0..<0x82000).allSatisfy { $0 == 0x5A })
        #expect(flash.bytes(in: 0xF8000..<flash.size).allSatisfy { $0 == 0x5A })
    }

    /// Finding 3: the simulator grew by ~2.8 MB per full-slot upload (the NOR models' operation
    /// trace, on by default). A simulated board keeps no per-operation record: after uploads the
    /// flash was written (counters moved) but no trace holds an entry, on the models or the bus.
    @Test func simulatedBoardKeepsNoPerOperationRecord() throws {
        let board = try Self.board(policy: .primaryOnly)
        let client = SMPClient(transport: LoopbackTransport(board: board, baud: nil))
        _ = try client.readParameters()
        let image = ClientTests.image
        for _ in 0..<2 { try client.upload(image) }
        let flash = try #require(board.devices["internal"])
        #expect(flash.writeCount > 2 * image.count / 2044)
        for (name, device) in board.devices {
            #expect(device.trace.isEmpty, "device \(name) traced \(device.trace.count) operations")
        }
        #expect(board.bus.trace.isEmpty)
        #expect(board.nvmcModels.values.allSatisfy { $0.driverFaults.isEmpty })
    }

    /// The soak benchmark runs its uploads and samples RSS after each (the figure itself is the
    /// benchmark's, not a test's: RSS is process-wide and other tests run beside this one).
    @Test func soakBenchmarkVerifiesEveryUpload() throws {
        let loader = DescriptorLoader(root: packageRoot)
        var soak = SoakBenchmark(board: try loader.loadBoard("nrf52840dk"), layout: try loader.loadLayout("nrf52840dk"), uploads: 3)
        soak.imageSize = 100_000
        let result = try soak.run()
        #expect(result.uploads == 3 && result.allVerified && result.imageBytes == 100_000)
        #expect(result.samples.map(\.upload) == [1, 2, 3])
        #expect(result.rssStart > 0 && result.samples.allSatisfy { $0.rssBytes > 0 })
    }
}
