/// A system reset through the Cortex-M System Control Block, as CMSIS `NVIC_SystemReset` does:
/// AIRCR (0xE000ED0C) ← VECTKEY 0x05FA in bits 31–16 | the current PRIGROUP (bits 10–8) |
/// SYSRESETREQ (bit 2). ARMv7-M / ARMv8-M Architecture Reference Manual, B3.2.6; the same on the
/// nRF52840 (M4F) and nRF5340 (M33).
///
/// CMSIS brackets the store with DSB; Swift has no portable barrier intrinsic, and the volatile
/// store is the last memory access, so board code follows ``request()`` with a spin loop.
public struct SystemReset<Bus: MMIOBus> {
    public let bus: Bus

    public static var aircr: UInt32 { 0xE000_ED0C }
    public static var vectKey: UInt32 { 0x05FA_0000 }
    public static var priorityGroupMask: UInt32 { 0x0000_0700 }
    public static var sysResetReq: UInt32 { 1 << 2 }

    public init(bus: Bus) { self.bus = bus }

    /// Requests the reset. On the target it does not come back (the caller loops); on the host the
    /// model records it and returns.
    public func request() {
        let priorityGroup = bus.load(Self.aircr) & Self.priorityGroupMask
        bus.store(Self.aircr, Self.vectKey | priorityGroup | Self.sysResetReq)
    }
}
