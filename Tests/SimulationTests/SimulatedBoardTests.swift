import FlashKit
import Foundation
import Recovery
import SMP
import Simulation
import Testing

@Suite struct SimulatedBoardTests {
    static let board = BoardDescription(
        name: "testboard", summary: "Test board", soc: "nRF52840",
        flash: [FlashDeviceDescription(name: "internal", region: "flash_primary", size: 0x20000, eraseSize: 0x1000, writeSize: 4, erasedValue: 0xFF, controller: "ram")],
        console: ConsoleDescription(uart: "uarte0", baud: 115_200), recoveryButton: nil)

    static func layout(primary: (Int, Int) = (0x4000, 0x8000), secondary: (Int, Int)? = (0xC000, 0x8000), region: String = "flash_primary") -> PartitionLayout {
        var partitions = [Partition(name: "mcuboot", address: 0, size: 0x4000, region: region),
                          Partition(name: "mcuboot_primary", address: primary.0, size: primary.1, region: region)]
        if let secondary { partitions.append(Partition(name: "mcuboot_secondary", address: secondary.0, size: secondary.1, region: region)) }
        return PartitionLayout(name: "test", partitions: partitions)
    }

    static let configuration = RecoveryConfiguration(policy: .primaryOnly)

    @Test func slotsComeFromTheLayout() throws {
        let board = try SimulatedBoard(board: Self.board, layout: Self.layout(), configuration: Self.configuration)
        #expect(board.slots.imageCount == 1)
        #expect(board.slots.area(image: 0, slot: 0).map { [$0.offset, $0.size] } == [0x4000, 0x8000])
        #expect(board.slots.area(image: 0, slot: 1).map { [$0.offset, $0.size] } == [0xC000, 0x8000])
        #expect(board.slots.area(image: 1, slot: 0) == nil)
        let single = try SimulatedBoard(board: Self.board, layout: Self.layout(secondary: nil), configuration: Self.configuration)
        #expect(single.slots.area(image: 0, slot: 1) == nil)
    }

    @Test(arguments: [
        (Self.layout(primary: (0x4100, 0x8000)), "mcuboot_primary (0x4100+0x8000) is not aligned to the 4096-byte sectors of internal"),
        (Self.layout(secondary: (0x1C000, 0x8000)), "mcuboot_secondary (0x1c000+0x8000) does not fit in internal (131072 bytes)"),
        (Self.layout(region: "external_flash"), "region 'external_flash' is on no flash device of board testboard"),
        (PartitionLayout(name: "empty", partitions: []), "layout 'empty' has no mcuboot_primary partition"),
    ])
    func badLayoutsAreRefusedByName(layout: PartitionLayout, message: String) {
        #expect {
            try SimulatedBoard(board: Self.board, layout: layout, configuration: Self.configuration)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func stateFilesKeepFlashAcrossRestarts() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-board-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let board = try SimulatedBoard(board: Self.board, layout: Self.layout(), configuration: Self.configuration, stateDirectory: dir)
            let area = try #require(board.slots.area(image: 0, slot: 0))
            try area.erase(at: 0, count: 0x1000)
            try area.write(at: 0, bytes: [1, 2, 3, 4])
        }
        let file = try Data(contentsOf: URL(fileURLWithPath: dir + "/internal.bin"))
        #expect(file.count == 0x20000)
        #expect(Array(file[0x4000..<0x4004]) == [1, 2, 3, 4])
        let again = try SimulatedBoard(board: Self.board, layout: Self.layout(), configuration: Self.configuration, stateDirectory: dir)
        #expect(again.devices["internal"]?.bytes(in: 0x4000..<0x4008) == [1, 2, 3, 4, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    /// Frames one SMP request the way a client does.
    static func frame(group: UInt16, command: UInt8, operation: SMPOperation = .write, body: [UInt8] = [0xA0], sequence: UInt8 = 1) -> [UInt8] {
        var message = [UInt8](repeating: 0, count: 8)
        let header = SMPHeader(operation: operation, version: 1, length: UInt16(body.count), group: group, sequence: sequence, command: command)
        message.withUnsafeMutableBytes { header.encode(into: $0) }
        message += body
        var wire: [UInt8] = []
        message.withUnsafeBytes { ConsoleFrameEncoder.encode(message: $0) { wire.append(contentsOf: $0) } }
        return wire
    }

    final class CapturePort: SerialPort {
        var written: [UInt8] = []
        func read(timeoutMilliseconds: Int32) -> [UInt8]? { nil }
        func write(_ bytes: [UInt8]) { written += bytes }
    }

    @Test func droppedFramesAreExplainedOnTheConsoleAndCounted() throws {
        let board = try SimulatedBoard(board: Self.board, layout: Self.layout(), configuration: Self.configuration)
        let port = CapturePort()
        var log: [String] = []
        let console = SerialConsole(board: board, port: port) { log.append($0) }
        var corrupt = Self.frame(group: 0, command: 0, body: [0xA1, 0x61, 0x64, 0x61, 0x78])
        corrupt[4] ^= 0x01  // a base64 character of the payload: the CRC no longer matches
        console.process(corrupt)
        let text = String(decoding: port.written, as: UTF8.self)
        #expect(text == "lifeboat: dropped frame: bad CRC (1 dropped since start)\n")
        #expect(log == ["lifeboat: dropped frame: bad CRC (1 dropped since start)"])
        #expect(board.link.droppedFrames == 1)

        port.written = []
        console.diagnosticsOnConsole = false
        console.process([0x06, 0x09] + Array(repeating: UInt8(ascii: "Q"), count: 200) + [0x0A])
        #expect(port.written.isEmpty, "quiet console: the diagnostic goes to the log only")
        #expect(log.last == "lifeboat: dropped frame: line too long (2 dropped since start)")
    }

    /// `--realtime`'s hook sees each batch's received bytes, the flash work it caused on the
    /// virtual clock and the bytes answered; in the raw framing no text goes on the console,
    /// not even a drop's diagnostic.
    @Test func pacingSeesBytesAndFlashWork() throws {
        var timed = Self.board
        timed.flash = [FlashDeviceDescription(
            name: "internal", region: "flash_primary", size: 0x100000, eraseSize: 0x1000, writeSize: 4, erasedValue: 0xFF,
            controller: "nvmc", pageEraseMicroseconds: 85_000, wordWriteMicroseconds: 41)]
        let board = try SimulatedBoard(board: timed, layout: Self.layout(), configuration: Self.configuration)
        let port = CapturePort()
        let console = SerialConsole(board: board, port: port)
        var seen: [(Int, Double, Int)] = []
        console.pace = { seen.append(($0, $1, $2)); return 0 }
        let body: [UInt8] = [0xA4, 0x65] + Array("image".utf8) + [0x00, 0x63] + Array("len".utf8) + [0x10, 0x63] + Array("off".utf8)
            + [0x00, 0x64] + Array("data".utf8) + [0x48, 0, 1, 2, 3, 4, 5, 6, 7]
        let request = Self.frame(group: 1, command: 1, body: body)
        console.process(request)
        #expect(seen.count == 1)
        #expect(seen.first?.0 == request.count && seen.first?.2 == port.written.count)
        // The first chunk erases the first sector (the trailer's is erased already), then writes
        // 2 words: 85 ms + 2 × 41 µs on the nRF52840's NVMC.
        #expect(abs((seen.first?.1 ?? 0) - (0.085 + 2 * 0.000041)) < 1e-6, "\(seen)")

        board.framing = .raw
        port.written = []
        console.process([0x0F, 1, 2, 3])
        #expect(board.link.droppedFrames == 1)
        #expect(port.written.isEmpty, "a raw client would read text as a message")
    }

    @Test func resetKeepsFlashAndForgetsTheUpload() throws {
        let board = try SimulatedBoard(board: Self.board, layout: Self.layout(), configuration: Self.configuration)
        let port = CapturePort()
        let console = SerialConsole(board: board, port: port)
        // Start an upload of 16 bytes with 8 bytes of data: {"image":0,"len":16,"off":0,"data":h'0001…07'}
        let body: [UInt8] = [0xA4, 0x65] + Array("image".utf8) + [0x00, 0x63] + Array("len".utf8) + [0x10, 0x63] + Array("off".utf8)
            + [0x00, 0x64] + Array("data".utf8) + [0x48, 0, 1, 2, 3, 4, 5, 6, 7]
        console.process(Self.frame(group: 1, command: 1, body: body))
        #expect(board.link.server.upload.expectedOffset == 8)
        let flashBefore = board.devices["internal"]!.snapshot()
        console.process(Self.frame(group: 0, command: 5, sequence: 2))
        #expect(board.resetCount == 1)
        #expect(board.link.server.upload.target == nil)
        #expect(board.devices["internal"]!.snapshot() == flashBefore)
        #expect(board.devices["internal"]!.bytes(in: 0x4000..<0x4008) == [0, 1, 2, 3, 4, 5, 6, 7])
    }
}
