import FlashKit
import MCUbootImage

extension NORFlash {
    /// Storage preparation, shared by every write mode: before the first byte of a new image is
    /// written into this slot, the sectors that hold MCUboot's image trailer are erased unless
    /// they already are, so a trailer left by an earlier image (a pending test, a swap's state)
    /// never describes the new one, not even while the transfer is under way or after it is cut.
    /// The area is the largest trailer a swap strategy keeps in this slot (`boot_trailer_sz`
    /// with a status entry per sector). Sectors the image itself reaches are left to the write
    /// mode's own erase, so no sector is erased twice.
    public func scrubTrailer(imageSize: Int) throws(FlashError) {
        let trailer = TrailerLayout(slot: self).trailerSize
        let imageEnd = sectorStart(containing: alignUpToWrite(max(1, imageSize)) - 1) + eraseSize
        let start = max(sectorStart(containing: max(0, size - trailer)), imageEnd)
        guard start < size, !(try isErased(at: start, count: size - start)) else { return }
        try erase(at: start, count: size - start)
    }
}

/// The block-window write mode of the DFU target (a Mesh BLOB transfer's): the image arrives in
/// blocks, each erased when it starts, with its chunks in any order inside it; a block started
/// again (a suspended transfer resumed) is erased and written from scratch. Every write lands on
/// a write-size boundary and is a whole number of write units (the last chunk of the image is
/// padded with the erased value), so no flash word is ever programmed twice: chunk sizes must be
/// multiples of the slot's write size.
public struct BlockWindowWriter<Area: NORFlash> {
    public let area: Area
    /// The image's size in bytes.
    public let imageSize: Int
    /// The block being written: BLOB offsets [start, end).
    public private(set) var window: Range<Int> = 0..<0

    /// Begins an image of `imageSize` bytes in `area`: refuses one that does not fit before the
    /// trailer, then scrubs the trailer (storage preparation).
    public init(area: Area, imageSize: Int) throws(DFUError) {
        guard imageSize > 0 else { throw .emptyImage }
        guard imageSize <= area.size - TrailerLayout(slot: area).trailerSize else { throw .lengthExceedsSlot }
        self.area = area
        self.imageSize = imageSize
        do throws(FlashError) {
            try area.scrubTrailer(imageSize: imageSize)
        } catch {
            throw .eraseFailed(error)
        }
    }

    /// A block of `size` bytes at `offset` starts: its sectors are erased (the block must start on
    /// a sector boundary, as blocks of the flash's sector size do).
    public mutating func startBlock(offset: Int, size: Int) throws(DFUError) {
        guard offset >= 0, size > 0, offset % area.eraseSize == 0, offset + size <= imageSize else { throw .dataPastEnd }
        do throws(FlashError) {
            try area.eraseSectors(covering: offset, count: area.alignUpToWrite(size))
        } catch {
            throw .eraseFailed(error)
        }
        window = offset..<(offset + size)
    }

    /// Largest write size the final-chunk padding supports.
    static var maxWriteSize: Int { 64 }

    /// Writes one chunk at `offset` inside the current block.
    public func write(offset: Int, bytes: UnsafeRawBufferPointer) throws(DFUError) {
        let end = offset + bytes.count
        guard !bytes.isEmpty, offset >= window.lowerBound, end <= window.upperBound else { throw .dataPastEnd }
        guard area.writeSize <= Self.maxWriteSize else { throw .unsupportedWriteSize }
        let remainder = bytes.count % area.writeSize
        guard offset % area.writeSize == 0, remainder == 0 || end == imageSize else { throw .unsupportedWriteSize }
        let aligned = bytes.count - remainder
        do throws(FlashError) {
            let typed = bytes.assumingMemoryBound(to: UInt8.self)
            if aligned > 0 {
                try area.write(at: offset, typed.span.extracting(0..<aligned))
            }
            if remainder > 0 {
                var unit = InlineArray<64, UInt8>(repeating: area.erasedValue)
                for i in 0..<remainder { unit[i] = typed[aligned + i] }
                try area.write(at: offset + aligned, unit.span.extracting(0..<area.writeSize))
            }
        } catch {
            throw .writeFailed(error)
        }
    }
}
