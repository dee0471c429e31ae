import DFUTarget
import SMP

extension RecoveryServer {
    /// Bootloader info (group 0, command 8), in Zephyr's form (MCUboot's serial recovery itself
    /// answers ENOTSUP): no query → `{"bootloader": "MCUboot"}`, so tools that detect the
    /// bootloader (mcumgr-toolkit) treat Lifeboat as MCUboot; `{"query": "mode"}` → `{"mode": n}`;
    /// any other query → OS error QUERY_YIELDS_NO_ANSWER (v2) / EINVAL (v1).
    @inline(never)
    func bootloaderInfo(_ x: inout Exchange) {
        let query: UnsafeRawBufferPointer?
        do throws(CBORError) { query = try SMPBodies.text("query", in: x.payload) } catch { return x.fail(.invalid) }
        if let query, !CBORReader.equal(query, "mode") {
            return x.fail(v1: .invalid, v2: OSManagementError.queryYieldsNoAnswer.rawValue)
        }
        x.writer.beginMap()
        guard query != nil else {
            x.writer.key("bootloader")
            x.writer.text("MCUboot")
            x.writer.end()
            return
        }
        x.writer.key("mode")
        x.writer.unsigned(UInt64(configuration.bootloaderMode))
        x.writer.end()
    }
}
