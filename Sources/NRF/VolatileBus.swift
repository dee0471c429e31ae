import _Volatile

/// The target's bus: volatile 32-bit loads and stores at physical addresses
/// (`UnsafeMutablePointer.pointee` is not volatile and would let the compiler drop polling loops).
///
/// Only meaningful on the microcontroller; on the host every address would be unmapped.
public struct VolatileBus: MMIOBus {
    public init() {}

    @inline(__always)
    public func load(_ address: UInt32) -> UInt32 {
        unsafe VolatileMappedRegister<UInt32>(unsafeBitPattern: UInt(address)).load()
    }

    @inline(__always)
    public func store(_ address: UInt32, _ value: UInt32) {
        unsafe VolatileMappedRegister<UInt32>(unsafeBitPattern: UInt(address)).store(value)
    }

    public func copy(from address: UInt32, into buffer: UnsafeMutableRawBufferPointer) {
        // Word loads where both sides allow it, bytes at the edges.
        var offset = 0
        while offset < buffer.count {
            let word = load((address &+ UInt32(offset)) & ~3)
            let shift = ((address &+ UInt32(offset)) & 3) * 8
            buffer[offset] = UInt8(truncatingIfNeeded: word >> shift)
            offset += 1
        }
    }

    public func withDMA<R>(_ buffer: UnsafeMutableRawBufferPointer, _ body: (UInt32) -> R) -> R {
        body(UInt32(truncatingIfNeeded: UInt(bitPattern: buffer.baseAddress)))
    }
}
