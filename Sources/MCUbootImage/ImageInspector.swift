import BootCrypto
import FlashKit

/// Checks that a slot holds a well-formed MCUboot image whose SHA-256 TLV matches its contents:
/// everything of MCUboot's `bootutil_img_validate` except signatures. This is what the recovery
/// server's image-state read needs before signature checking lands.
///
/// Steps, each a public method so an `ImageValidator` with keys can reuse them and add a
/// signature pass over the same ``TLVLayout``:
///
/// 1. ``readHeader(from:)``: magic (erased → ``ImageRejection/noImage``), header self-consistency.
/// 2. ``checkHeader(_:slotSize:)``: flags this build supports; `hdr + img + prot` strictly inside
///    the slot (MCUboot `boot_check_header_valid`).
/// 3. ``TLVLayout/init(reading:header:)``: the two TLV areas.
/// 4. ``findHashTLV(in:layout:)``: exactly one SHA-256 TLV, exactly 32 bytes.
/// 5. ``computeHash(of:count:)``: SHA-256 of `[0, hashedSize)`, streamed through a 256-byte
///    stack buffer; compared with the TLV in constant time.
///
/// Nothing here allocates; flash is only read.
public struct ImageInspector: Sendable {
    /// Bytes per flash read while hashing (a stack buffer of this size).
    public static let chunkSize = 256

    /// How ``computeHash(of:count:)`` compresses (the digest is the same with any engine).
    public var sha256: SHA256.Engine

    public init(sha256: SHA256.Engine = .portable) { self.sha256 = sha256 }

    /// Inspects the image at offset 0 of `slot`.
    public func inspect<Flash: NORFlash>(_ slot: Flash) throws(ImageRejection) -> SlotImage {
        let header = try readHeader(from: slot)
        try checkHeader(header, slotSize: slot.size)
        let layout = try TLVLayout(reading: slot, header: header)
        let hashTLV = try findHashTLV(in: slot, layout: layout)
        let expected = try readDigest(from: slot, at: hashTLV.offset)
        let computed = try computeHash(of: slot, count: layout.unprotectedArea.lowerBound)
        let same = expected.withUnsafeBytes { a in computed.withUnsafeBytes { b in ConstantTime.equal(a, b) } }
        guard same else { throw .hashMismatch }
        return SlotImage(header: header, hash: expected, hashTLV: hashTLV, tlvs: layout)
    }

    /// Reads and parses the 32-byte header at offset 0. A magic that reads as the device's erased
    /// value (or 0xffffffff) is ``ImageRejection/noImage``.
    public func readHeader<Flash: NORFlash>(from slot: Flash) throws(ImageRejection) -> ImageHeader {
        guard slot.size >= ImageHeader.size else { throw .headerTruncated }
        var bytes = InlineArray<32, UInt8>(repeating: 0)
        do {
            var span = bytes.mutableSpan
            try slot.read(at: 0, into: &span)
        } catch {
            throw .flash(error)
        }
        let erased = slot.erasedValue
        if bytes[0] == erased, bytes[1] == erased, bytes[2] == erased, bytes[3] == erased {
            throw .noImage
        }
        return try bytes.span.withUnsafeBytes { raw throws(ImageRejection) in try ImageHeader(parsing: raw) }
    }

    /// MCUboot's `boot_check_header_valid` for a build without encryption or compression: the
    /// flags are bootable here, and header + body + protected TLVs end strictly before the end of
    /// the slot (so at least the unprotected TLV info can follow).
    public func checkHeader(_ header: ImageHeader, slotSize: Int) throws(ImageRejection) {
        guard header.flags.isDisjoint(with: .encrypted), header.flags.isDisjoint(with: .compressed) else {
            throw .unsupportedFlags
        }
        guard let hashed = Int(exactly: header.hashedSize), hashed < slotSize else { throw .imageExceedsSlot }
    }

    /// The one SHA-256 TLV of the image. Rejects a missing one, a second one, and one that is not
    /// exactly 32 bytes; propagates TLV bound violations from anywhere in either area.
    public func findHashTLV<Flash: NORFlash>(in slot: Flash, layout: TLVLayout) throws(ImageRejection) -> TLVEntry {
        var iterator = layout.entries(in: slot)
        var found: TLVEntry? = nil
        while let entry = try iterator.next() {
            guard entry.type == .sha256 else { continue }
            guard found == nil else { throw .duplicateHash }
            guard entry.length == SHA256.Digest.byteCount else { throw .hashWrongSize }
            found = entry
        }
        guard let found else { throw .missingHash }
        return found
    }

    /// SHA-256 of the first `count` bytes of `slot`, read in ``chunkSize`` pieces.
    public func computeHash<Flash: NORFlash>(of slot: Flash, count: Int) throws(ImageRejection) -> SHA256.Digest {
        guard count >= 0, count <= slot.size else { throw .imageExceedsSlot }
        var sha = SHA256(engine: sha256)
        var chunk = InlineArray<256, UInt8>(repeating: 0)
        var done = 0
        while done < count {
            let n = min(Self.chunkSize, count - done)
            do {
                var span = chunk.mutableSpan
                try slot.read(at: done, into: &span, count: n)
            } catch {
                throw .flash(error)
            }
            chunk.span.withUnsafeBytes { raw in sha.update(UnsafeRawBufferPointer(rebasing: raw[0..<n])) }
            done += n
        }
        return sha.finalize()
    }

    /// The 32 bytes of a SHA-256 TLV's value at `offset`.
    public func readDigest<Flash: NORFlash>(from slot: Flash, at offset: Int) throws(ImageRejection) -> SHA256.Digest {
        var bytes = InlineArray<32, UInt8>(repeating: 0)
        do {
            var span = bytes.mutableSpan
            try slot.read(at: offset, into: &span)
        } catch {
            throw .flash(error)
        }
        return SHA256.Digest(bytes)
    }
}

extension ImageInspector {
    /// What Zephyr's `img_mgmt_read_info` reads, and what an application's image list shows:
    /// the header, the TLV areas and the one SHA-256 TLV's value, **without** hashing the image
    /// or checking a signature (the application trusts the bootloader to validate at boot).
    public func readInfo<Flash: NORFlash>(from slot: Flash) throws(ImageRejection) -> (header: ImageHeader, hash: SHA256.Digest) {
        let header = try readHeader(from: slot)
        try checkHeader(header, slotSize: slot.size)
        let layout = try TLVLayout(reading: slot, header: header)
        let entry = try findHashTLV(in: slot, layout: layout)
        return (header, try readDigest(from: slot, at: entry.offset))
    }
}

/// Inspects the image in `slot` (see ``ImageInspector``) and returns it or the reason it was
/// rejected.
public func inspectImage<Flash: NORFlash>(in slot: Flash) -> Result<SlotImage, ImageRejection> {
    do {
        return .success(try ImageInspector().inspect(slot))
    } catch {
        return .failure(error)
    }
}
