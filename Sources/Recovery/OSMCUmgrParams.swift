import DFUTarget
import SMP

extension RecoveryServer {
    /// MCUmgr params (group 0, command 6): `{"buf_size": N, "buf_count": K}` (K is 1, MCUboot's,
    /// unless the configuration says the link holds more requests). `buf_size` is the
    /// real reassembly buffer, so clients that negotiate (smpclient `Auto()`, mcumgr-toolkit,
    /// Nordic's libraries) send SMP messages of up to `N - 4` bytes instead of 169.
    @inline(never)
    func mcumgrParams(_ x: inout Exchange) {
        x.writer.beginMap()
        x.writer.key("buf_size")
        x.writer.unsigned(UInt64(configuration.receiveBufferSize))
        x.writer.key("buf_count")
        x.writer.unsigned(UInt64(configuration.receiveBufferCount))
        x.writer.end()
    }
}
