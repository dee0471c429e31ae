import FlashKit

/// NOR flash rules over plain memory: the emulator boards' slots (QEMU's mps2 code memory is RAM,
/// so there is no flash controller to drive). It keeps the `NORFlash` contract as strictly as the
/// host model: bounds and alignment are checked before anything changes, a write only lands on
/// erased bytes (`notErased` otherwise), and an erase sets whole sectors to `erasedValue`. The
/// memory survives the boards' soft reset, so an uploaded image is there after it.
public struct MemoryMappedNOR: NORFlash, Sendable {
    /// Bus address of offset 0.
    public let base: UInt
    public let size: Int
    public let eraseSize: Int
    public let writeSize: Int
    public let erasedValue: UInt8

    public init(base: UInt, size: Int, eraseSize: Int, writeSize: Int, erasedValue: UInt8 = 0xFF) {
        self.base = base
        self.size = size
        self.eraseSize = eraseSize
        self.writeSize = writeSize
        self.erasedValue = erasedValue
    }

    private func pointer(_ offset: Int) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: base + UInt(offset))!
    }

    public func read(at offset: Int, into buffer: inout MutableSpan<UInt8>) throws(FlashError) {
        let count = buffer.count
        try checkBounds(offset: offset, count: count)
        guard count > 0 else { return }
        let source = UnsafeRawPointer(pointer(offset))
        buffer.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: source, byteCount: count) }
    }

    public func write(at offset: Int, _ bytes: Span<UInt8>) throws(FlashError) {
        let count = bytes.count
        try checkWrite(offset: offset, count: count)
        guard count > 0 else { return }
        let target = pointer(offset)
        for i in 0..<count where target.load(fromByteOffset: i, as: UInt8.self) != erasedValue {
            throw .notErased
        }
        bytes.withUnsafeBytes { target.copyMemory(from: $0.baseAddress!, byteCount: count) }
    }

    public func erase(at offset: Int, count: Int) throws(FlashError) {
        try checkErase(offset: offset, count: count)
        guard count > 0 else { return }
        pointer(offset).initializeMemory(as: UInt8.self, repeating: erasedValue, count: count)
    }
}
