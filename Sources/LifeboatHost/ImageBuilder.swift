import BootCrypto
import MCUbootImage

/// Builds MCUboot images on the host, laid out as imgtool lays them out:
/// `[header, padded to headerSize][body][unprotected TLV area: 0x6907 info + SHA-256 TLV]`.
///
/// This is the hash-only form (imgtool `sign` without `--key`): what MCUboot built without a
/// signature type accepts. Signing lands with `lifeboat image sign`.
public struct ImageBuilder: Sendable {
    public var version: ImageVersion
    public var headerSize: Int = 0x200
    /// Fill of the header padding (imgtool `--pad-header` writes 0xFF).
    public var headerFill: UInt8 = 0xFF
    public var loadAddress: UInt32 = 0
    public var flags: ImageFlags = []

    public init(version: ImageVersion) {
        self.version = version
    }

    /// The image for `body` (the application binary).
    public func build(body: [UInt8]) -> [UInt8] {
        precondition(headerSize >= ImageHeader.size && headerSize <= Int(UInt16.max), "header size out of range")
        var image = [UInt8](repeating: headerFill, count: headerSize)
        let header = ImageHeader(
            loadAddress: loadAddress, headerSize: UInt16(headerSize), protectedTLVSize: 0,
            imageSize: UInt32(body.count), flags: flags, version: version)
        image.withUnsafeMutableBytes { header.encode(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<ImageHeader.size])) }
        image += body
        let digest = image.withUnsafeBytes { SHA256.hash($0) }
        let tlvTotal = TLVInfo.size + 4 + SHA256.Digest.byteCount
        image += Self.le16(TLVInfo.unprotectedMagic) + Self.le16(UInt16(tlvTotal))
        image += Self.le16(TLVType.sha256.rawValue) + Self.le16(UInt16(SHA256.Digest.byteCount))
        image += digest.withUnsafeBytes { Array($0) }
        return image
    }

    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)] }
}
