import _Volatile

/// ARM CMSDK APB UART, polled (QEMU: UART0 at 0x40004000).
public struct CMSDKUART: ConsolePort {
    public let base: UInt

    public init(base: UInt) { self.base = base }

    @inline(__always) func register(_ offset: UInt) -> VolatileMappedRegister<UInt32> {
        unsafe VolatileMappedRegister<UInt32>(unsafeBitPattern: base + offset)
    }

    public func start() {
        register(0x10).store(16)  // BAUDDIV
        register(0x08).store(3)   // CTRL: TX and RX enabled
    }

    public func send(_ byte: UInt8) {
        while register(0x04).load() & 1 != 0 {}  // STATE.TXFULL
        register(0x00).store(UInt32(byte))
    }

    public func receive() -> UInt8? {
        guard register(0x04).load() & 2 != 0 else { return nil }  // STATE.RXFULL
        return UInt8(truncatingIfNeeded: register(0x00).load())
    }
}
