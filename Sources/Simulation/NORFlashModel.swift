import FlashKit
import Foundation

/// A strict, in-memory (optionally file-backed) model of a NOR flash device.
///
/// It enforces the `NORFlash` contract more strictly than real parts do, so that code which is
/// wrong on some part fails on the host:
///
/// - **Bounds** (overflow-safe) → `FlashError.outOfBounds`; **alignment** (writes in `writeSize`
///   units, erases in whole sectors) → `FlashError.misaligned`. Checked before any byte changes.
/// - **Write once.** Every byte carries a "programmed since its last erase" flag. A write that
///   touches any programmed byte is `FlashError.notErased` and changes nothing, *even if the value
///   written equals the value stored* — the rule of MCUboot's simulator, because real parts with
///   ECC or multi-pass programming limits (nRF NVMC: at most two writes per word) punish it. Writing
///   the erased value itself still marks the byte programmed.
/// - **No cell physics.** The model does not simulate bits only moving away from the erased value
///   (AND on 0xFF parts, OR on 0x00 parts): since a second write is refused anyway, a write simply
///   stores the given bytes. Erased value 0xFF and 0x00 behave identically apart from the value.
///
/// ## Power cuts
///
/// ``schedulePowerCut(afterOperations:)`` arms a countdown over *mutating* operations: writes and
/// erases that passed validation, empty ones included. Reads and refused operations do not count
/// (validation runs before the countdown, so a refused operation is never the one cut). With `n`,
/// the first `n` such operations complete normally and the `(n+1)`-th is cut; `n = 0` cuts the
/// next one. The index space is ``mutatingOperationCount``: measure a clean run, then cut at every
/// index in `0..<count`.
///
/// The cut operation throws `FlashError.powerCut` and leaves its range in this **torn state**
/// (defined, so tests can assert it exactly; the `NORFlash` contract only promises "each bit old
/// or new" and code must not depend on this particular outcome):
///
/// - **write** of `count` bytes: the first `(count / writeSize) / 2` write units (rounded down, so a
///   one-unit write programs nothing) are programmed with the new bytes and marked programmed; the
///   remaining bytes keep their old (erased) value and stay erased.
/// - **erase**: in *every* sector of the range, the first `eraseSize / 2` bytes (rounded down to a
///   multiple of `writeSize`) are set to the erased value and marked erased; the rest of each
///   sector keeps its old contents and programmed state. The result is neither the old contents
///   nor an erased range.
///
/// Bytes outside the cut operation never change. After the cut ``isPowered`` is false,
/// ``lastCut`` names the operation, and every later operation — reads too — throws
/// `FlashError.powerCut` without effect until ``restorePower()``. The cut operation is traced and
/// counted in ``writeCount``/``eraseCount``; operations refused because the power is off are not.
///
/// ## File backing
///
/// With `backingFile:`, every change (including a torn one and the set-up helpers) is written
/// through to the file with `pwrite`, so a board's flash survives a restart of the simulator. A
/// byte that does not hold the erased value when the file is loaded counts as programmed.
///
/// The model is a reference type (a device that several `FlashArea`s share) and is not thread-safe:
/// drive it from one thread or task at a time.
public final class NORFlashModel: NORFlash {
    public let size: Int
    public let eraseSize: Int
    public let writeSize: Int
    public let erasedValue: UInt8

    /// The device contents.
    var storage: [UInt8]
    /// 1 where the byte was programmed since its last erase, 0 where it is erased. Bytes rather than
    /// bits so that the hot paths are `memchr`/`memset` over the same offsets as `storage`.
    var programmed: [UInt8]
    let backing: FlashBackingFile?

    /// Every operation that passed validation, in order (reads included), while ``traceEnabled``.
    public private(set) var trace: [FlashOperation] = []
    /// Turn off to keep long runs from growing the trace; counters keep counting.
    public var traceEnabled = true
    /// Writes that passed validation (including one cut by a power cut).
    public private(set) var writeCount = 0
    /// Erases that passed validation (including one cut by a power cut).
    public private(set) var eraseCount = 0
    /// Bytes actually programmed by writes (a torn write counts only what it programmed).
    public private(set) var bytesWritten = 0
    /// Writes plus erases: the index space of ``schedulePowerCut(afterOperations:)``.
    public var mutatingOperationCount: Int { writeCount + eraseCount }

    /// False from a power cut until ``restorePower()``.
    public private(set) var isPowered = true
    /// The operation the most recent scheduled cut tore (kept after ``restorePower()``; nil if
    /// no scheduled cut has fired, or the power was cut between operations with ``cutPower()``).
    public private(set) var lastCut: FlashOperation?
    /// Mutating operations still to complete before the armed cut; nil when none is armed.
    public private(set) var operationsUntilPowerCut: Int?
    /// The most recent failure writing through to the backing file (which the failing operation
    /// reported as `FlashError.deviceFault`).
    public private(set) var lastBackingError: NORFlashModelError?

    /// The board supply this device is on, if any: the rail's countdown and cut replace the
    /// device's own (``schedulePowerCut(afterOperations:)``).
    public var rail: PowerRail?
    /// Sectors changed since the first ``checkpoint()`` (nil: not tracking).
    var dirtySectors: [Bool]?
    /// The live checkpoints, oldest first; each saves a sector before its first change.
    var checkpoints: [Checkpoint] = []

    /// The path of the backing file, if any.
    public var backingFilePath: String? { backing?.path }

    /// An in-memory device, fully erased.
    ///
    /// - Throws: ``NORFlashModelError/invalidGeometry(_:)`` unless `writeSize` and `eraseSize` are
    ///   powers of two, `eraseSize` is a multiple of `writeSize` and `size` is a positive multiple of
    ///   `eraseSize`; ``NORFlashModelError/invalidErasedValue(_:)`` unless `erasedValue` is 0xFF or 0x00.
    public init(size: Int, eraseSize: Int, writeSize: Int, erasedValue: UInt8 = 0xFF) throws(NORFlashModelError) {
        try Self.validate(size: size, eraseSize: eraseSize, writeSize: writeSize, erasedValue: erasedValue)
        self.size = size
        self.eraseSize = eraseSize
        self.writeSize = writeSize
        self.erasedValue = erasedValue
        self.storage = [UInt8](repeating: erasedValue, count: size)
        self.programmed = [UInt8](repeating: 0, count: size)
        self.backing = nil
    }

    /// A device whose bytes live in the file at `backingFile`: loaded from it when it exists (it
    /// must hold exactly `size` bytes), created fully erased when it does not.
    ///
    /// - Throws: the geometry errors of ``init(size:eraseSize:writeSize:erasedValue:)``,
    ///   ``NORFlashModelError/backingFileSizeMismatch(path:expected:actual:)``, or
    ///   ``NORFlashModelError/backingFileIO(path:operation:errno:)``.
    public init(
        size: Int, eraseSize: Int, writeSize: Int, erasedValue: UInt8 = 0xFF, backingFile: String
    ) throws(NORFlashModelError) {
        try Self.validate(size: size, eraseSize: eraseSize, writeSize: writeSize, erasedValue: erasedValue)
        let (file, contents) = try FlashBackingFile.openOrCreate(path: backingFile, size: size, erasedValue: erasedValue)
        self.size = size
        self.eraseSize = eraseSize
        self.writeSize = writeSize
        self.erasedValue = erasedValue
        self.storage = contents
        self.programmed = contents.map { $0 == erasedValue ? 0 : 1 }
        self.backing = file
    }

    static func validate(size: Int, eraseSize: Int, writeSize: Int, erasedValue: UInt8) throws(NORFlashModelError) {
        func isPowerOfTwo(_ v: Int) -> Bool { v > 0 && v & (v - 1) == 0 }
        guard isPowerOfTwo(writeSize) else {
            throw .invalidGeometry("write size \(writeSize) is not a positive power of two")
        }
        guard isPowerOfTwo(eraseSize) else {
            throw .invalidGeometry("erase size \(eraseSize) is not a positive power of two")
        }
        guard eraseSize % writeSize == 0 else {
            throw .invalidGeometry("erase size \(eraseSize) is not a multiple of write size \(writeSize)")
        }
        guard size > 0, size % eraseSize == 0 else {
            throw .invalidGeometry("size \(size) is not a positive multiple of erase size \(eraseSize)")
        }
        guard erasedValue == 0xFF || erasedValue == 0x00 else { throw .invalidErasedValue(erasedValue) }
    }

    // MARK: NORFlash

    /// Powered on its own and on its rail.
    var hasPower: Bool { isPowered && (rail?.isPowered ?? true) }

    public func read(at offset: Int, into buffer: inout MutableSpan<UInt8>) throws(FlashError) {
        guard hasPower else { throw .powerCut }
        let count = buffer.count
        try checkBounds(offset: offset, count: count)
        record(.read(offset: offset, count: count))
        guard count > 0 else { return }
        buffer.withUnsafeMutableBufferPointer { dst in
            storage.withUnsafeBufferPointer { src in
                UnsafeMutableRawPointer(dst.baseAddress!).copyMemory(from: src.baseAddress! + offset, byteCount: count)
            }
        }
    }

    public func write(at offset: Int, _ bytes: Span<UInt8>) throws(FlashError) {
        guard hasPower else { throw .powerCut }
        let count = bytes.count
        try checkWrite(offset: offset, count: count)
        guard !anyProgrammed(offset: offset, count: count) else { throw .notErased }

        let operation = FlashOperation.write(offset: offset, count: count)
        record(operation)
        if let rail, rail.isRecording {
            rail.record(PowerRail.Operation(device: self, kind: .write(offset: offset, bytes: bytes.withUnsafeBufferPointer { Array($0) })))
        }
        writeCount += 1
        let cut = consumeCountdown()
        let programCount = cut ? (count / writeSize / 2) * writeSize : count
        if programCount > 0 {
            willModify(offset: offset, count: programCount)
            bytes.withUnsafeBufferPointer { src in
                storage.withUnsafeMutableBufferPointer { dst in
                    UnsafeMutableRawPointer(dst.baseAddress! + offset).copyMemory(from: src.baseAddress!, byteCount: programCount)
                }
            }
            setProgrammed(offset: offset, count: programCount, to: 1)
            bytesWritten += programCount
        }
        let stored = writeThrough(offset: offset, count: programCount)
        if cut { cutPower(tearing: operation) }
        if cut { throw .powerCut }
        if !stored { throw .deviceFault }
    }

    public func erase(at offset: Int, count: Int) throws(FlashError) {
        guard hasPower else { throw .powerCut }
        try checkErase(offset: offset, count: count)

        let operation = FlashOperation.erase(offset: offset, count: count)
        record(operation)
        if let rail, rail.isRecording { rail.record(PowerRail.Operation(device: self, kind: .erase(offset: offset, count: count))) }
        eraseCount += 1
        let cut = consumeCountdown()
        if cut {
            let tornPrefix = (eraseSize / 2 / writeSize) * writeSize
            var sector = offset
            while sector < offset + count {
                reset(offset: sector, count: tornPrefix)
                sector += eraseSize
            }
        } else {
            reset(offset: offset, count: count)
        }
        let stored = writeThrough(offset: offset, count: count)
        if cut { cutPower(tearing: operation) }
        if cut { throw .powerCut }
        if !stored { throw .deviceFault }
    }

    // MARK: Power

    /// Arms a power cut: `n` more writes/erases complete normally, the `(n+1)`-th is torn (see the
    /// type's documentation) and throws `FlashError.powerCut`. Replaces any armed cut.
    public func schedulePowerCut(afterOperations n: Int) {
        precondition(n >= 0, "schedulePowerCut(afterOperations:) needs n >= 0")
        operationsUntilPowerCut = n
    }

    /// Disarms a scheduled power cut (does not restore power that is already off).
    public func cancelPowerCut() {
        operationsUntilPowerCut = nil
    }

    /// Cuts the power now, between operations: nothing is torn, every later operation throws
    /// `FlashError.powerCut` until ``restorePower()``. Disarms any scheduled cut.
    public func cutPower() {
        operationsUntilPowerCut = nil
        isPowered = false
    }

    /// Powers the device again. Contents (including torn bytes) and ``lastCut`` are kept.
    public func restorePower() {
        isPowered = true
    }

    /// Empties ``trace`` (counters are kept).
    public func clearTrace() {
        trace.removeAll(keepingCapacity: true)
    }

    // MARK: Internals

    private func record(_ operation: FlashOperation) {
        if traceEnabled { trace.append(operation) }
    }

    /// Counts one mutating operation against the armed cut; true when this one is to be cut.
    private func consumeCountdown() -> Bool {
        if let rail { return rail.consume() }
        guard let remaining = operationsUntilPowerCut else { return false }
        if remaining == 0 {
            operationsUntilPowerCut = nil
            return true
        }
        operationsUntilPowerCut = remaining - 1
        return false
    }

    private func cutPower(tearing operation: FlashOperation) {
        lastCut = operation
        if rail == nil { isPowered = false }
    }

    func anyProgrammed(offset: Int, count: Int) -> Bool {
        guard count > 0 else { return false }
        return programmed.withUnsafeBytes { memchr($0.baseAddress! + offset, 1, count) != nil }
    }

    func setProgrammed(offset: Int, count: Int, to flag: UInt8) {
        guard count > 0 else { return }
        programmed.withUnsafeMutableBytes { _ = memset($0.baseAddress! + offset, Int32(flag), count) }
    }

    /// Called before `offset..<offset+count` changes: marks its sectors touched and lets every
    /// live checkpoint save the ones it has not saved yet.
    func willModify(offset: Int, count: Int) {
        guard dirtySectors != nil, count > 0 else { return }
        for sector in (offset / eraseSize)...((offset + count - 1) / eraseSize) {
            dirtySectors![sector] = true
            for checkpoint in checkpoints { checkpoint.save(sector: sector, of: self) }
        }
    }

    /// Erases `offset..<offset+count` in memory (no write-through).
    func reset(offset: Int, count: Int) {
        guard count > 0 else { return }
        willModify(offset: offset, count: count)
        storage.withUnsafeMutableBytes { _ = memset($0.baseAddress! + offset, Int32(erasedValue), count) }
        setProgrammed(offset: offset, count: count, to: 0)
    }

    /// Copies `offset..<offset+count` to the backing file, if any. False (and ``lastBackingError``
    /// set) when the file could not be written.
    @discardableResult
    func writeThrough(offset: Int, count: Int) -> Bool {
        guard let backing, count > 0 else { return true }
        let failure = storage.withUnsafeBytes { backing.store($0, offset: offset, count: count) }
        if let failure {
            lastBackingError = .backingFileIO(path: backing.path, operation: "pwrite", errno: failure)
            return false
        }
        return true
    }
}
