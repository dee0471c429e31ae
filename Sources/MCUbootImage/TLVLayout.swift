import FlashKit

/// Where an image's two TLV areas lie in its slot, found and bounds-checked from the header.
///
/// ```
///  0        headerSize   protectedTLVOffset      hashedSize                    end
///  │ header │   body     │ 0x6908 │ prot. TLVs  │ 0x6907 │ unprotected TLVs   │
///                        ◀─ protectedArea ──────▶◀──── unprotectedArea ───────▶
///                           (empty when protectedTLVSize == 0)
/// ```
///
/// The checks are MCUboot's `bootutil_tlv_iter_begin` (tlv.c), with every length treated as
/// hostile: a 0x6908 area is present exactly when `protectedTLVSize` is non-zero, and then its
/// total equals `protectedTLVSize`; the unprotected area starts with 0x6907; both areas lie inside
/// the slot. Entries are checked one by one by ``TLVIterator``.
public struct TLVLayout: Equatable, Sendable {
    /// The protected area including its info header; empty (at `protectedTLVOffset`) when absent.
    public var protectedArea: Range<Int>
    /// The unprotected area including its info header.
    public var unprotectedArea: Range<Int>

    /// The end of the image in the slot: one past the last byte of the unprotected area.
    public var end: Int { unprotectedArea.upperBound }

    /// Reads the TLV info headers of the image described by `header` from `slot`.
    public init(reading slot: some NORFlash, header: ImageHeader) throws(ImageRejection) {
        let slotSize = slot.size
        let infoSize = TLVInfo.size
        guard let protectedStart = Int(exactly: header.protectedTLVOffset),
            let unprotectedStart = Int(exactly: header.hashedSize),
            slotSize >= infoSize, protectedStart <= slotSize - infoSize
        else { throw .tlvOutOfBounds }

        // What sits right after the body: the protected info if the header says there is one.
        let (firstMagic, firstTotal) = try slot.readHalfwordPair(at: protectedStart)
        if header.protectedTLVSize != 0 {
            guard firstMagic == TLVInfo.protectedMagic, firstTotal == header.protectedTLVSize else {
                throw .protectedSizeMismatch
            }
            guard Int(firstTotal) >= infoSize else { throw .tlvOutOfBounds }
            protectedArea = protectedStart..<unprotectedStart
        } else {
            guard firstMagic != TLVInfo.protectedMagic else { throw .protectedSizeMismatch }
            protectedArea = protectedStart..<protectedStart
        }

        guard unprotectedStart <= slotSize - infoSize else { throw .tlvOutOfBounds }
        let (magic, total) = try slot.readHalfwordPair(at: unprotectedStart)
        guard magic == TLVInfo.unprotectedMagic else { throw .badTLVInfoMagic }
        guard Int(total) >= infoSize, Int(total) <= slotSize - unprotectedStart else { throw .tlvOutOfBounds }
        unprotectedArea = unprotectedStart..<(unprotectedStart + Int(total))
    }

    /// An iterator over the entries of both areas, protected first.
    public func entries<Flash: NORFlash>(in slot: Flash) -> TLVIterator<Flash> {
        TLVIterator(slot: slot, layout: self)
    }
}

/// Walks the TLV entries of a ``TLVLayout``: the protected area, then the unprotected one.
///
/// Each entry's 4-byte header is read through a stack buffer; its data is not read (callers read
/// what they need at ``TLVEntry/offset``). An entry whose header or data would cross the end of
/// its area throws ``ImageRejection/tlvOutOfBounds`` (MCUboot `bootutil_tlv_iter_next`), and the
/// iterator then stays finished.
///
/// ```swift
/// var tlvs = layout.entries(in: slot)
/// while let entry = try tlvs.next() { … }
/// ```
public struct TLVIterator<Flash: NORFlash> {
    public let slot: Flash
    private var offset: Int
    private var end: Int
    private var inProtected: Bool
    private let unprotectedArea: Range<Int>
    private var finished = false

    public init(slot: Flash, layout: TLVLayout) {
        self.slot = slot
        self.unprotectedArea = layout.unprotectedArea
        if layout.protectedArea.isEmpty {
            offset = layout.unprotectedArea.lowerBound + TLVInfo.size
            end = layout.unprotectedArea.upperBound
            inProtected = false
        } else {
            offset = layout.protectedArea.lowerBound + TLVInfo.size
            end = layout.protectedArea.upperBound
            inProtected = true
        }
    }

    /// The next entry, or nil after the last one.
    public mutating func next() throws(ImageRejection) -> TLVEntry? {
        while !finished {
            if offset >= end {
                guard inProtected else {
                    finished = true
                    return nil
                }
                inProtected = false
                offset = unprotectedArea.lowerBound + TLVInfo.size
                end = unprotectedArea.upperBound
                continue
            }
            guard end - offset >= TLVInfo.size else {
                finished = true
                throw .tlvOutOfBounds
            }
            let (type, length): (UInt16, UInt16)
            do {
                (type, length) = try slot.readHalfwordPair(at: offset)
            } catch {
                finished = true
                throw error
            }
            let data = offset + TLVInfo.size
            guard Int(length) <= end - data else {
                finished = true
                throw .tlvOutOfBounds
            }
            offset = data + Int(length)
            return TLVEntry(type: TLVType(rawValue: type), offset: data, length: Int(length), isProtected: inProtected)
        }
        return nil
    }
}
