import FlashKit
import Recovery
import SMP
import Testing

/// Image erase (group 1, command 5): `{"slot": n}` in MCUboot's flat numbering, default 1.
@Suite struct ImageEraseTests {
    struct EraseCase: Sendable, CustomTestStringConvertible {
        var body: [UInt8]
        var layout: SlotLayout
        var erased: SlotAddress?
        var name: String
        var testDescription: String { name }
    }

    static let cases: [EraseCase] = [
        EraseCase(body: [], layout: .single, erased: SlotAddress(image: 0, slot: 1), name: "no payload → slot 1"),
        EraseCase(body: CBOR.map([]).encoded(), layout: .single, erased: SlotAddress(image: 0, slot: 1), name: "empty map → slot 1"),
        EraseCase(body: CBOR.map([("slot", 0)]).encoded(), layout: .single, erased: SlotAddress(image: 0, slot: 0), name: "slot 0"),
        EraseCase(body: CBOR.map([("slot", 1), ("x", "y")]).encoded(), layout: .single, erased: SlotAddress(image: 0, slot: 1), name: "slot 1, unknown key"),
        EraseCase(body: CBOR.map([("slot", 2)]).encoded(), layout: .dual, erased: SlotAddress(image: 1, slot: 0), name: "dual slot 2"),
        EraseCase(body: CBOR.map([("slot", 3)]).encoded(), layout: .dual, erased: SlotAddress(image: 1, slot: 1), name: "dual slot 3"),
        EraseCase(body: CBOR.map([("slot", 2)]).encoded(), layout: .single, erased: nil, name: "slot 2 of one image"),
        EraseCase(body: CBOR.map([("slot", 1)]).encoded(), layout: .primaryOnly, erased: nil, name: "no secondary"),
        EraseCase(body: [], layout: .primaryOnly, erased: nil, name: "default, no secondary"),
        EraseCase(body: CBOR.map([("slot", 4)]).encoded(), layout: .dual, erased: nil, name: "dual slot 4"),
        EraseCase(body: CBOR.map([("slot", .unsigned(.max))]).encoded(), layout: .dual, erased: nil, name: "slot UInt64.max"),
        EraseCase(body: CBOR.map([("slot", 0x1_0000_0000)]).encoded(), layout: .dual, erased: nil, name: "slot 2^32"),
    ]

    @Test(arguments: cases, [UInt8(0), 1])
    func erase(c: EraseCase, version: UInt8) throws {
        let rig = try Rig(layout: c.layout)
        try rig.fillWithJunk()
        let before = rig.flash.snapshot()
        let r = rig.send(version: version, group: 1, command: 5, payload: c.body)
        expectHeader(r, op: .write, version: version, group: 1, command: 5)
        if let address = c.erased {
            #expect(r.body == (version == 0 ? rcMap(0) : .map([])))
            #expect(r.reply.event == .slotErased(address))
            let range = Addr.range(address)
            #expect(rig.mutations == [.erase(offset: range.lowerBound, count: range.count)])
            #expect(rig.slotBytes(address).allSatisfy { $0 == 0xFF })
            expectUnchanged(before, rig.flash.snapshot(), except: [range])
        } else {
            #expect(r.body == (version == 0 ? rcMap(3) : errMap(group: 1, rc: 14)))
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
        let rig = try Rig()
        let image = payloadBytes(5000)
        #expect(rig.upload(off: 0, data: Array(image[0..<1000]), len: 5000).body?["off"] == 1000)
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
