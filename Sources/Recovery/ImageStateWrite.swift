import DFUTarget
import FlashKit
import MCUbootImage
import SMP

/// What a state write did to a slot.
public enum ImageMark: Equatable, Sendable {
    /// A test request in the slot's trailer (`boot_set_next(slot, false, false)`): swapped in at
    /// the next reset, reverted at the one after unless confirmed.
    case test
    /// A permanent request (`boot_set_next(slot, false, true)`): swapped in for good.
    case permanent
    /// image_ok in the running image's trailer (`boot_set_next(primary, true, true)`).
    case confirmed
}

extension RecoveryServer {
    /// Image state write (group 1, command 0, WRITE): `{"hash": bstr(32)?, "confirm": bool?}`.
    ///
    /// MCUboot's `bs_set` always marks the secondary slot, even when the hash is the primary's;
    /// Lifeboat applies the application's rules instead (Zephyr `img_mgmt_state_write`,
    /// inapp-dfu.md §1.3, through ``DFUTarget/DFUCore``): test by hash marks the slot holding
    /// that image (a test of the image already in the primary is refused), `confirm` with a hash
    /// of a secondary is a permanent request, `confirm` alone confirms the primary. The trailer
    /// writes are MCUboot's `boot_set_next`. The slot written is bounded by the policy: under
    /// primary-only a test of a secondary is EACCESSDENIED, as its erase is. Success answers the
    /// image state, as the application does: the function returns `true` and the caller answers
    /// with ``imageStateRead(_:)`` once this frame is gone (called from here, the two frames
    /// added up on the stack, 2.1 KB on armv6m).
    @inline(never)
    mutating func imageStateWrite(_ x: inout Exchange) -> Bool {
        var hash: UnsafeRawBufferPointer?
        var confirm = false
        var reader = CBORReader(x.payload)
        do throws(CBORError) {
            var scan = try CBORMapScanner(&reader, keys: ["hash", "confirm"])
            while let key = try scan.next(&reader) {
                if key == 0 { hash = try reader.readBytes() } else { confirm = try reader.readBool() }
            }
        } catch {
            x.fail(.invalid)
            return false
        }
        let core = DFUCore(slots: slots, overwriteOnly: configuration.bootloaderMode == 2)
        do throws(DFUError) {
            if let (address, active) = try core.stateWriteTarget(hash: hash, confirm: confirm) {
                do throws(SlotAccessError) {
                    _ = try modifiableArea(address)
                } catch {
                    x.event = .stateWriteDenied(address, error)
                    x.fail(.accessDenied)
                    return false
                }
                try core.setNext(address, active: active, confirm: confirm)
                if upload.target == address { upload.abandon() }
                x.event = .imageMarked(address, active ? .confirmed : confirm ? .permanent : .test)
            } else {
                x.event = .stateWriteUnchanged
            }
        } catch {
            x.event = .stateWriteRefused(error)
            x.fail(v1: error.mgmtError, v2: error.imageManagementError.rawValue)
            return false
        }
        return true
    }
}
