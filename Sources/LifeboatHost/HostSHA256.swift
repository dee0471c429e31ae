import BootCrypto
import CHostSHA256

/// The host's SHA-256 engine for BootCrypto: the x86 SHA instructions when the CPU has them
/// (about six times the portable rounds), the portable engine otherwise. Used where the host
/// hashes the same images thousands of times (the power-cut sweep); the digest is the same.
public enum HostSHA256 {
    /// The fastest engine this machine has.
    public static let engine: SHA256.Engine =
        lifeboat_sha256_shani_available() != 0 ? SHA256.Engine(blockFunction: lifeboat_sha256_blocks_shani) : .portable

    /// What an engine is, for reports: `"portable"`, or `"x86 SHA extensions"` for this one.
    public static func name(of engine: SHA256.Engine) -> String { engine.isPortable ? "portable" : "x86 SHA extensions" }
}
