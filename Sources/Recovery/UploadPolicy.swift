import DFUTarget
/// Where an upload's `image` number sends the data: the choice MCUboot users argue about.
public enum UploadPolicy: Equatable, Sendable, UploadTargeting {
    /// MCUboot's default serial recovery: image `N` is written straight into the **primary** slot
    /// of image `N`, overwriting the application (no test/swap/revert cycle). Unlike MCUboot,
    /// `N` is range-checked against the layout instead of indexing past the slot table.
    case primaryOnly
    /// MCUboot's `MCUBOOT_SERIAL_DIRECT_IMAGE_UPLOAD` numbering: 0 and 1 → slot 0 (primary of
    /// image 0), 2 → slot 1 (secondary of image 0), 3 → primary of image 1, 4 → its secondary, …
    /// Only slots that exist in the layout are accepted. An upload to a secondary slot is then
    /// swapped in by the bootloader (with revert) instead of overwriting the running image.
    case slotMapping

    /// The slot an upload with `image` targets, or nil when the number is out of range for this
    /// policy and layout.
    public func target(image: Int, in slots: some SlotMap) -> SlotAddress? {
        let address: SlotAddress
        switch self {
        case .primaryOnly:
            address = SlotAddress(image: image, slot: 0)
        case .slotMapping:
            // 0 is "the default", the same as 1.
            let id = image == 0 ? 1 : image
            address = SlotAddress(image: (id - 1) / 2, slot: (id - 1) % 2)
        }
        guard image >= 0, address.image < slots.imageCount,
            slots.area(image: address.image, slot: address.slot) != nil,
            mayModify(address)
        else { return nil }
        return address
    }

    /// The `image` value a client sends to reach `address` (what slot info reports as
    /// `upload_image_id`), or nil when this policy cannot upload there.
    public func uploadImageID(for address: SlotAddress) -> Int? {
        switch self {
        case .primaryOnly: address.slot == 0 ? address.image : nil
        case .slotMapping: address.image * 2 + address.slot + 1
        }
    }
}
