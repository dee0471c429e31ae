/// Where an application's img_mgmt sends an upload (Zephyr `img_mgmt_get_unused_slot_area_id`,
/// inapp-dfu.md §1.5), with `CONFIG_MCUMGR_GRP_IMG_DIRECT_UPLOAD` as smp_svr builds it:
///
/// - `image` 0: the first slot of image 0 that is not in use, normally the secondary;
/// - `image` n ≥ 1: flat slot n − 1 (1 → slot 0, 2 → slot 1, 3 → image 1's primary, …), refused
///   with `NO_FREE_SLOT` when that slot is in use (the running image, or the revert target of an
///   unconfirmed test image).
///
/// Differs from MCUboot recovery's slot mapping only at `image` 0 (recovery: the primary).
public struct ApplicationUploadTarget: UploadTargeting, Sendable {
    public init() {}

    public func target(image: Int, in slots: some SlotMap) throws(UploadError) -> SlotAddress? {
        guard image >= 0 else { return nil }
        let core = DFUCore(slots: slots)
        if image == 0 {
            let state = core.state(image: 0)
            for slot in 0..<2 where slots.area(image: 0, slot: slot) != nil && !state.inUse(slot: slot) {
                return SlotAddress(image: 0, slot: slot)
            }
            throw .noFreeSlot
        }
        let address = SlotAddress(image: (image - 1) / 2, slot: (image - 1) % 2)
        guard address.image < slots.imageCount, slots.area(image: address.image, slot: address.slot) != nil else { return nil }
        if core.state(image: address.image).inUse(slot: address.slot) { throw .noFreeSlot }
        return address
    }

    /// The `image` value that reaches `address` (slot info's `upload_image_id`).
    public func uploadImageID(for address: SlotAddress) -> Int { address.flatIndex + 1 }
}
