import DFUTarget
import FlashKit
import BootCrypto
import MCUbootImage
import SMP

extension RecoveryServer {
    /// Image state read (group 1, command 0, READ): `{"images": [{…}, …]}` with one entry per slot
    /// holding an image that checks out, as MCUboot's `bs_list` (invalid images are not listed):
    /// `"image"` (only with more than one image), `"slot"`, `"version"` ("maj.min.rev", plus
    /// ".build" when non-zero), `"hash"` (the image's SHA-256 TLV), then MCUboot's IMAGE_STATE
    /// flags, each only when true: `bootable`, `pending`, `confirmed`, `active`, `permanent`
    /// (from both trailers with the swap tables, ``DFUTarget/ImageSlotState``). As in MCUboot, the
    /// flags come with image state write (``RecoveryFeatureSet/imageStateWrite``): without it the
    /// list is slot, version and hash.
    ///
    /// "Checks out" means ``ImageValidator`` accepts it under the configured ``ImagePolicy``: the
    /// header is sound, the SHA-256 TLV matches, and, when keys are configured, a trusted key's
    /// signature verifies (without keys: the hash only, as MCUboot built without a signature type).
    @inline(never)
    func imageStateRead(_ x: inout Exchange) {
        let validator = ImageValidator(policy: configuration.imagePolicy)
        let core = DFUCore(slots: slots, overwriteOnly: configuration.bootloaderMode == 2)
        x.writer.beginMap()
        x.writer.key("images")
        x.writer.beginArray()
        for image in 0..<slots.imageCount {
            let state = Features.imageStateWrite ? core.state(image: image) : nil
            for slot in 0..<2 {
                guard let area = slots.area(image: image, slot: slot),
                    let found = try? validator.validate(area)
                else { continue }
                x.writer.beginMap()
                if slots.imageCount > 1 {
                    x.writer.key("image")
                    x.writer.unsigned(UInt64(image))
                }
                x.writer.key("slot")
                x.writer.unsigned(UInt64(slot))
                SMPBodies.writeVersion(found.version, to: &x.writer)
                x.writer.key("hash")
                found.image.hash.withUnsafeBytes { x.writer.bytes($0) }
                // MCUboot's IMAGE_STATE flags, each only when true (from the swap tables).
                guard let state else {
                    x.writer.end()
                    continue
                }
                let flags = state.flags(slot: slot)
                if found.image.isBootable { x.writer.key("bootable"); x.writer.bool(true) }
                if flags.contains(.pending) { x.writer.key("pending"); x.writer.bool(true) }
                if flags.contains(.confirmed) { x.writer.key("confirmed"); x.writer.bool(true) }
                if flags.contains(.active) { x.writer.key("active"); x.writer.bool(true) }
                if flags.contains(.permanent) { x.writer.key("permanent"); x.writer.bool(true) }
                x.writer.end()
            }
        }
        x.writer.end()
        x.writer.end()
    }
}
