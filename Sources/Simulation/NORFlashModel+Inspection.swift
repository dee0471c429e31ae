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
        markDirty(offset: offset, count: count)
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
    public struct Checkpoint {
        let storage: [UInt8]
        let programmed: [UInt8]
    }

    /// Saves the contents, and from the first checkpoint on tracks which sectors ever change, so
    /// that ``rollBack(to:)`` copies back only those (a power-cut sweep rolls an 8 MiB chip back
    /// thousands of times, and a swap touches only its slots).
    public func checkpoint() -> Checkpoint {
        if dirtySectors == nil { dirtySectors = [Bool](repeating: false, count: size / eraseSize) }
        return Checkpoint(storage: storage, programmed: programmed)
    }

    /// The sectors written or erased (even with no change) since the first ``checkpoint()``.
    public var sectorsTouchedSinceCheckpoint: [Int] {
        guard let dirty = dirtySectors else { return [] }
        return dirty.indices.filter { dirty[$0] }
    }

    /// Makes the contents and write-once state what they were at `checkpoint` (any checkpoint of
    /// this device): sectors unchanged since the first checkpoint are equal everywhere, the others
    /// are copied back. The power stays as it is; not written through to a backing file.
    public func rollBack(to checkpoint: Checkpoint) {
        precondition(checkpoint.storage.count == size, "a checkpoint of another device")
        guard let dirty = dirtySectors else { return }
        storage.withUnsafeMutableBytes { dst in
            programmed.withUnsafeMutableBytes { flags in
                checkpoint.storage.withUnsafeBytes { src in
                    checkpoint.programmed.withUnsafeBytes { srcFlags in
                        var sector = 0
                        while sector < dirty.count {
                            guard dirty[sector] else { sector += 1; continue }
                            var end = sector + 1
                            while end < dirty.count && dirty[end] { end += 1 }
                            let offset = sector * eraseSize
                            let count = (end - sector) * eraseSize
                            memcpy(dst.baseAddress! + offset, src.baseAddress! + offset, count)
                            memcpy(flags.baseAddress! + offset, srcFlags.baseAddress! + offset, count)
                            sector = end
                        }
                    }
                }
            }
        }
    }

    /// Flushes the backing file to stable storage (`fsync`); does nothing without one.
    public func sync() throws(NORFlashModelError) {
        guard let backing else { return }
        if let failure = backing.sync() {
            throw .backingFileIO(path: backing.path, operation: "fsync", errno: failure)
        }
    }
}
