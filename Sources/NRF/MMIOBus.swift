/// 32-bit memory-mapped I/O, as the drivers of this module see it.
///
/// Drivers are generic over the bus (`NVMC<Bus: MMIOBus>`), never over an existential: on the
/// target the bus is ``VolatileBus`` (plain volatile loads and stores, compiled to `ldr`/`str`);
/// on the host it is the simulator's peripheral bus, which dispatches each access to a register
/// model and can record a trace. The same driver code runs in both.
public protocol MMIOBus {
    /// A 32-bit load (a register read, or a word of memory-mapped flash).
    func load(_ address: UInt32) -> UInt32
    /// A 32-bit store (a register write, or a word write to memory-mapped flash under NVMC WEN).
    func store(_ address: UInt32, _ value: UInt32)
    /// Copies `buffer.count` bytes of memory-mapped space (internal flash, XIP) starting at
    /// `address`: what `memcpy` from flash does on the target.
    func copy(from address: UInt32, into buffer: UnsafeMutableRawBufferPointer)
    /// Runs `body` with the bus address of `buffer` for EasyDMA (QSPI, UARTE): the real RAM
    /// address on the target; on the host, a window the peripheral models can reach for the
    /// duration of `body`. EasyDMA needs word-aligned RAM; callers guarantee it.
    func withDMA<R>(_ buffer: UnsafeMutableRawBufferPointer, _ body: (UInt32) -> R) -> R
}

extension MMIOBus {
    /// Read-modify-write of the bits in `mask`.
    @inlinable
    public func modify(_ address: UInt32, mask: UInt32, value: UInt32) {
        store(address, (load(address) & ~mask) | (value & mask))
    }
}
