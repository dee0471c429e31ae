import FlashKit
import Foundation

/// The test harness's view of a ``NORFlashModel``: looks at and sets up the bytes directly, the way
/// a debugger probe or a flash programmer would. None of these is traced, counted, subject to a
/// power cut or to write-once; they work while the power is off.
extension NORFlashModel {
    /// A copy of the whole device.
    public func snapshot() -> [UInt8] { storage }

    /// A copy of the bytes in `range` (which must lie inside the device).
    public func bytes(in range: Range<Int>) -> [UInt8] {
        precondition(range.lowerBound >= 0 && range.upperBound <= size, "range \(range) outside device of \(size) bytes")
        return Array(storage[range])
    }

    /// True when the device holds exactly `bytes` at `offset` (false when they do not fit).
    public func holds(_ bytes: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset <= size, bytes.count <= size - offset else { return false }
        guard !bytes.isEmpty else { return true }
        return storage.withUnsafeBytes { dst in
            bytes.withUnsafeBytes { memcmp(dst.baseAddress! + offset, $0.baseAddress!, bytes.count) == 0 }
        }
    }

    /// True when the byte at `offset` was programmed since its last erase (a write to it would be
    /// refused with `FlashError.notErased`).
    public func isProgrammed(_ offset: Int) -> Bool {
        precondition(offset >= 0 && offset < size, "offset \(offset) outside device of \(size) bytes")
        return programmed[offset] != 0
    }

    /// Places `bytes` at `offset`, bypassing write-once and alignment (for test set-up and for
    /// loading images). Bytes that differ from the erased value become programmed; bytes equal to
    /// it become erased, as if the range had been loaded from a backing file.
    ///
    /// - Throws: `FlashError.outOfBounds` when the range does not fit (nothing changes), or
    ///   `FlashError.deviceFault` when the backing file could not be written.
    public func load(_ bytes: [UInt8], at offset: Int) throws(FlashError) {
        try checkBounds(offset: offset, count: bytes.count)
        let count = bytes.count
        guard count > 0 else { return }
        willModify(offset: offset, count: count)
        let erased = erasedValue
        bytes.withUnsafeBufferPointer { src in
            storage.withUnsafeMutableBufferPointer { dst in
                programmed.withUnsafeMutableBufferPointer { flags in
                    // memcpy + memset when no byte holds the erased value (junk fills, most
                    // images' bodies): a per-byte loop is what a fuzzer or a soak spends its time in.
                    memcpy(dst.baseAddress! + offset, src.baseAddress!, count)
                    if memchr(src.baseAddress!, Int32(erased), count) == nil {
                        memset(flags.baseAddress! + offset, 1, count)
                        return
                    }
                    for i in 0..<count {
                        flags[offset + i] = src[i] == erased ? 0 : 1
                    }
                }
            }
        }
        guard writeThrough(offset: offset, count: count) else { throw .deviceFault }
    }

    /// Makes the device hold `image` from offset 0 and erased bytes after it, bypassing
    /// write-once (see ``load(_:at:)``).
    ///
    /// - Throws: `FlashError.outOfBounds` when `image` is larger than the device (nothing changes).
    public func fill(from image: [UInt8]) throws(FlashError) {
        guard image.count <= size else { throw .outOfBounds }
        reset(offset: image.count, count: size - image.count)
        try load(image, at: 0)
        if image.count < size {
            guard writeThrough(offset: image.count, count: size - image.count) else { throw .deviceFault }
        }
    }

    /// The contents and write-once state at one moment, to come back to with ``rollBack(to:)``.
    ///
    /// Copy on write, per sector: taking one copies nothing; the first change to a sector after it
    /// saves that sector once, and a roll-back copies back only the saved sectors. A power-cut
    /// sweep takes one per point and rolls back what the boot after the cut touched, on devices
    /// of up to 8 MiB of which a swap touches a few hundred KiB.
    public final class Checkpoint {
        /// Per sector: its index in the saved buffers, or -1 when it has not changed since.
        var slot: [Int32]
        var savedSectors: [Int] = []
        var savedBytes: [UInt8] = []
        var savedFlags: [UInt8] = []
        init(device: NORFlashModel) {
            slot = [Int32](repeating: -1, count: device.size / device.eraseSize)
        }

        /// Sectors saved (changed since the checkpoint, or since its last roll-back or advance).
        public var changedSectorCount: Int { savedSectors.count }

        func save(sector: Int, of device: NORFlashModel) {
            guard slot[sector] < 0 else { return }
            slot[sector] = Int32(savedSectors.count)
            savedSectors.append(sector)
            let range = (sector * device.eraseSize)..<((sector + 1) * device.eraseSize)
            device.storage.withUnsafeBufferPointer { savedBytes.append(contentsOf: $0[range]) }
            device.programmed.withUnsafeBufferPointer { savedFlags.append(contentsOf: $0[range]) }
        }

        /// Forgets what was saved (keeping the buffers' capacity): the checkpoint is now.
        func clear() {
            for sector in savedSectors { slot[sector] = -1 }
            savedSectors.removeAll(keepingCapacity: true)
            savedBytes.removeAll(keepingCapacity: true)
            savedFlags.removeAll(keepingCapacity: true)
        }
    }

    /// A checkpoint of the contents now (see ``Checkpoint``). From the first one on, the device
    /// also tracks which sectors ever change (``sectorsTouchedSinceCheckpoint``).
    public func checkpoint() -> Checkpoint {
        if dirtySectors == nil { dirtySectors = [Bool](repeating: false, count: size / eraseSize) }
        let checkpoint = Checkpoint(device: self)
        checkpoints.append(checkpoint)
        return checkpoint
    }

    /// The sectors written or erased (even with no change) since the first ``checkpoint()``.
    public var sectorsTouchedSinceCheckpoint: [Int] {
        guard let dirty = dirtySectors else { return [] }
        return dirty.indices.filter { dirty[$0] }
    }

    /// Makes the contents and write-once state what they were at `checkpoint`, copying back only
    /// the sectors changed since. The checkpoint stays usable (rolling back again returns to the
    /// same state); checkpoints taken after it are released. The power stays as it is; not
    /// written through to a backing file.
    public func rollBack(to checkpoint: Checkpoint) {
        guard let index = checkpoints.firstIndex(where: { $0 === checkpoint }) else {
            preconditionFailure("rollBack(to:): a checkpoint of another device, or one already released")
        }
        checkpoints.removeSubrange((index + 1)...)
        let sectorSize = eraseSize
        storage.withUnsafeMutableBytes { dst in
            programmed.withUnsafeMutableBytes { flags in
                checkpoint.savedBytes.withUnsafeBytes { src in
                    checkpoint.savedFlags.withUnsafeBytes { srcFlags in
                        for (i, sector) in checkpoint.savedSectors.enumerated() {
                            memcpy(dst.baseAddress! + sector * sectorSize, src.baseAddress! + i * sectorSize, sectorSize)
                            memcpy(flags.baseAddress! + sector * sectorSize, srcFlags.baseAddress! + i * sectorSize, sectorSize)
                        }
                    }
                }
            }
        }
        // Older checkpoints saved these sectors before they changed; their copies stay right.
        checkpoint.clear()
    }

    /// Moves `checkpoint` to now, without copying anything back (a sweep that replays the clean
    /// run one operation at a time advances its checkpoint after each).
    public func advance(_ checkpoint: Checkpoint) {
        guard checkpoints.last === checkpoint else {
            preconditionFailure("advance(_:): only the newest checkpoint of this device can move")
        }
        checkpoint.clear()
    }

    /// Stops `checkpoint` (and any taken after it) from saving sectors.
    public func release(_ checkpoint: Checkpoint) {
        if let index = checkpoints.firstIndex(where: { $0 === checkpoint }) { checkpoints.removeSubrange(index...) }
    }

    /// Flushes the backing file to stable storage (`fsync`); does nothing without one.
    public func sync() throws(NORFlashModelError) {
        guard let backing else { return }
        if let failure = backing.sync() {
            throw .backingFileIO(path: backing.path, operation: "fsync", errno: failure)
        }
    }
}
