import DFUTarget
import MCUbootImage
import SMP

/// How a recovery server behaves: configuration as values, not `#if` (DESIGN.md).
public struct RecoveryConfiguration: Sendable {
    /// Where uploads go.
    public var policy: UploadPolicy
    /// The reassembly buffer reported by MCUmgr params as `buf_size`: the largest decoded frame
    /// (length prefix + SMP message + CRC) the link accepts. Clients using smpclient's automatic
    /// fragmentation send SMP messages of up to `buf_size - 4` bytes.
    public var receiveBufferSize: Int
    /// Requests the link can hold at once, reported by MCUmgr params as `buf_count`: 1 is
    /// MCUboot's (one request in flight); 2 or more says the receive path takes the next request
    /// while the current one's flash work runs (double-buffered reception), so a client may keep
    /// that many requests outstanding.
    public var receiveBufferCount: Int
    /// Answer `os echo` (MCUboot: `CONFIG_BOOT_MGMT_ECHO`, off by default; on here because clients
    /// use it to probe the link).
    public var echo: Bool
    /// The MCUboot mode reported by bootloader info `{"query":"mode"}` (0 single application,
    /// 1 swap using scratch, 2 overwrite only, 3 swap using move, 4 direct-XIP, 5 direct-XIP with
    /// revert, 6 RAM load).
    public var bootloaderMode: Int
    /// What makes an image valid (trusted keys, downgrade floors): image state read lists a slot
    /// only when its image passes, as MCUboot's `bs_list` does.
    public var imagePolicy: ImagePolicy

    public init(
        policy: UploadPolicy,
        imagePolicy: ImagePolicy = ImagePolicy(),
        receiveBufferSize: Int = ConsoleFrameDecoder.capacity,
        receiveBufferCount: Int = 1,
        echo: Bool = true,
        bootloaderMode: Int? = nil
    ) {
        self.policy = policy
        self.imagePolicy = imagePolicy
        self.receiveBufferSize = receiveBufferSize
        self.receiveBufferCount = max(1, receiveBufferCount)
        self.echo = echo
        // Until the Bootloader module picks a strategy: primary-only recovery is the single-slot
        // flow; slot mapping exists to let the bootloader swap (MCUboot's default, swap using move).
        self.bootloaderMode = bootloaderMode ?? (policy == .primaryOnly ? 0 : 3)
    }
}
