import BootCrypto
import FlashKit
import MCUbootImage

/// img_mgmt's per-slot state flags, with Zephyr's `IMG_MGMT_STATE_F_*` bit values.
public struct SlotFlags: OptionSet, Equatable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let pending = SlotFlags(rawValue: 0x01)
    public static let confirmed = SlotFlags(rawValue: 0x02)
    public static let active = SlotFlags(rawValue: 0x04)
    public static let permanent = SlotFlags(rawValue: 0x08)
}

/// What the next boot does with an image (Zephyr `img_mgmt_get_next_boot_slot`).
public enum NextBootType: Equatable, Sendable {
    case normal, test, revert
}

/// The state of one image's two slots as an application's img_mgmt (and MCUboot's `bs_list`)
/// computes it: the swap type from both trailers with MCUboot's tables, the slot that runs
/// (the primary: the image always runs from slot 0 in swap and overwrite modes) and the slot the
/// next boot runs.
///
/// | swap type | next boot | primary (active) | secondary |
/// |---|---|---|---|
/// | NONE | primary, normal | active, confirmed | – |
/// | TEST | secondary, test | active, confirmed | pending |
/// | PERM | secondary, normal | active, confirmed | pending, permanent |
/// | REVERT | secondary, revert | active | confirmed |
public struct ImageSlotState: Equatable, Sendable {
    public var swapType: ImageTrailer.SwapType
    /// The slot the image runs from (0).
    public var activeSlot: Int { 0 }
    public var nextBootSlot: Int
    public var nextBoot: NextBootType

    public init(swapType: ImageTrailer.SwapType) {
        self.swapType = swapType
        switch swapType {
        case .test: (nextBootSlot, nextBoot) = (1, .test)
        case .permanent: (nextBootSlot, nextBoot) = (1, .normal)
        case .revert: (nextBootSlot, nextBoot) = (1, .revert)
        default: (nextBootSlot, nextBoot) = (0, .normal)
        }
    }

    /// The flags of `slot` (0 or 1).
    public func flags(slot: Int) -> SlotFlags {
        switch (swapType, slot) {
        case (.test, 0), (.permanent, 0): [.active, .confirmed]
        case (.test, 1): [.pending]
        case (.permanent, 1): [.pending, .permanent]
        case (.revert, 0): [.active]
        case (.revert, 1): [.confirmed]
        case (_, 0): [.active, .confirmed]
        default: []
        }
    }

    /// Zephyr `img_mgmt_slot_in_use`: the running slot, and the revert target of an unconfirmed
    /// test image, may not be uploaded to or erased. A pending test or permanent image may
    /// (`CONFIG_MCUMGR_GRP_IMG_ALLOW_ERASE_PENDING`, default y): the upload's trailer scrub drops
    /// the request.
    public func inUse(slot: Int) -> Bool {
        slot == activeSlot || (slot == nextBootSlot && nextBoot == .revert)
    }
}

/// The DFU target core over a board's slots: what recovery's handlers and the application stage
/// (and a Mesh DFU front end) share to read slot state, mark an image for test or permanent,
/// confirm the running one, and check what may be erased or uploaded to.
///
/// Trailers are read and written with MCUboot's layout (``MCUbootImage/TrailerLayout``):
/// `overwriteOnly` trailers have no swap_info.
public struct DFUCore<Slots: SlotMap> {
    public let slots: Slots
    public var overwriteOnly: Bool

    public init(slots: Slots, overwriteOnly: Bool = false) {
        self.slots = slots
        self.overwriteOnly = overwriteOnly
    }

    func layout(_ area: Slots.Area) -> TrailerLayout { TrailerLayout(slot: area, overwriteOnly: overwriteOnly) }

    /// The state of `image`'s slots. A slot whose trailer cannot be read counts as erased.
    public func state(image: Int) -> ImageSlotState {
        guard let primary = slots.area(image: image, slot: 0) else { return ImageSlotState(swapType: .none) }
        let unset = ImageTrailer(magic: .unset, imageOK: .unset, copyDone: .unset)
        let p = (try? ImageTrailer(reading: primary, layout: layout(primary))) ?? unset
        let s = slots.area(image: image, slot: 1).flatMap { try? ImageTrailer(reading: $0, layout: layout($0)) } ?? unset
        return ImageSlotState(swapType: ImageTrailer.swapType(primary: p, secondary: s))
    }

    /// The header and SHA-256 TLV of the image in `address`, read as img_mgmt reads them (no
    /// hashing, no signature), or nil for an empty or unreadable slot.
    public func info(_ address: SlotAddress) -> (header: ImageHeader, hash: SHA256.Digest)? {
        guard let area = slots.area(image: address.image, slot: address.slot) else { return nil }
        return try? ImageInspector().readInfo(from: area)
    }

    /// The first slot (in slot order, as `img_mgmt_find_by_hash`) whose image's SHA-256 TLV is `hash`.
    public func slot(withHash hash: UnsafeRawBufferPointer) -> SlotAddress? {
        guard hash.count == SHA256.Digest.byteCount else { return nil }
        for image in 0..<slots.imageCount {
            for slot in 0..<2 {
                let address = SlotAddress(image: image, slot: slot)
                guard let found = info(address) else { continue }
                var same = true
                for i in 0..<32 where found.hash.bytes[i] != hash[i] { same = false }
                if same { return address }
            }
        }
        return nil
    }

    /// Zephyr's `img_mgmt_state_write` rules (inapp-dfu.md §1.3): which slot a `{hash, confirm}`
    /// request marks, and whether it may. Returns the slot to mark and whether it is the active
    /// one; nil when the request is already satisfied (nothing to write).
    public func stateWriteTarget(hash: UnsafeRawBufferPointer?, confirm: Bool) throws(DFUError) -> (SlotAddress, active: Bool)? {
        let address: SlotAddress
        if let hash, hash.count > 0 {
            guard hash.count == SHA256.Digest.byteCount else { throw .invalidHash }
            guard let found = slot(withHash: hash) else { throw .hashNotFound }
            address = found
        } else {
            guard confirm else { throw .invalidHash }
            address = SlotAddress(image: 0, slot: 0)
        }
        let state = state(image: address.image)
        let active = address.slot == state.activeSlot
        // 1. Only the running image, or (Zephyr's default ..._SECONDARY) an image's secondary
        //    as a permanent request, can be confirmed.
        if confirm && !active && address.slot != 1 { throw .confirmationDenied }
        // 2. A test of the running image.
        if !confirm && active { throw .testToActiveDenied }
        let isNext = address.slot == state.nextBootSlot
        switch state.nextBoot {
        case .test:
            if !confirm && isNext { return nil }
            throw .alreadyPending
        case .normal:
            if confirm && isNext { return nil }
            if (active && state.activeSlot != state.nextBootSlot) || (!confirm && !active && isNext) { throw .alreadyPending }
        case .revert:
            if confirm && isNext { return nil }
            if !confirm { throw .alreadyPending }
        }
        return (address, active)
    }

    /// Marks a slot as `stateWriteTarget` chose it: MCUboot's `boot_set_next(fa, active,
    /// confirm)` (a test or permanent request in a secondary, image_ok in the running primary).
    /// The caller has checked that it may modify `address`.
    public func setNext(_ address: SlotAddress, active: Bool, confirm: Bool) throws(DFUError) {
        guard let area = slots.area(image: address.image, slot: address.slot) else { throw .imageOutOfRange }
        do throws(SetNextError) {
            try layout(area).setNext(area, image: UInt8(truncatingIfNeeded: address.image), active: active, confirm: confirm)
        } catch {
            switch error {
            case .badMagic(let active): throw .badTrailer(active: active)
            case .flash(let fault): throw .trailerWriteFailed(fault)
            }
        }
    }

    /// Zephyr `img_mgmt_erase`'s guard: a slot holding a readable image that is in use may not
    /// be erased.
    public func checkErasable(_ address: SlotAddress) throws(DFUError) {
        guard info(address) != nil else { return }
        if state(image: address.image).inUse(slot: address.slot) { throw .noFreeSlot }
    }
}
