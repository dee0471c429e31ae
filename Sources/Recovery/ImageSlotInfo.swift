import DFUTarget
import FlashKit
import SMP

extension RecoveryServer {
    /// Slot info (group 1, command 6, READ):
    /// `{"images": [{"image": i, "slots": [{"slot": s, "size": n, "upload_image_id": u}, …]}]}`.
    ///
    /// `upload_image_id` is the `image` value that uploads to that slot under the active policy:
    /// with slot mapping every slot has one (`image * 2 + slot + 1`); with primary-only only the
    /// primary slot, which is where such uploads land.
    @inline(never)
    func slotInfo(_ x: inout Exchange) {
        let policy = configuration.policy
        SMPBodies.writeSlotInfo(slots, to: &x.writer) { policy.uploadImageID(for: $0) }
    }
}
