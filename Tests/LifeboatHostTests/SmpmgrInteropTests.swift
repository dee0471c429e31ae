import BootCrypto
import Foundation
import LifeboatHost
import Testing

/// The clients firmware engineers already use, unchanged, against `lifeboat sim` over a pty.
@Suite(.enabled(if: interopReady, interopSkipReason), .serialized)
struct SmpmgrInteropTests {
    let smpmgr = pythonTool("smpmgr")!
    let imgtool = pythonTool("imgtool")!

    /// Signs `body` with imgtool as nRF Connect SDK does for the nRF52840 DK's primary slot.
    func signedImage(_ body: [UInt8], version: String, in dir: TemporaryDirectory, extra: [String] = []) throws -> [UInt8] {
        try Data(body).write(to: URL(fileURLWithPath: dir.path("app.bin")))
        let result = try run(imgtool, ["sign", "--header-size", "0x200", "--slot-size", "0x76000", "--align", "4",
                                       "--version", version, "--pad-header"] + extra + [dir.path("app.bin"), dir.path("signed.bin")])
        #expect(result.status == 0, "imgtool sign failed: \(result.output)")
        return Array(try Data(contentsOf: URL(fileURLWithPath: dir.path("signed.bin"))))
    }

    @Test func echoRoundTrips() throws {
        let sim = try RunningSimulator()
        defer { sim.stop() }
        let result = try run(smpmgr, ["--port", sim.port, "os", "echo", "hello lifeboat"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("r='hello lifeboat'"))
    }

    @Test func stateReadOfAnErasedBoardListsNoImage() throws {
        let sim = try RunningSimulator()
        defer { sim.stop() }
        let result = try run(smpmgr, ["--port", sim.port, "image", "state-read"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("No images on device"))
    }

    /// `smpmgr upgrade` of an imgtool-signed image: upload, reset; the primary slot in the state
    /// file then holds the image byte for byte, and state read reports its version and hash.
    @Test(arguments: [[], ["--key", "ed25519"]])
    func upgradeWritesThePrimarySlotByteForByte(keyArguments: [String]) throws {
        let dir = try TemporaryDirectory()
        var extra: [String] = []
        if keyArguments.count == 2 {
            let key = dir.path("key.pem")
            #expect(try run(imgtool, ["keygen", "-k", key, "-t", keyArguments[1]]).status == 0)
            extra = ["--key", key]
        }
        let image = try signedImage(applicationBytes(count: 40_000, seed: 7), version: "1.4.2+9", in: dir, extra: extra)
        let sim = try RunningSimulator()
        defer { sim.stop() }

        let upgrade = try run(smpmgr, ["--port", sim.port, "upgrade", dir.path("signed.bin")], timeout: 120)
        #expect(upgrade.status == 0, "\(upgrade.output)")
        #expect(upgrade.output.contains("Upgrade complete"))

        let flash = try sim.flash()
        #expect(flash.count == 0x100000)
        #expect(Array(flash[0xC000..<(0xC000 + image.count)]) == image)
        // Nothing outside the primary slot was touched.
        #expect(flash[0..<0xC000].allSatisfy { $0 == 0xFF })
        #expect(flash[0x82000...].allSatisfy { $0 == 0xFF })

        let states = try run(smpmgr, ["--port", sim.port, "image", "state-read"])
        #expect(states.status == 0, "\(states.output)")
        #expect(states.output.contains("version='1.4.2.9'"))
        let headerAndBody = Array(image[0..<(0x200 + 40_000)])
        let digest = headerAndBody.withUnsafeBytes { SHA256.hash($0) }
        let hex = digest.withUnsafeBytes { $0.map { String(format: "%02X", $0) }.joined() }
        #expect(states.output.contains(hex), "state read should report the image's SHA-256 TLV \(hex)")
    }

    /// smpclient with automatic fragmentation reads MCUmgr params and then sends ≥ 1 KiB messages.
    @Test func smpclientNegotiatesLargeMessages() throws {
        let dir = try TemporaryDirectory()
        let image = try signedImage(applicationBytes(count: 30_000, seed: 3), version: "2.0.0", in: dir)
        let sim = try RunningSimulator()
        defer { sim.stop() }
        let script = packageRoot.appendingPathComponent("Tests/LifeboatHostTests/Fixtures/smpclient_auto_upload.py").path
        let python = pythonTool("python3")!
        let result = try run(python, [script, sim.port, dir.path("signed.bin")], timeout: 120)
        #expect(result.status == 0, "\(result.output)")
        let json = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Int]
        #expect(json?["max_unencoded_size"] == 2044, "buf_size 2048 minus the frame's length and CRC")
        #expect((json?["largest_request"] ?? 0) >= 1024)
        #expect(json?["final_offset"] == image.count)
        let flash = try sim.flash()
        #expect(Array(flash[0xC000..<(0xC000 + image.count)]) == image)
    }

    /// smpclient's raw serial transport, bare (MCUboot's raw protocol) and with `framing=Cobs()`,
    /// unchanged against `lifeboat sim --framing raw|cobs|auto`: echo, an upload in messages of
    /// the whole reported buffer (2048 bytes, no framing overhead), and a state read listing the
    /// image's hash. In auto, smpmgr's console framing then works on the same port too.
    @Test(arguments: [("raw", "raw"), ("cobs", "cobs"), ("auto", "raw"), ("auto", "cobs")])
    func smpclientRawTransportsUpload(simFraming: String, client: String) throws {
        let dir = try TemporaryDirectory()
        let image = try signedImage(applicationBytes(count: 25_000, seed: 5), version: "2.1.0", in: dir)
        let sim = try RunningSimulator(arguments: ["--framing", simFraming])
        defer { sim.stop() }
        let script = packageRoot.appendingPathComponent("Tests/LifeboatHostTests/Fixtures/smpclient_raw_upload.py").path
        let result = try run(pythonTool("python3")!, [script, sim.port, dir.path("signed.bin"), client], timeout: 120)
        #expect(result.status == 0, "\(result.output.suffix(2000))")
        let json = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        #expect(json?["echo"] as? String == "raw hello")
        #expect(json?["largest_request"] as? Int == 2048, "messages of the whole buf_size")
        #expect(json?["final_offset"] as? Int == image.count)
        let digest = Array(image[0..<(0x200 + 25_000)]).withUnsafeBytes { SHA256.hash($0) }
        let hex = digest.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
        #expect(json?["hashes"] as? [String] == [hex])
        let flash = try sim.flash()
        #expect(Array(flash[0xC000..<(0xC000 + image.count)]) == image)
        #expect(flash[0x82000...].allSatisfy { $0 == 0xFF })
        if simFraming == "auto" {
            let echo = try run(smpmgr, ["--port", sim.port, "os", "echo", "console too"])
            #expect(echo.status == 0 && echo.output.contains("r='console too'"), "\(echo.output)")
        }
    }

    /// A line-length mismatch (smpmgr's classic silent hang): the simulator explains each drop on
    /// the console and stderr instead of staying silent.
    @Test func overlongLinesAreExplained() throws {
        let sim = try RunningSimulator()
        let result = try run(smpmgr, ["--port", sim.port, "--timeout", "0.5", "--line-length", "256", "os", "echo",
                                      String(repeating: "x", count: 300)])
        let log = sim.stop()
        #expect(result.status != 0, "a device that cannot read the frame cannot answer it")
        #expect(log.contains("dropped frame: line too long"), "\(log)")
    }
}

/// `lifeboat sim --key`: imgtool-signed images are listed only when signed by a trusted key.
@Suite(.enabled(if: interopReady, interopSkipReason), .serialized)
struct SmpmgrSignedInteropTests {
    let smpmgr = pythonTool("smpmgr")!
    let imgtool = pythonTool("imgtool")!

    @Test func simulatorWithAKeyListsOnlyItsImages() throws {
        let dir = try TemporaryDirectory()
        #expect(try run(imgtool, ["keygen", "-k", dir.path("trusted.pem"), "-t", "ecdsa-p256"]).status == 0)
        #expect(try run(imgtool, ["keygen", "-k", dir.path("other.pem"), "-t", "ecdsa-p256"]).status == 0)
        try Data(applicationBytes(count: 20_000, seed: 4)).write(to: URL(fileURLWithPath: dir.path("app.bin")))
        for key in ["trusted", "other"] {
            let sign = try run(imgtool, ["sign", "--key", dir.path("\(key).pem"), "--header-size", "0x200", "--slot-size", "0x76000",
                                         "--align", "4", "--version", "3.0.0", "--pad-header", dir.path("app.bin"), dir.path("\(key).bin")])
            #expect(sign.status == 0, "\(sign.output)")
        }
        let sim = try RunningSimulator(arguments: ["--key", dir.path("trusted.pem")])
        defer { sim.stop() }

        #expect(try run(smpmgr, ["--port", sim.port, "upgrade", dir.path("other.bin")], timeout: 120).status == 0)
        var states = try run(smpmgr, ["--port", sim.port, "image", "state-read"])
        #expect(states.output.contains("No images on device"), "an image signed by an untrusted key is not listed: \(states.output)")

        #expect(try run(smpmgr, ["--port", sim.port, "upgrade", dir.path("trusted.bin")], timeout: 120).status == 0)
        states = try run(smpmgr, ["--port", sim.port, "image", "state-read"])
        #expect(states.output.contains("version='3.0.0'"), "\(states.output)")
    }
}

/// smpmgr against the nRF5340 DK with the external secondary: `image upload --slot 2` lands on
/// the QSPI chip's state file at the secondary slot's offset.
@Suite(.enabled(if: interopReady, interopSkipReason), .serialized)
struct SmpmgrExternalFlashTests {
    let smpmgr = pythonTool("smpmgr")!
    let imgtool = pythonTool("imgtool")!

    @Test func uploadToSlot2WritesExternalBin() throws {
        let dir = try TemporaryDirectory()
        try Data(applicationBytes(count: 25_000, seed: 8)).write(to: URL(fileURLWithPath: dir.path("app.bin")))
        let sign = try run(imgtool, ["sign", "--header-size", "0x200", "--slot-size", "0xe8000", "--align", "4", "--version", "1.0.0",
                                     "--pad-header", dir.path("app.bin"), dir.path("signed.bin")])
        #expect(sign.status == 0, "\(sign.output)")
        let image = Array(try Data(contentsOf: URL(fileURLWithPath: dir.path("signed.bin"))))
        let sim = try RunningSimulator(arguments: ["--board", "nrf5340dk", "--layout", "nrf5340dk_external", "--policy", "slot-mapping"])
        defer { sim.stop() }
        let upload = try run(smpmgr, ["--port", sim.port, "image", "upload", "--slot", "2", dir.path("signed.bin")], timeout: 120)
        #expect(upload.status == 0, "\(upload.output)")
        let external = try sim.flash("external")
        #expect(external.count == 0x800000)
        #expect(Array(external[0..<image.count]) == image)
        #expect(try sim.flash("internal").allSatisfy { $0 == 0xFF })
    }
}
