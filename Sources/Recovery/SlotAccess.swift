import DFUTarget
import FlashKit

/// What a request may write or erase: the one rule every handler that modifies flash asks.
///
/// A policy bounds *every* modifying request, not only uploads: under primary-only, recovery may
/// touch the primary slots and nothing else, whatever command a client sends (an erase of the
/// secondary slot once slipped past a policy that only uploads consulted). Erase reaches its slot
/// through ``RecoveryServer/modifiableArea(_:)``; an upload's target comes from
/// ``UploadPolicy/target(image:in:)``, which asks the same rule.
extension UploadPolicy {
    /// True when requests under this policy may write or erase `address`.
    ///
    /// - primary-only: the primary slot of each image (MCUboot's serial recovery writes nothing else);
    /// - slot mapping: every slot (uploads go to secondaries, the bootloader swaps them in).
    public func mayModify(_ address: SlotAddress) -> Bool {
        switch self {
        case .primaryOnly: address.slot == 0
        case .slotMapping: true
        }
    }
}

/// Why a request may not modify the slot it names.
public enum SlotAccessError: Error, Equatable, Sendable {
    /// The layout has no such slot.
    case noSuchSlot
    /// The slot exists, but the active policy does not let recovery modify it.
    case deniedByPolicy(UploadPolicy)

    public var description: StaticString {
        switch self {
        case .noSuchSlot: "the layout has no such slot"
        case .deniedByPolicy(.primaryOnly): "policy primary-only: recovery may modify only primary slots"
        case .deniedByPolicy(.slotMapping): "denied by policy slot-mapping"
        }
    }
}

extension RecoveryServer {
    /// The area of `address` when the active policy lets a request modify it.
    func modifiableArea(_ address: SlotAddress) throws(SlotAccessError) -> Slots.Area {
        guard address.image >= 0, address.image < slots.imageCount, address.slot >= 0,
            let area = slots.area(image: address.image, slot: address.slot)
        else { throw .noSuchSlot }
        guard configuration.policy.mayModify(address) else { throw .deniedByPolicy(configuration.policy) }
        return area
    }
}
