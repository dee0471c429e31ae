import FlashKit

extension NORFlash {
    /// Reads the 4-byte TLV (or TLV info) header at `offset` as (first u16, second u16), little-endian.
    /// The caller has checked that `offset + 4` lies inside the slot.
    func readHalfwordPair(at offset: Int) throws(ImageRejection) -> (UInt16, UInt16) {
        var bytes = InlineArray<4, UInt8>(repeating: 0)
        do {
            var span = bytes.mutableSpan
            try read(at: offset, into: &span)
        } catch {
            throw .flash(error)
        }
        return (UInt16(bytes[0]) | UInt16(bytes[1]) << 8, UInt16(bytes[2]) | UInt16(bytes[3]) << 8)
    }
}
