import DFUTarget
import SMP

extension RecoveryServer {
    /// `os echo` (group 0, command 0): `{"d": text}` → `{"r": text}`. Any op, as MCUboot.
    /// A missing or non-text `d` is EINVAL; a response that does not fit is ENOMEM.
    @inline(never)
    func echo(_ x: inout Exchange) {
        let text: UnsafeRawBufferPointer?
        do throws(CBORError) { text = try SMPBodies.text("d", in: x.payload) } catch { return x.fail(.invalid) }
        guard let text else { return x.fail(.invalid) }
        x.writer.beginMap()
        x.writer.key("r")
        x.writer.text(bytes: text)
        x.writer.end()
    }
}
