import DFUTarget
import FlashKit
import MCUbootImage
import Recovery
import Simulation
import SMP
import Testing

/// Recovery's image state write (group 1, command 0, WRITE): img_mgmt's rules, MCUboot's
/// `boot_set_next` bytes, bounded by the policy like every request that writes.
@Suite struct StateWriteTests {
    static let v1 = TestImage(bodySize: 5000, seed: 1, version: ImageVersion(major: 1, minor: 0, revision: 0))
    static let v2 = TestImage(bodySize: 6000, seed: 2, version: ImageVersion(major: 2, minor: 0, revision: 0))

    static func rig(policy: UploadPolicy) throws -> Rig {
        let rig = try Rig(policy: policy)
        try rig.flash.load(v1.bytes, at: Addr.primary0.lowerBound)
        try rig.flash.load(v2.bytes, at: Addr.secondary0.lowerBound)
        return rig
    }

    /// The secondary's trailer (the last 48 bytes of the slot, BOOT_MAX_ALIGN 8, write size 4).
    static func secondaryTrailer(_ rig: Rig) -> [UInt8] {
        rig.flash.bytes(in: (Addr.secondary0.upperBound - 48)..<Addr.secondary0.upperBound)
    }

    @Test(arguments: [UInt8(0), 1])
    func testByHashMarksTheSecondary(version: UInt8) throws {
        let rig = try Self.rig(policy: .slotMapping)
        let r = rig.send(version: version, group: 1, command: 0, body: .map([("hash", .bytes(Self.v2.hash))]))
        #expect(r.reply.event == .imageMarked(SlotAddress(image: 0, slot: 1), .test))
        // boot_set_next(secondary, false, false): swap_info TEST (0x02) padded to the write size,
        // copy_done and image_ok erased, then the magic; swap_size untouched.
        let ff = [UInt8](repeating: 0xFF, count: 4)
        #expect(Self.secondaryTrailer(rig) == ff + ff + [0x02, 0xFF, 0xFF, 0xFF] + ff + ff + ff + ff + ff
            + [0x77, 0xC2, 0x95, 0xF3, 0x60, 0xD2, 0xEF, 0x7F, 0x35, 0x52, 0x50, 0x0F, 0x2C, 0xB6, 0x79, 0x80])
        // The answer is the image state, with the new flag.
        let images = r.body?["images"]
        #expect(images == .array([
            .map([("slot", 0), ("version", "1.0.0"), ("hash", .bytes(Self.v1.hash)), ("bootable", true), ("confirmed", true), ("active", true)]),
            .map([("slot", 1), ("version", "2.0.0"), ("hash", .bytes(Self.v2.hash)), ("bootable", true), ("pending", true)]),
        ]))
        // Asking again is idempotent: nothing more is written.
        let before = rig.flash.snapshot()
        #expect(rig.send(group: 1, command: 0, body: .map([("hash", .bytes(Self.v2.hash))])).reply.event
            == .stateWriteUnchanged)
        #expect(rig.flash.snapshot() == before)
        // A permanent request on top of a pending test: IMAGE_ALREADY_PENDING.
        let again = rig.send(version: 1, group: 1, command: 0, body: .map([("hash", .bytes(Self.v2.hash)), ("confirm", true)]))
        #expect(again.body == .map([("err", .map([("group", 1), ("rc", 28)]))]))
    }

    @Test func confirmByHashIsPermanent() throws {
        let rig = try Self.rig(policy: .slotMapping)
        let r = rig.send(group: 1, command: 0, body: .map([("hash", .bytes(Self.v2.hash)), ("confirm", true)]))
        #expect(r.reply.event == .imageMarked(SlotAddress(image: 0, slot: 1), .permanent))
        let trailer = Self.secondaryTrailer(rig)
        #expect(Array(trailer[24..<28]) == [0x01, 0xFF, 0xFF, 0xFF], "image_ok")
        #expect(Array(trailer[8..<12]) == [0x03, 0xFF, 0xFF, 0xFF], "swap_info PERM")
    }

    /// Under primary-only recovery may modify only primaries: a test of the secondary is refused
    /// like an erase of it (rc 11), and nothing is written.
    @Test func primaryOnlyRefusesMarkingTheSecondary() throws {
        let rig = try Self.rig(policy: .primaryOnly)
        let before = rig.flash.snapshot()
        let r = rig.send(version: 1, group: 1, command: 0, body: .map([("hash", .bytes(Self.v2.hash))]))
        #expect(r.body == .map([("rc", 11)]))
        guard case .stateWriteDenied(SlotAddress(image: 0, slot: 1), _)? = r.reply.event else {
            Issue.record("event \(String(describing: r.reply.event))")
            return
        }
        #expect(rig.flash.snapshot() == before)
    }

    @Test(arguments: [
        // (body, v1 rc, v2 group rc)
        (CBOR.map([("hash", .bytes([UInt8](repeating: 0xAB, count: 32)))]), 5, 8),  // unknown hash
        (.map([("hash", .bytes([1, 2, 3]))]), 3, 24),  // not 32 bytes
        (.map([]), 3, 24),  // neither hash nor confirm
        (.map([("hash", .bytes(v1.hash))]), 6, 33),  // a test of the image in the primary
        (.map([("hash", "text")]), 3, -1),  // wrong type: EINVAL at the SMP layer
    ])
    func refusals(body: CBOR, v1rc: Int, v2rc: Int) throws {
        let rig = try Self.rig(policy: .slotMapping)
        let before = rig.flash.snapshot()
        let old = rig.send(version: 0, group: 1, command: 0, body: body)
        #expect(old.body == .map([("rc", .unsigned(UInt64(v1rc)))]))
        let new = rig.send(version: 1, group: 1, command: 0, body: body)
        #expect(new.body == (v2rc < 0 ? .map([("rc", 3)]) : .map([("err", .map([("group", 1), ("rc", .unsigned(UInt64(v2rc)))]))])))
        #expect(rig.flash.snapshot() == before)
    }

    /// A secondary whose trailer magic is torn (neither erased nor good) cannot be marked: the
    /// slot must be erased first (INVALID_IMAGE_HEADER_MAGIC, 23).
    @Test func tornTrailerMagicIsRefused() throws {
        let rig = try Self.rig(policy: .slotMapping)
        try rig.flash.load([0x77, 0xC2, 0x95, 0xF3, 0x60, 0xD2, 0xEF, 0x7F], at: Addr.secondary0.upperBound - 16)
        let r = rig.send(version: 1, group: 1, command: 0, body: .map([("hash", .bytes(Self.v2.hash))]))
        #expect(r.body == .map([("err", .map([("group", 1), ("rc", 23)]))]))
    }
}
