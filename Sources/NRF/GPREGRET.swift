/// The general-purpose retention registers: a byte each that survives a system reset (not a
/// power-on reset), how an application asks the bootloader for recovery (Zephyr's boot mode on
/// `gpregret1`, `BOOT_MODE_TYPE_BOOTLOADER` = 1; mcuboot-serial-recovery.md §4).
///
/// Sources: nRF52840 POWER at 0x40000000, GPREGRET 0x51C, GPREGRET2 0x520 (Zephyr
/// `nrf52840.dtsi` `gpregret1@4000051c`, `gpregret2@40000520`). nRF5340: GPREGRET[0..1] are in
/// **POWER** (0x50005000 secure / 0x40005000 non-secure; network core 0x41005000) at 0x51C/0x520
/// (`NRF_POWER_Type` "GPREGRET[2] (@ 0x0000051C)" in an nrf5340 peripheral-types header derived
/// from the nrfx MDK; `nrf_power.h` `nrf_power_gpregret_ext_set` indexes `GPREGRET[reg_num]` for
/// `NRF5340_XXAA_APPLICATION`), not in REGULATORS (0x50004000). nRF51: POWER at 0x40000000,
/// GPREGRET 0x51C, one register (the nRF51 reference manual's POWER chapter; QEMU does not model
/// it: its 0x40000000 page is a stub that reads 1 and ignores writes).
public struct GPREGRET<Bus: MMIOBus> {
    public let bus: Bus
    /// Base of the POWER block.
    public let powerBase: UInt32

    public static var registerOffset: UInt32 { 0x51C }
    public static var nrf52840PowerBase: UInt32 { 0x4000_0000 }
    public static var nrf51PowerBase: UInt32 { 0x4000_0000 }
    public static var nrf5340ApplicationPowerSecure: UInt32 { 0x5000_5000 }
    public static var nrf5340NetworkPower: UInt32 { 0x4100_5000 }

    public init(bus: Bus, powerBase: UInt32) {
        self.bus = bus
        self.powerBase = powerBase
    }

    /// GPREGRET[index] (0 or 1; index 1 is GPREGRET2 on the nRF52840). Only bits 0–7 are retained.
    public func read(_ index: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: bus.load(address(index)))
    }

    public func write(_ index: Int, _ value: UInt8) {
        bus.store(address(index), UInt32(value))
    }

    private func address(_ index: Int) -> UInt32 { powerBase + Self.registerOffset + UInt32(index & 1) * 4 }
}
