import BootCrypto

/// What a bootloader accepts beyond a sound image with a matching hash: configuration as a
/// value (DESIGN.md), the same in firmware and in the simulator.
public struct ImagePolicy: Sendable {
    /// Keys whose signatures count. Empty: images need only their SHA-256 TLV, as with MCUboot
    /// built without a signature type.
    public var trustedKeys: [TrustedKey]
    /// Reject images without a valid signature by a trusted key (true whenever keys are given).
    public var requireSignature: Bool
    /// Downgrade prevention by version: images older than this are refused (build number ignored,
    /// as MCUboot's default `boot_compare_version`).
    public var minimumVersion: ImageVersion?
    /// Rollback protection: images whose protected SEC_CNT is lower than this are refused, and
    /// images without one too.
    public var minimumSecurityCounter: UInt32?
    /// The SHA-256 backend that hashes images (not part of what is accepted: every engine gives
    /// the same digest). Firmware uses the portable one; the simulator may use the host's.
    public var sha256: SHA256.Engine = .portable

    public init(
        trustedKeys: [TrustedKey] = [], requireSignature: Bool? = nil,
        minimumVersion: ImageVersion? = nil, minimumSecurityCounter: UInt32? = nil
    ) {
        self.trustedKeys = trustedKeys
        self.requireSignature = requireSignature ?? !trustedKeys.isEmpty
        self.minimumVersion = minimumVersion
        self.minimumSecurityCounter = minimumSecurityCounter
    }
}
