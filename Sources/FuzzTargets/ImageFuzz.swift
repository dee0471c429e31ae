import Crypto
import Foundation
import FlashKit
import MCUbootImage

/// An image slot's bytes through the header parser, the TLV walk and the validator, hash-only and
/// with trusted keys of all four signature types.
///
/// Oracles: an image the hash-only validator accepts has the SHA-256 that swift-crypto computes
/// over header + body + protected TLVs; an image a trusted key accepts is also accepted hash-only
/// and names the key.
enum ImageFuzz {
    static let sectorSize = 0x1000
    /// The largest slot the target builds (inputs are cut there; `tools/fuzz` sets `-max_len`).
    static let maxSlot = 0x10000

    static func run(_ input: UnsafeRawBufferPointer, _ v: inout FuzzViolations) {
        let count = min(input.count, maxSlot)
        let slotSize = max(sectorSize, (count + sectorSize - 1) / sectorSize * sectorSize)
        let bytes = Array(input[0..<count])
        let flash = SlotBytes(bytes: bytes, size: slotSize)
        let inspected = try? ImageInspector().inspect(flash)
        let hashOnly = try? ImageValidator(policy: ImagePolicy()).validate(flash)
        let signed = try? ImageValidator(policy: ImagePolicy(trustedKeys: FuzzKeys.all)).validate(flash)

        // The validator adds TLV rules (SEC_CNT protected, signatures) to what the inspector
        // checks: it may refuse what the inspector takes, never the other way round.
        v.check(hashOnly == nil || inspected == hashOnly?.image, "the validator accepts an image the inspector refuses or reads differently")
        if let image = hashOnly {
            let h = image.image.header
            let covered = Int(h.headerSize) + Int(h.imageSize) + Int(h.protectedTLVSize)
            v.check(covered <= slotSize, "accepted an image whose hashed region (\(covered)) exceeds the slot")
            if covered <= slotSize {
                var region = [UInt8](repeating: 0xFF, count: covered)
                region.replaceSubrange(0..<min(covered, count), with: bytes[0..<min(covered, count)])
                let expected = Array(Crypto.SHA256.hash(data: region))
                let digest = image.image.hash.bytes
                let got = (0..<32).map { digest[$0] }
                v.check(got == expected, "accepted an image whose SHA-256 TLV is not the hash of its region")
            }
            v.check(image.image.occupiedSize <= slotSize, "TLV area ends past the slot")
        }
        if let signed {
            v.check(hashOnly != nil, "a signature was accepted where the hash alone is not")
            v.check(signed.keyIndex.map { $0 >= 0 && $0 < FuzzKeys.all.count } == true, "accepted with keys but no key named")
        }
    }
}

/// A slot in RAM for the validator, which only reads: the input, then erased bytes up to `size`.
/// (The strict NOR model would cost a per-byte load and two allocations per run.)
struct SlotBytes: NORFlash {
    let bytes: [UInt8]
    let size: Int
    var eraseSize: Int { ImageFuzz.sectorSize }
    var writeSize: Int { 4 }
    var erasedValue: UInt8 { 0xFF }

    func read(at offset: Int, into buffer: inout MutableSpan<UInt8>) throws(FlashError) {
        let count = buffer.count
        guard offset >= 0, count <= size, offset <= size - count else { throw .outOfBounds }
        let available = max(0, min(count, bytes.count - offset))
        buffer.withUnsafeMutableBytes { out in
            if available > 0 {
                bytes.withUnsafeBytes { src in out.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: available) }
            }
            if available < count { memset(out.baseAddress! + available, 0xFF, count - available) }
        }
    }
    func write(at offset: Int, _ bytes: Span<UInt8>) throws(FlashError) { throw .deviceFault }
    func erase(at offset: Int, count: Int) throws(FlashError) { throw .deviceFault }
}
