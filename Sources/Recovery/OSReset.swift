import DFUTarget
import SMP

extension RecoveryServer {
    /// `os reset` (group 0, command 5): answer, then the transport resets the board. The payload
    /// (`force`, `boot_mode`) is ignored, as in MCUboot.
    @inline(never)
    func reset(_ x: inout Exchange) {
        x.succeed()
        x.action = .reset
    }
}
