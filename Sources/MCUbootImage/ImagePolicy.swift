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
    /// The signature algorithms this build verifies (default: all). Firmware names only the one
    /// its keys use, so the others are not linked.
    public var signatureAlgorithms: SignatureAlgorithms

    /// A policy for a build that verifies only `signatureAlgorithms` (firmware: pass it, so that
    /// nothing refers to ``SignatureAlgorithms/all``).
    public init(
        signatureAlgorithms: SignatureAlgorithms, trustedKeys: [TrustedKey] = [], requireSignature: Bool? = nil,
        minimumVersion: ImageVersion? = nil, minimumSecurityCounter: UInt32? = nil
    ) {
        self.signatureAlgorithms = signatureAlgorithms
        self.trustedKeys = trustedKeys
        self.requireSignature = requireSignature ?? !trustedKeys.isEmpty
        self.minimumVersion = minimumVersion
        self.minimumSecurityCounter = minimumSecurityCounter
    }

    public init(
        trustedKeys: [TrustedKey] = [], requireSignature: Bool? = nil,
        minimumVersion: ImageVersion? = nil, minimumSecurityCounter: UInt32? = nil
    ) {
        self.signatureAlgorithms = .all
        self.trustedKeys = trustedKeys
        self.requireSignature = requireSignature ?? !trustedKeys.isEmpty
        self.minimumVersion = minimumVersion
        self.minimumSecurityCounter = minimumSecurityCounter
    }
}
