import FlashKit

/// A small in-test NOR flash over a byte array: bounds, alignment and write-once checked, no
/// timing or power cuts (the Simulation module's model is the full one). Tests poke images in
/// with ``load(_:at:)`` and corrupt them with ``flipBit(at:bit:)``.
final class MemoryFlash: NORFlash {
    var bytes: [UInt8]
    let eraseSize: Int
    let writeSize: Int
    let erasedValue: UInt8
    /// When set, every read throws this error (a failing device).
    var failReads: FlashError? = nil

    init(size: Int, eraseSize: Int = 4096, writeSize: Int = 4, erasedValue: UInt8 = 0xFF) {
        bytes = [UInt8](repeating: erasedValue, count: size)
        self.eraseSize = eraseSize
        self.writeSize = writeSize
        self.erasedValue = erasedValue
    }

    /// A slot of `size` bytes holding `image` at offset 0, the rest erased.
    convenience init(holding image: [UInt8], size: Int, erasedValue: UInt8 = 0xFF) {
        self.init(size: size, eraseSize: 1, erasedValue: erasedValue)
        load(image)
    }

    var size: Int { bytes.count }

    func read(at offset: Int, into buffer: inout MutableSpan<UInt8>) throws(FlashError) {
        if let failReads { throw failReads }
        try checkBounds(offset: offset, count: buffer.count)
        for i in 0..<buffer.count { buffer[i] = bytes[offset + i] }
    }

    func write(at offset: Int, _ data: Span<UInt8>) throws(FlashError) {
        try checkWrite(offset: offset, count: data.count)
        for i in 0..<data.count where bytes[offset + i] != erasedValue { throw .notErased }
        for i in 0..<data.count { bytes[offset + i] = data[i] }
    }

    func erase(at offset: Int, count: Int) throws(FlashError) {
        try checkErase(offset: offset, count: count)
        for i in offset..<(offset + count) { bytes[i] = erasedValue }
    }

    /// Test backdoor: places `data` at `offset` regardless of NOR rules (up to the end of the flash).
    func load(_ data: [UInt8], at offset: Int = 0) {
        let n = min(data.count, bytes.count - offset)
        bytes.replaceSubrange(offset..<(offset + n), with: data[0..<n])
    }

    func flipBit(at offset: Int, bit: Int = 0) {
        bytes[offset] ^= UInt8(1 << bit)
    }
}
