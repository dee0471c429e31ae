import DFUTarget
import FlashKit
import MCUbootImage
import Recovery
import SMP
import Testing

/// A server built with MCUboot's default command set (`MCUbootDefaultRecoveryFeatures`, what
/// `tools/build-firmware --recovery mcuboot` links) answers what MCUboot's own build answers:
/// image list, upload, reset and console echo control work; echo, params, bootloader info, state
/// write, erase and slot info are `rc` 8 (ENOTSUP) and touch no flash.
@Suite struct FeatureSetTests {
    @Test(arguments: [UInt8(0), 1])
    func commandsOutsideTheSetAreNotSupportedAndWriteNothing(version: UInt8) throws {
        let rig = try FeatureRig(features: MCUbootDefaultRecoveryFeatures.self, policy: .slotMapping)
        try rig.fillWithJunk()
        let before = rig.flash.snapshot()
        let hash = [UInt8](repeating: 0x11, count: 32)
        let refused: [(String, SMPOperation, UInt16, UInt8, CBOR)] = [
            ("echo", .write, SMPGroup.os, OSCommand.echo, .map([("d", "hi")])),
            ("params", .read, SMPGroup.os, OSCommand.mcumgrParams, .map([])),
            ("bootloader info", .read, SMPGroup.os, OSCommand.bootloaderInfo, .map([])),
            ("state write", .write, SMPGroup.image, ImageCommand.state, .map([("hash", .bytes(hash)), ("confirm", false)])),
            ("erase", .write, SMPGroup.image, ImageCommand.erase, .map([("slot", 1)])),
            ("slot info", .read, SMPGroup.image, ImageCommand.slotInfo, .map([])),
        ]
        for (name, op, group, command, body) in refused {
            let r = rig.send(op: op, version: version, group: group, command: command, body: body)
            expectHeader(r, op: op, version: version, group: group, command: command)
            #expect(r.body == rcMap(8), "\(name): \(String(describing: r.body))")
        }
        #expect(rig.flash.snapshot() == before)
        #expect(rig.mutations.isEmpty)

        // The same requests to a server with every command are answered (not ENOTSUP).
        let full = try Rig(policy: .slotMapping)
        for (name, op, group, command, body) in refused {
            let r = full.send(op: op, version: version, group: group, command: command, body: body)
            #expect(r.body != rcMap(8), "\(name) with every command: \(String(describing: r.body))")
        }
    }

    @Test func mcubootsFixedSetStillWorks() throws {
        let rig = try FeatureRig(features: MCUbootDefaultRecoveryFeatures.self)
        let image = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        try rig.uploadAll(image, chunkSize: 512)
        #expect(Array(rig.slotBytes(SlotAddress(image: 0, slot: 0)).prefix(image.count)) == image)
        // Image list answers (an empty list: the bytes are no MCUboot image).
        let list = rig.send(op: .read, group: SMPGroup.image, command: ImageCommand.state, body: .map([]))
        #expect(list.body == .map([("images", .array([]))]), "\(String(describing: list.body))")
        // Console echo control and reset.
        #expect(rig.send(group: SMPGroup.os, command: OSCommand.consoleEchoControl, body: .map([("echo", 0)])).body == .map([("rc", 0)]))
        #expect(rig.send(group: SMPGroup.os, command: OSCommand.reset, body: .map([])).reply.action == .reset)
    }

    /// Without the upload extensions, a `sha` is only MCUboot's unused field: no journal is
    /// written into the slot (a reset starts the upload again) and the last reply has no `match`.
    @Test func uploadsKeepNoJournalAndCheckNoSHA() throws {
        let image = payloadBytes(13_000, seed: 31)
        let sha = sha256(image)
        let rig = try FeatureRig(features: MCUbootDefaultRecoveryFeatures.self)
        let area = try #require(rig.slots.area(image: 0, slot: 0))
        let journal = try #require(UploadJournal(slot: area, imageSize: image.count))
        let place = (Addr.primary0.lowerBound + journal.offset)..<(Addr.primary0.lowerBound + journal.offset + journal.identitySize)
        // Half the image, then a reset: nothing in the journal's place, and off 0 starts again.
        for off in stride(from: 0, to: 8000, by: 1000) {
            _ = rig.upload(off: off, data: Array(image[off..<(off + 1000)]), len: off == 0 ? image.count : nil, sha: off == 0 ? sha : nil)
        }
        #expect(rig.flash.bytes(in: place).allSatisfy { $0 == rig.geometry.erasedValue })
        rig.server.reboot()
        let again = rig.upload(off: 0, data: Array(image[0..<1000]), len: image.count, sha: sha)
        #expect(again.body?["off"] == .unsigned(1000), "a new upload, not a resume")
        let replies = try rig.uploadAll(image, chunkSize: 1000, sha: sha)
        #expect(replies.last?.body?["match"] == nil)
        #expect(Array(rig.slotBytes(SlotAddress(image: 0, slot: 0)).prefix(image.count)) == image)

        // Every command: the journal is there mid-upload, and the last reply says `match`.
        let full = try Rig()
        for off in stride(from: 0, to: 8000, by: 1000) {
            _ = full.upload(off: off, data: Array(image[off..<(off + 1000)]), len: off == 0 ? image.count : nil, sha: off == 0 ? sha : nil)
        }
        #expect(!full.flash.bytes(in: place).allSatisfy { $0 == full.geometry.erasedValue })
        full.server.reboot()
        #expect(full.upload(off: 0, data: Array(image[0..<1000]), len: image.count, sha: sha).body?["off"] != .unsigned(1000), "resumed")
        let fullReplies = try full.uploadAll(image, chunkSize: 1000, sha: sha)
        #expect(fullReplies.last?.body?["match"] == .bool(true))
    }

    /// The image list without image state write is MCUboot's without IMAGE_STATE: slot, version
    /// and hash; with every command the flags follow (here `bootable`, `confirmed`, `active`).
    @Test func theListCarriesTheFlagsOnlyWithStateWrite() throws {
        let image = TestImage(bodySize: 5000, seed: 1, version: ImageVersion(major: 1, minor: 0, revision: 0))
        let mcuboot = try FeatureRig(features: MCUbootDefaultRecoveryFeatures.self)
        try mcuboot.uploadAll(image.bytes, chunkSize: 1000)
        let plain = mcuboot.send(op: .read, group: SMPGroup.image, command: ImageCommand.state, body: .map([]))
        #expect(plain.body == .map([("images", .array([.map([("slot", 0), ("version", "1.0.0"), ("hash", .bytes(image.hash))])]))]),
                "\(String(describing: plain.body))")
        let full = try Rig()
        try full.uploadAll(image.bytes, chunkSize: 1000)
        let flagged = full.send(op: .read, group: SMPGroup.image, command: ImageCommand.state, body: .map([]))
        #expect(flagged.body == .map([("images", .array([.map([
            ("slot", 0), ("version", "1.0.0"), ("hash", .bytes(image.hash)),
            ("bootable", true), ("confirmed", true), ("active", true),
        ])]))]), "\(String(describing: flagged.body))")
    }
}
