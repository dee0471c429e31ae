import DFUTarget
import FlashKit
import Recovery
import SMP
import Testing

/// Image erase (group 1, command 5): `{"slot": n}` in MCUboot's flat numbering, default 1.
@Suite struct ImageEraseTests {
    struct EraseCase: Sendable, CustomTestStringConvertible {
        var body: [UInt8]
        var layout: SlotLayout
        var policy: UploadPolicy = .slotMapping
        var outcome: Outcome
        var name: String
        var testDescription: String { name }

        enum Outcome: Sendable {
            case erased(SlotAddress)
            /// No such slot: EINVAL (v1) / IMG_MGMT_ERR_INVALID_SLOT (v2).
            case noSuchSlot
            /// The slot exists but the policy forbids it: EACCESSDENIED in both versions.
            case denied(SlotAddress)
        }
    }

    static let cases: [EraseCase] = [
        EraseCase(body: [], layout: .single, outcome: .erased(SlotAddress(image: 0, slot: 1)), name: "no payload → slot 1"),
        EraseCase(body: CBOR.map([]).encoded(), layout: .single, outcome: .erased(SlotAddress(image: 0, slot: 1)), name: "empty map → slot 1"),
        EraseCase(body: CBOR.map([("slot", 0)]).encoded(), layout: .single, outcome: .erased(SlotAddress(image: 0, slot: 0)), name: "slot 0"),
        EraseCase(body: CBOR.map([("slot", 1), ("x", "y")]).encoded(), layout: .single, outcome: .erased(SlotAddress(image: 0, slot: 1)), name: "slot 1, unknown key"),
        EraseCase(body: CBOR.map([("slot", 2)]).encoded(), layout: .dual, outcome: .erased(SlotAddress(image: 1, slot: 0)), name: "dual slot 2"),
        EraseCase(body: CBOR.map([("slot", 3)]).encoded(), layout: .dual, outcome: .erased(SlotAddress(image: 1, slot: 1)), name: "dual slot 3"),
        EraseCase(body: CBOR.map([("slot", 2)]).encoded(), layout: .single, outcome: .noSuchSlot, name: "slot 2 of one image"),
        EraseCase(body: CBOR.map([("slot", 1)]).encoded(), layout: .primaryOnly, outcome: .noSuchSlot, name: "no secondary"),
        EraseCase(body: [], layout: .primaryOnly, outcome: .noSuchSlot, name: "default, no secondary"),
        EraseCase(body: CBOR.map([("slot", 4)]).encoded(), layout: .dual, outcome: .noSuchSlot, name: "dual slot 4"),
        EraseCase(body: CBOR.map([("slot", .unsigned(.max))]).encoded(), layout: .dual, outcome: .noSuchSlot, name: "slot UInt64.max"),
        EraseCase(body: CBOR.map([("slot", 0x1_0000_0000)]).encoded(), layout: .dual, outcome: .noSuchSlot, name: "slot 2^32"),
        // Under primary-only, recovery may modify the primary slots and nothing else.
        EraseCase(body: CBOR.map([("slot", 0)]).encoded(), layout: .single, policy: .primaryOnly, outcome: .erased(SlotAddress(image: 0, slot: 0)), name: "primary-only: slot 0"),
        EraseCase(body: CBOR.map([("slot", 2)]).encoded(), layout: .dual, policy: .primaryOnly, outcome: .erased(SlotAddress(image: 1, slot: 0)), name: "primary-only: dual slot 2"),
        EraseCase(body: [], layout: .single, policy: .primaryOnly, outcome: .denied(SlotAddress(image: 0, slot: 1)), name: "primary-only: no payload → slot 1 refused"),
        EraseCase(body: CBOR.map([]).encoded(), layout: .single, policy: .primaryOnly, outcome: .denied(SlotAddress(image: 0, slot: 1)), name: "primary-only: empty map → slot 1 refused"),
        EraseCase(body: CBOR.map([("slot", 1)]).encoded(), layout: .single, policy: .primaryOnly, outcome: .denied(SlotAddress(image: 0, slot: 1)), name: "primary-only: slot 1 refused"),
        EraseCase(body: CBOR.map([("slot", 3)]).encoded(), layout: .dual, policy: .primaryOnly, outcome: .denied(SlotAddress(image: 1, slot: 1)), name: "primary-only: dual slot 3 refused"),
        EraseCase(body: CBOR.map([("slot", 4)]).encoded(), layout: .dual, policy: .primaryOnly, outcome: .noSuchSlot, name: "primary-only: dual slot 4"),
    ]

    @Test(arguments: cases, [UInt8(0), 1])
    func erase(c: EraseCase, version: UInt8) throws {
        let rig = try Rig(policy: c.policy, layout: c.layout)
        try rig.fillWithJunk()
        let before = rig.flash.snapshot()
        let r = rig.send(version: version, group: 1, command: 5, payload: c.body)
        expectHeader(r, op: .write, version: version, group: 1, command: 5)
        switch c.outcome {
        case .erased(let address):
            #expect(r.body == (version == 0 ? rcMap(0) : .map([])))
            #expect(r.reply.event == .slotErased(address))
            let range = Addr.range(address)
            #expect(rig.mutations == [.erase(offset: range.lowerBound, count: range.count)])
            #expect(rig.slotBytes(address).allSatisfy { $0 == 0xFF })
            expectUnchanged(before, rig.flash.snapshot(), except: [range])
        case .noSuchSlot:
            #expect(r.body == (version == 0 ? rcMap(3) : errMap(group: 1, rc: 14)))
            #expect(rig.mutations.isEmpty)
            #expect(rig.flash.snapshot() == before)
        case .denied(let address):
            #expect(r.body == rcMap(11))
            #expect(r.reply.event == .eraseRefused(address, .deniedByPolicy(.primaryOnly)))
            #expect(rig.mutations.isEmpty)
            #expect(rig.flash.snapshot() == before)
        }
    }

    @Test(arguments: [CBOR.map([("slot", "0")]), .map([("slot", .negative(-1))]), .map([("slot", 0), ("slot", 0)]), .array([0]), .raw([0xA1])])
    func badRequest(body: CBOR) throws {
        let rig = try Rig()
        try rig.fillWithJunk()
        let before = rig.flash.snapshot()
        #expect(rig.send(version: 1, group: 1, command: 5, body: body).body == rcMap(3))
        #expect(rig.flash.snapshot() == before)
    }

    /// Erasing the slot being uploaded abandons the upload; erasing another slot does not.
    @Test func eraseAbandonsUploadToThatSlotOnly() throws {
        let rig = try Rig(policy: .slotMapping)
        let image = payloadBytes(5000)
        #expect(rig.upload(off: 0, data: Array(image[0..<1000]), len: 5000, image: 1).body?["off"] == 1000)
        #expect(rig.send(group: 1, command: 5, body: .map([("slot", 1)])).body == rcMap(0))
        #expect(rig.upload(off: 1000, data: Array(image[1000..<2000])).body?["off"] == 2000)
        #expect(rig.send(group: 1, command: 5, body: .map([("slot", 0)])).body == rcMap(0))
        #expect(rig.server.upload.target == nil)
        #expect(rig.upload(off: 2000, data: Array(image[2000..<3000])).body == .map([("rc", 0), ("off", 0)]))
        #expect(rig.slotBytes(SlotAddress(image: 0, slot: 0)).allSatisfy { $0 == 0xFF })
        // A fresh upload works after the erase.
        let before = rig.flash.snapshot()
        try rig.uploadAll(image, chunkSize: 999)
        expectUploaded(rig, image, at: SlotAddress(image: 0, slot: 0), before: before)
    }
}
