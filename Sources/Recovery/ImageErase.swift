import DFUTarget
import FlashKit
import SMP

extension RecoveryServer {
    /// Image erase (group 1, command 5): `{"slot": n}` erases slot `n` in MCUboot's flat numbering
    /// (`image * 2 + slot`; default 1, the secondary of image 0, as Zephyr's img_mgmt).
    /// MCUboot's serial recovery answers ENOTSUP; Lifeboat erases, range-checked and bounded by
    /// the policy (``UploadPolicy/mayModify(_:)``: under primary-only, the default slot 1 is
    /// refused with EACCESSDENIED), and forgets an upload in progress to that slot.
    @inline(never)
    mutating func imageErase(_ x: inout Exchange) {
        var index = 1
        if !x.payload.isEmpty {
            var reader = CBORReader(x.payload)
            do throws(CBORError) {
                var scan = try CBORMapScanner(&reader, keys: ["slot"])
                while let key = try scan.next(&reader) {
                    if key == 0 { index = Int(clamping: try reader.readUnsigned()) }
                }
            } catch {
                return x.fail(.invalid)
            }
        }
        guard index >= 0 else {
            return x.fail(v1: .invalid, v2: ImageManagementError.invalidSlot.rawValue)
        }
        let address = SlotAddress(image: index / 2, slot: index % 2)
        let area: Slots.Area
        do throws(SlotAccessError) {
            area = try modifiableArea(address)
        } catch .noSuchSlot {
            return x.fail(v1: .invalid, v2: ImageManagementError.invalidSlot.rawValue)
        } catch {
            // A slot outside the policy: refused at the SMP layer (rc 11, EACCESSDENIED, in both
            // protocol versions, as Zephyr answers a request a command hook denies).
            x.event = .eraseRefused(address, error)
            return x.fail(.accessDenied)
        }
        if upload.target == address { upload.abandon() }
        do throws(FlashError) {
            try area.erase(at: 0, count: area.size)
        } catch {
            return x.fail(v1: .invalid, v2: ImageManagementError.flashEraseFailed.rawValue)
        }
        x.event = .slotErased(address)
        x.succeed()
    }
}
