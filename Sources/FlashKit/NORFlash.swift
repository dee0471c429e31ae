/// A NOR flash device, or a window onto one (``FlashArea``): the one flash protocol of Lifeboat.
///
/// ## The contract every implementation keeps
///
/// - **Geometry** is fixed for the life of the value: `size` bytes, erased in uniform sectors of
///   `eraseSize` bytes, written in units of `writeSize` bytes. Both are powers of two and
///   `eraseSize` is a multiple of `writeSize`.
/// - **Erased value.** An erase sets every byte of the sector to `erasedValue` (0xFF on nRF NVMC and
///   on the MX25R6435F; 0x00 on some parts, and the simulator tests both).
/// - **Write once.** A write may only target bytes that are erased (written nowhere since their
///   sector's last erase). Real NOR ANDs a second write into the cell; Lifeboat never relies on that,
///   and the strict host model rejects it with ``FlashError/notErased``.
/// - **Alignment.** `write` offsets and lengths are multiples of `writeSize`; `erase` offsets and
///   lengths are multiples of `eraseSize`. Anything else is ``FlashError/misaligned``, checked before
///   any byte changes. Reads have no alignment requirement.
/// - **Bounds.** Every range is checked against `size` before use (overflow-safe);
///   out-of-range is ``FlashError/outOfBounds`` and changes nothing.
/// - **Power loss.** A cut during `write` leaves the bytes of that write in an undefined state
///   (each bit either its old or new value) and every other byte untouched; a cut during `erase`
///   leaves the sector's bytes undefined (each bit either erased or old). Bytes outside the
///   operation are never affected. Code that must survive a cut (trailers, swap status) writes in
///   an order that a later boot can recognise and repair.
///
/// Methods are non-mutating: an implementation is a handle (a peripheral driver over an MMIO bus,
/// or a reference to a model), so several partitions can share one device.
public protocol NORFlash {
    /// Total bytes addressable through this value.
    var size: Int { get }
    /// Sector size: the smallest erasable unit, in bytes.
    var eraseSize: Int { get }
    /// Program unit, in bytes (4 on nRF NVMC).
    var writeSize: Int { get }
    /// The value of every byte after an erase.
    var erasedValue: UInt8 { get }
    /// The largest erase unit that is faster than erasing its sectors one by one (a 64 KiB block
    /// on SPI NOR: 480 ms typical on the MX25R6435F against 16 × 48 ms); `eraseSize` when the
    /// device has none (nRF NVMC pages). A multiple of `eraseSize`. `erase` uses it by itself
    /// wherever a range covers an aligned unit; callers that erase ahead (progressive erase) ask
    /// for whole units to let it.
    var blockEraseSize: Int { get }

    /// Reads `buffer.count` bytes starting at `offset`.
    func read(at offset: Int, into buffer: inout MutableSpan<UInt8>) throws(FlashError)
    /// Programs `bytes` at `offset`; both aligned to `writeSize`, all target bytes erased.
    func write(at offset: Int, _ bytes: Span<UInt8>) throws(FlashError)
    /// Erases `count` bytes from `offset`; both aligned to `eraseSize`.
    func erase(at offset: Int, count: Int) throws(FlashError)
}

extension NORFlash {
    /// No erase unit above the sector.
    public var blockEraseSize: Int { eraseSize }

    /// Throws unless `offset..<offset+count` lies inside `0..<size` (overflow-safe).
    @inlinable
    public func checkBounds(offset: Int, count: Int) throws(FlashError) {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else { throw .outOfBounds }
    }

    /// Throws unless the range is in bounds and aligned to `writeSize`.
    @inlinable
    public func checkWrite(offset: Int, count: Int) throws(FlashError) {
        try checkBounds(offset: offset, count: count)
        guard offset % writeSize == 0, count % writeSize == 0 else { throw .misaligned }
    }

    /// Throws unless the range is in bounds and covers whole sectors.
    @inlinable
    public func checkErase(offset: Int, count: Int) throws(FlashError) {
        try checkBounds(offset: offset, count: count)
        guard offset % eraseSize == 0, count % eraseSize == 0 else { throw .misaligned }
    }

    /// The start of the sector that holds `offset`.
    @inlinable
    public func sectorStart(containing offset: Int) -> Int { offset - offset % eraseSize }

    /// `value` rounded up to a multiple of `writeSize`.
    @inlinable
    public func alignUpToWrite(_ value: Int) -> Int {
        let rem = value % writeSize
        return rem == 0 ? value : value + (writeSize - rem)
    }

    /// Erases every sector that overlaps `offset..<offset+count` (a convenience for callers that
    /// think in bytes rather than sectors).
    @inlinable
    public func eraseSectors(covering offset: Int, count: Int) throws(FlashError) {
        try checkBounds(offset: offset, count: count)
        guard count > 0 else { return }
        let start = sectorStart(containing: offset)
        let end = sectorStart(containing: offset + count - 1) + eraseSize
        try erase(at: start, count: end - start)
    }

    /// Reads `count` bytes into the start of `buffer` (which may be longer).
    @inlinable
    public func read(at offset: Int, into buffer: inout MutableSpan<UInt8>, count: Int) throws(FlashError) {
        guard count >= 0, count <= buffer.count else { throw .outOfBounds }
        // The one place that narrows a MutableSpan; its spelling is still settling in the stdlib.
        var part = buffer._mutatingExtracting(0..<count)
        try read(at: offset, into: &part)
    }

    /// True when every byte of the range reads as `erasedValue`. Reads through a small stack
    /// buffer so it is usable in firmware.
    public func isErased(at offset: Int, count: Int) throws(FlashError) -> Bool {
        try checkBounds(offset: offset, count: count)
        var chunk = InlineArray<64, UInt8>(repeating: 0)
        var done = 0
        while done < count {
            let n = min(64, count - done)
            var span = chunk.mutableSpan
            try read(at: offset + done, into: &span, count: n)
            for i in 0..<n where chunk[i] != erasedValue { return false }
            done += n
        }
        return true
    }
}
