import BootCrypto
import MCUbootImage

/// A test-only MCUboot image builder: header (padded), body, an optional protected TLV area, and
/// an unprotected TLV area holding a SHA-256 TLV computed with BootCrypto, laid out like imgtool.
struct TestImage {
    var headerSize: UInt16 = 0x200
    var headerPadding: UInt8 = 0xFF
    var body: [UInt8] = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    var version = ImageVersion(major: 1, minor: 2, revision: 3)
    var flags: ImageFlags = []
    var loadAddress: UInt32 = 0
    /// Entries of the protected area; no area at all when empty.
    var protectedTLVs: [(type: UInt16, data: [UInt8])] = []
    /// Unprotected entries before the hash TLV.
    var tlvsBeforeHash: [(type: UInt16, data: [UInt8])] = []
    /// Unprotected entries after the hash TLV.
    var tlvsAfterHash: [(type: UInt16, data: [UInt8])] = []
    /// Hash TLVs to write: 1 normally; 0 for none, 2 for a duplicate.
    var hashTLVCount = 1
    /// Length of the hash TLV; the digest is truncated or zero-extended to it.
    var hashLength = 32

    /// Where the parts landed in the last build.
    struct Layout {
        var bytes: [UInt8]
        var protectedStart: Int
        var unprotectedStart: Int
        var hashDataOffset: Int
        var digest: SHA256.Digest
        var hashedSize: Int { unprotectedStart }
    }

    func build() -> Layout {
        var out = [UInt8](repeating: headerPadding, count: Int(headerSize))
        let protectedSize = protectedTLVs.isEmpty ? 0 : 4 + protectedTLVs.reduce(0) { $0 + 4 + $1.data.count }
        let header = ImageHeader(
            loadAddress: loadAddress, headerSize: headerSize, protectedTLVSize: UInt16(protectedSize),
            imageSize: UInt32(body.count), flags: flags, version: version)
        var raw = [UInt8](repeating: 0, count: 32)
        raw.withUnsafeMutableBytes { header.encode(into: $0) }
        out.replaceSubrange(0..<32, with: raw)
        out += body
        let protectedStart = out.count
        if !protectedTLVs.isEmpty {
            out += le16(0x6908) + le16(UInt16(protectedSize))
            for tlv in protectedTLVs { out += le16(tlv.type) + le16(UInt16(tlv.data.count)) + tlv.data }
        }
        let unprotectedStart = out.count
        let digest = out.withUnsafeBytes { SHA256.hash($0) }
        var hashBytes = digest.withUnsafeBytes { Array($0) }
        if hashLength < 32 { hashBytes = Array(hashBytes[0..<hashLength]) }
        if hashLength > 32 { hashBytes += [UInt8](repeating: 0, count: hashLength - 32) }

        var area: [UInt8] = []
        for tlv in tlvsBeforeHash { area += le16(tlv.type) + le16(UInt16(tlv.data.count)) + tlv.data }
        let hashDataOffset = unprotectedStart + 4 + area.count + 4
        for _ in 0..<hashTLVCount { area += le16(0x10) + le16(UInt16(hashBytes.count)) + hashBytes }
        for tlv in tlvsAfterHash { area += le16(tlv.type) + le16(UInt16(tlv.data.count)) + tlv.data }
        out += le16(0x6907) + le16(UInt16(4 + area.count)) + area
        return Layout(
            bytes: out, protectedStart: protectedStart, unprotectedStart: unprotectedStart,
            hashDataOffset: hashDataOffset, digest: digest)
    }
}

func le16(_ v: UInt16) -> [UInt8] { [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }
func le32(_ v: UInt32) -> [UInt8] { le16(UInt16(truncatingIfNeeded: v)) + le16(UInt16(truncatingIfNeeded: v >> 16)) }

extension Array where Element == UInt8 {
    mutating func patch(_ bytes: [UInt8], at offset: Int) {
        replaceSubrange(offset..<(offset + bytes.count), with: bytes)
    }
}

/// Default slot size of the tests: imgtool's `--slot-size 0x76000` would be slow to hash byte by
/// byte in a debug test double, so the tests use a few sectors.
let testSlotSize = 0x8000

func inspect(_ image: [UInt8], slotSize: Int = testSlotSize, erasedValue: UInt8 = 0xFF) -> Result<SlotImage, ImageRejection> {
    inspectImage(in: MemoryFlash(holding: image, size: slotSize, erasedValue: erasedValue))
}

extension Result where Failure == ImageRejection {
    var rejection: ImageRejection? {
        if case .failure(let r) = self { return r }
        return nil
    }
    var image: Success? {
        if case .success(let s) = self { return s }
        return nil
    }
}
