import Foundation
import LifeboatHost
import MCUbootImage
import Recovery
import Simulation
import Testing

/// A loopback link that can lose responses: what a flaky cable or a client crash looks like.
final class LossyTransport: SMPTransport {
    let inner: LoopbackTransport
    /// Indices (1-based) of writes whose responses are lost.
    var lose: Set<Int> = []
    /// From this write on, every response is lost (the link is gone).
    var cutAfter: Int?
    /// Indices (1-based) of writes that never reach the device.
    var dropRequests: Set<Int> = []
    private(set) var writes = 0
    /// Reads that returned bytes, and the most requests written but not yet read back.
    private(set) var answeredReads = 0
    private(set) var mostInFlight = 0

    init(_ inner: LoopbackTransport) { self.inner = inner }

    func write(_ bytes: [UInt8]) throws {
        writes += 1
        guard !dropRequests.contains(writes) else { return }
        try inner.write(bytes)
        if lose.contains(writes) || cutAfter.map({ writes > $0 }) == true { _ = try inner.read(timeout: 0) }
        mostInFlight = max(mostInFlight, writes - answeredReads)
    }

    func read(timeout: Double) throws -> [UInt8] {
        let bytes = try inner.read(timeout: timeout)
        if !bytes.isEmpty { answeredReads = writes }
        return bytes
    }
}

@Suite struct ClientTests {
    static func board(policy: UploadPolicy = .primaryOnly) throws -> SimulatedBoard {
        try simulatedBoard(policy: policy)
    }

    static let image: [UInt8] = {
        var options = SigningOptions(version: ImageVersion(major: 3, minor: 1, revision: 4, build: 15), slotSize: 0x76000)
        options.padHeader = true
        return try! ImageSigner(options: options).sign(applicationBytes(count: 30_000, seed: 11))
    }()
    static let sha = Array(repeating: UInt8(0xA5), count: 32)

    static func primary(_ board: SimulatedBoard) -> [UInt8] {
        board.devices["internal"]!.bytes(in: 0xC000..<(0xC000 + image.count))
    }

    @Test func echoParamsAndBootloaderInfo() throws {
        let client = SMPClient(transport: LoopbackTransport(board: try Self.board()))
        #expect(try client.echo("ahoy") == "ahoy")
        #expect(client.maxMessageSize == 169)
        let params = try #require(try client.readParameters())
        #expect(params.bufferSize == 2048 && params.bufferCount == 1)
        #expect(client.maxMessageSize == 2044)
        #expect(try client.bootloaderInfo()["bootloader"] == "MCUboot")
        // The simulated board's boot stage swaps using move (MCUboot mode 3).
        #expect(try client.bootloaderInfo(query: "mode")["mode"] == 3)
    }

    @Test func uploadThenStateReadShowsVersionAndHash() throws {
        let board = try Self.board()
        let client = SMPClient(transport: LoopbackTransport(board: board))
        #expect(try client.imageStates().isEmpty)
        try client.readParameters()
        var offsets: [Int] = []
        let requests = try client.upload(Self.image) { offset, _ in offsets.append(offset) }
        #expect(requests == 16, "30 552 bytes in 2044-byte messages")
        #expect(offsets.last == Self.image.count && offsets == offsets.sorted())
        #expect(Self.primary(board) == Self.image)
        let states = try client.imageStates()
        #expect(states.count == 1)
        #expect(states.first?.slot == 0 && states.first?.version == "3.1.4.15")
        #expect(states.first?.hash == Array(Self.image.suffix(32)))
    }

    @Test func withoutParamsTheClientKeepsToSmallMessages() throws {
        let board = try Self.board()
        let client = SMPClient(transport: LoopbackTransport(board: board))
        let requests = try client.upload(Self.image)
        #expect(requests > 200, "169-byte messages carry about 130 bytes of data")
        #expect(Self.primary(board) == Self.image)
    }

    /// A lost response is retried; the device answers the repeated chunk with the offset it expects.
    @Test func lostResponsesAreRetried() throws {
        let board = try Self.board()
        let lossy = LossyTransport(LoopbackTransport(board: board))
        lossy.lose = [3, 7, 8]
        let client = SMPClient(transport: lossy, timeout: 0.05)
        try client.readParameters()
        try client.upload(Self.image)
        #expect(Self.primary(board) == Self.image)
    }

    /// A device that reports `buf_count` 2 gets two upload requests in flight after the first
    /// (which may erase, so it goes alone); the slot ends byte for byte the same.
    @Test func theClientKeepsBufCountRequestsInFlight() throws {
        let board = try simulatedBoard(receiveBuffers: 2)
        let link = LossyTransport(LoopbackTransport(board: board))
        let client = SMPClient(transport: link)
        #expect(try client.readParameters()?.bufferCount == 2)
        var offsets: [Int] = []
        let requests = try client.upload(Self.image) { offset, _ in offsets.append(offset) }
        #expect(requests == 16 && link.mostInFlight == 2)
        #expect(offsets == offsets.sorted() && offsets.last == Self.image.count)
        #expect(Self.primary(board) == Self.image)

        // MCUboot's buf_count 1: one at a time, whatever the client could do.
        let single = LossyTransport(LoopbackTransport(board: try Self.board()))
        let mcuboot = SMPClient(transport: single)
        try mcuboot.readParameters()
        try mcuboot.upload(Self.image)
        #expect(single.mostInFlight == 1)
    }

    /// With four requests in flight, a request lost on the way makes the device answer the next
    /// ones with the offset it still expects (writing none of them); lost answers time out. The
    /// client re-sends from the device's offset each time and the image lands whole.
    @Test func aPipelinedUploadRecoversFromLostRequestsAndAnswers() throws {
        let board = try simulatedBoard(receiveBuffers: 4)
        let link = LossyTransport(LoopbackTransport(board: board))
        link.dropRequests = [4, 11]
        link.lose = [7, 16]
        let client = SMPClient(transport: link, timeout: 0.05)
        try client.readParameters()
        #expect(client.deviceBufferCount == 4)
        let requests = try client.upload(Self.image)
        #expect(requests > 16, "the lost ones were sent again")
        #expect(link.mostInFlight == 4)
        #expect(Self.primary(board) == Self.image)
        #expect(try client.imageStates().first?.hash == Array(Self.image.suffix(32)))
    }

    /// Starts an upload whose link dies after six requests; returns the offset the device reached.
    @discardableResult
    static func interruptedUpload(on board: SimulatedBoard, sha: [UInt8]? = Self.sha) throws -> Int {
        let lossy = LossyTransport(LoopbackTransport(board: board))
        lossy.cutAfter = 6
        let client = SMPClient(transport: lossy, timeout: 0.05)
        client.retries = 0
        try client.readParameters()
        #expect(throws: SMPClientError.self) { try client.upload(image, sha: sha) }
        let reached = board.link.server.upload.expectedOffset
        #expect(reached > 0 && reached < image.count)
        return reached
    }

    /// The link dies halfway; a new client session with the same `sha` continues from the offset
    /// the device reports instead of starting over.
    @Test func interruptedUploadResumesFromTheDevicesOffset() throws {
        let board = try Self.board()
        let reached = try Self.interruptedUpload(on: board)

        let second = SMPClient(transport: LoopbackTransport(board: board))
        try second.readParameters()
        var offsets: [Int] = []
        let requests = try second.upload(Self.image, sha: Self.sha) { offset, _ in offsets.append(offset) }
        #expect(offsets.first == reached, "the first answer is the resume offset")
        #expect(requests < 16)
        #expect(Self.primary(board) == Self.image)
    }

    /// After a reset the RAM session is gone, but the upload's journal in the slot is not: the
    /// device resumes from the last sector boundary it had reached.
    @Test func afterAResetTheUploadResumesFromItsJournal() throws {
        let board = try Self.board()
        try Self.interruptedUpload(on: board)

        let second = SMPClient(transport: LoopbackTransport(board: board))
        try second.reset()
        #expect(board.resetCount == 1)
        #expect(board.link.server.upload.target == nil)
        try second.readParameters()
        let requests = try second.upload(Self.image, sha: Self.sha)
        let resumed = try #require(second.lastUploadResumedFrom)
        #expect(resumed > 0 && resumed % 4096 == 0, "a sector boundary")
        #expect(requests < 16, "not every chunk is sent again")
        #expect(Self.primary(board) == Self.image)
        // Without a sha there is no journal: after a reset, every chunk is sent again.
        let board2 = try Self.board()
        _ = try Self.interruptedUpload(on: board2, sha: nil)
        let third = SMPClient(transport: LoopbackTransport(board: board2))
        try third.reset()
        try third.readParameters()
        #expect(try third.upload(Self.image) == 16, "every chunk is sent again")
        #expect(third.lastUploadResumedFrom == nil)
    }

    @Test func deviceErrorsAreNamed() throws {
        let client = SMPClient(transport: LoopbackTransport(board: try Self.board()))
        #expect {
            try client.upload(Self.image, image: 5)
        } throws: { error in
            (error as? SMPClientError) == .group(command: "image upload", group: 1, rc: 14)
                && "\(error)".contains("IMG_MGMT_ERR_INVALID_SLOT")
        }
        client.version = 0
        #expect {
            try client.upload(Self.image, image: 5)
        } throws: { error in
            (error as? SMPClientError) == .device(command: "image upload", rc: 3) && "\(error)".contains("MGMT_ERR_EINVAL")
        }
    }

    @Test func silenceIsATimeoutThatSaysWhatToCheck() throws {
        let board = try Self.board()
        let lossy = LossyTransport(LoopbackTransport(board: board))
        lossy.cutAfter = 0
        let client = SMPClient(transport: lossy, timeout: 0.05)
        #expect {
            try client.echo("x")
        } throws: { error in
            "\(error)".contains("no answer within 0.05 s") && "\(error)".contains("recovery mode")
        }
    }

    @Test func slotMappingUploadsToTheSecondary() throws {
        let board = try Self.board(policy: .slotMapping)
        let client = SMPClient(transport: LoopbackTransport(board: board))
        try client.readParameters()
        try client.upload(Self.image, image: 2)
        #expect(board.devices["internal"]!.bytes(in: 0x82000..<(0x82000 + Self.image.count)) == Self.image)
        #expect(board.devices["internal"]!.bytes(in: 0xC000..<0x82000).allSatisfy { $0 == 0xFF })
        let states = try client.imageStates()
        #expect(states.map(\.slot) == [1])
        let info = try client.slotInfo()
        let slots = info["images"]?.arrayValue?.first?["slots"]?.arrayValue
        #expect(slots?.map { $0["upload_image_id"]?.intValue } == [1, 2])
    }

    @Test func cborValuesRoundTrip() throws {
        let value: CBORValue = .map([
            ("a", 1), ("b", .negative(-70000)), ("c", .bytes([1, 2, 3])), ("d", .array([true, .null, "x"])),
            ("e", .map([("nested", .unsigned(UInt64.max))])),
        ])
        #expect(try CBORValue.decode(value.encoded()) == value)
        #expect(throws: (any Error).self) { try CBORValue.decode(value.encoded() + [0x00]) }
    }
}

@Suite struct DemoTests {
    @Test(arguments: [UploadPolicy.primaryOnly, .slotMapping])
    func demoRecoversTheBoard(policy: UploadPolicy) throws {
        let loader = DescriptorLoader(root: packageRoot)
        var demo = RecoveryDemo(board: try loader.loadBoard("nrf52840dk"), layout: try loader.loadLayout("nrf52840dk"))
        demo.policy = policy
        var lines: [String] = []
        let result = try demo.run { lines.append($0) }
        #expect(result.primaryMatches)
        #expect(result.statesBefore.isEmpty)
        #expect(result.statesAfter.map(\.version) == ["1.2.3"])
        #expect(result.bufferSize == 2048)
        #expect(result.resets == 1)
        #expect(result.uploadRequests == 33)
        #expect(result.linkSeconds > 1)
        // 17 page erases at 85 ms and 16 522 word writes at 41 µs, on the NVMC model's clock.
        #expect(abs(result.flashSeconds - (17 * 0.085 + 16_522 * 0.000041)) < 0.01)
        #expect(result.driverFaults == 0)
        #expect(result.boot == .boot(version: ImageVersion(major: 1, minor: 2, revision: 3)))
        #expect(lines.contains { $0.hasPrefix("6 boot stage") && $0.contains("boots image 0 version 1.2.3") })
        // The demo goes on after its reset: the application stage starts and answers.
        #expect(result.applicationBanner == "app: image 0 version 1.2.3 running, confirmed yes")
        #expect(lines.contains("    app: image 0 version 1.2.3 running, confirmed yes"))
        #expect(result.applicationStates.map(\.flags) == [["bootable", "confirmed", "active"]])
        #expect(lines.last == "recovery complete")
        #expect(lines.contains { $0.hasPrefix("3 image upload") && $0.contains("66088 bytes in 33 requests") })
    }
}

/// With trusted keys, image state read lists a slot only when a trusted key's signature verifies
/// (MCUboot's rule: invalid images are not listed).
@Suite struct SignedRecoveryTests {
    static func signed(_ key: SigningKey?) throws -> [UInt8] {
        var options = SigningOptions(version: ImageVersion(major: 2, minor: 0, revision: 1), slotSize: 0x76000)
        options.padHeader = true
        return try ImageSigner(options: options, key: key).sign(applicationBytes(count: 12_000, seed: 21))
    }

    @Test(arguments: KeyType.allCases)
    func onlyImagesSignedByATrustedKeyAreListed(type: KeyType) throws {
        let trusted = try SigningKey.generate(type)
        let stranger = try SigningKey.generate(type)
        let loader = DescriptorLoader(root: packageRoot)
        let policy = ImagePolicy(trustedKeys: [trusted.publicKey.trustedKey])
        let board = try SimulatedBoard(
            board: try loader.loadBoard("nrf52840dk"), layout: try loader.loadLayout("nrf52840dk"),
            configuration: RecoveryConfiguration(policy: .primaryOnly, imagePolicy: policy))
        let client = SMPClient(transport: LoopbackTransport(board: board))
        try client.readParameters()

        for (key, listed) in [(nil, false), (stranger, false), (trusted, true)] as [(SigningKey?, Bool)] {
            let image = try Self.signed(key)
            try client.upload(image)
            #expect(board.devices["internal"]!.bytes(in: 0xC000..<(0xC000 + image.count)) == image, "the upload itself is not validated")
            let states = try client.imageStates()
            #expect(states.map(\.version) == (listed ? ["2.0.1"] : []), "key \(key == nil ? "none" : key! === trusted ? "trusted" : "stranger")")
        }
    }
}

extension SigningKey {
    static func === (a: SigningKey, b: SigningKey) -> Bool { a.publicKey == b.publicKey }
}

/// The devzone thread's case: nRF5340 DK with the secondary slot on the external MX25R64.
@Suite struct ExternalSecondaryTests {
    static func board(policy: UploadPolicy) throws -> SimulatedBoard {
        try simulatedBoard("nrf5340dk", layout: "nrf5340dk_external", policy: policy)
    }

    @Test func primaryOnlyRecoveryWritesInternalFlash() throws {
        let board = try Self.board(policy: .primaryOnly)
        let client = SMPClient(transport: LoopbackTransport(board: board))
        try client.readParameters()
        try client.upload(ClientTests.image)
        #expect(board.devices["internal"]!.bytes(in: 0x10000..<(0x10000 + ClientTests.image.count)) == ClientTests.image)
        #expect(board.devices["external"]!.snapshot().allSatisfy { $0 == 0xFF }, "the external chip is untouched")
    }

    /// On the MX25R6435F, progressive erase erases ahead in 64 KiB blocks (one 0xD8 erase instead
    /// of 16 sector erases) while the image covers the block, then sector by sector up to the
    /// image's last sector; what lies beyond it in the slot (here the older image's tail) is
    /// only touched where the trailer is scrubbed.
    @Test func progressiveEraseUsesBlocksOnExternalFlash() throws {
        let board = try Self.board(policy: .slotMapping)
        let external = try #require(board.devices["external"])
        var options = SigningOptions(version: ImageVersion(major: 2, minor: 0, revision: 0), slotSize: 0x76000)
        options.padHeader = true
        let image = try ImageSigner(options: options).sign(applicationBytes(count: 150_000, seed: 5))
        let old = applicationBytes(count: 0x40000, seed: 6)
        try external.load(old, at: 0)
        external.clearTrace()
        external.traceEnabled = true
        let client = SMPClient(transport: LoopbackTransport(board: board))
        try client.readParameters()
        try client.upload(image, image: 2)
        #expect(external.bytes(in: 0..<image.count) == image)
        let erases = external.trace.compactMap { op -> FlashOperation? in if case .erase = op { op } else { nil } }
        let imageEnd = (image.count + 0xFFF) / 0x1000 * 0x1000  // 0x25000
        #expect(erases.contains(.erase(offset: 0, count: 0x10000)) && erases.contains(.erase(offset: 0x10000, count: 0x10000)))
        let sectors = erases.filter { if case .erase(let offset, let count) = $0 { count == 0x1000 && offset >= 0x20000 && offset < imageEnd } else { false } }
        #expect(sectors.count == (imageEnd - 0x20000) / 0x1000, "the rest of the image sector by sector: \(erases)")
        #expect(external.bytes(in: imageEnd..<0x40000) == Array(old[imageEnd..<0x40000]), "nothing erased past the image")
    }

    @Test func slotMappingImage2WritesTheExternalChip() throws {
        let board = try Self.board(policy: .slotMapping)
        let client = SMPClient(transport: LoopbackTransport(board: board))
        try client.readParameters()
        let clockBefore = board.clock.seconds
        try client.upload(ClientTests.image, image: 2)
        #expect(board.devices["external"]!.bytes(in: 0..<ClientTests.image.count) == ClientTests.image)
        // Through the real QSPI driver: no misuse of the peripheral or the chip, and the chip's
        // sector erases (8 sectors at 48 ms typical, plus the trailer sector) on the virtual clock.
        let qspi = try #require(board.qspiModels["external"])
        #expect(qspi.driverFaults.isEmpty)
        #expect(qspi.chip.violations.isEmpty)
        #expect(board.clock.seconds - clockBefore >= 8 * 0.048)
        #expect(board.devices["internal"]!.snapshot().allSatisfy { $0 == 0xFF }, "internal flash is untouched")
        #expect(try client.imageStates().map(\.slot) == [1])
        #expect {
            try client.upload(ClientTests.image, image: 3)
        } throws: { error in
            (error as? SMPClientError) == .group(command: "image upload", group: 1, rc: 14)
        }
    }
}
