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
    func slotInfo(_ x: inout Exchange) {
        x.writer.beginMap()
        x.writer.key("images")
        x.writer.beginArray()
        for image in 0..<slots.imageCount {
            x.writer.beginMap()
            x.writer.key("image")
            x.writer.unsigned(UInt64(image))
            x.writer.key("slots")
            x.writer.beginArray()
            for slot in 0..<2 {
                guard let area = slots.area(image: image, slot: slot) else { continue }
                x.writer.beginMap()
                x.writer.key("slot")
                x.writer.unsigned(UInt64(slot))
                x.writer.key("size")
                x.writer.unsigned(UInt64(area.size))
                if let id = configuration.policy.uploadImageID(for: SlotAddress(image: image, slot: slot)) {
                    x.writer.key("upload_image_id")
                    x.writer.unsigned(UInt64(id))
                }
                x.writer.end()
            }
            x.writer.end()
            x.writer.end()
        }
        x.writer.end()
        x.writer.end()
    }
}
