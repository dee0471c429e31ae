import NRF

/// The POWER block's retained registers and the Cortex-M system reset, as a bootloader sees them.
///
/// GPREGRET[0..1] (offsets 0x51C, 0x520) keep their low 8 bits across ``systemReset()`` (what
/// AIRCR.SYSRESETREQ, a watchdog or a pin reset does) and are cleared by ``powerOnReset()``.
/// ``systemControl`` models AIRCR (map it at 0xE000ED00): a store with VECTKEY 0x05FA and
/// SYSRESETREQ counts a reset request and performs ``systemReset()``; one without the key is
/// ignored (as on the core) and recorded in ``driverFaults``.
public final class PowerModel: MMIOPeripheral {
    public let base: UInt32
    public private(set) var gpregret: [UInt8] = [0, 0]
    public private(set) var resetRequests = 0
    public private(set) var driverFaults: [UInt32] = []
    /// Called after every system reset the model performs (a simulated board reboots here).
    public var onSystemReset: (() -> Void)?
    public private(set) var systemControl: MMIOPeripheral!

    public init(base: UInt32) {
        self.base = base
        self.systemControl = nil
        self.systemControl = SystemControl(owner: self)
    }

    public func map(on bus: PeripheralBus) {
        bus.map(self, at: base, size: 0x1000)
        bus.map(systemControl, at: 0xE000_ED00, size: 0x100)
    }

    /// A reset that keeps retained registers.
    public func systemReset() {
        onSystemReset?()
    }

    /// Power removed and restored: retained registers clear.
    public func powerOnReset() {
        gpregret = [0, 0]
    }

    public func read(offset: UInt32, bus: PeripheralBus) -> UInt32 {
        switch offset {
        case 0x51C: UInt32(gpregret[0])
        case 0x520: UInt32(gpregret[1])
        default: 0
        }
    }

    public func write(offset: UInt32, value: UInt32, bus: PeripheralBus) {
        switch offset {
        case 0x51C: gpregret[0] = UInt8(truncatingIfNeeded: value)
        case 0x520: gpregret[1] = UInt8(truncatingIfNeeded: value)
        default: driverFaults.append(base + offset)
        }
    }

    fileprivate var priorityGroup: UInt32 = 0

    fileprivate func aircrWrite(_ value: UInt32) {
        guard value >> 16 == 0x05FA else { return driverFaults.append(0xE000_ED0C) }
        priorityGroup = value & 0x700
        if value & 0b100 != 0 {
            resetRequests += 1
            systemReset()
        }
    }

    private final class SystemControl: MMIOPeripheral {
        unowned let owner: PowerModel
        init(owner: PowerModel) { self.owner = owner }
        func read(offset: UInt32, bus: PeripheralBus) -> UInt32 {
            // AIRCR reads VECTKEYSTAT 0xFA05 in bits 31–16.
            offset == 0x0C ? 0xFA05_0000 | owner.priorityGroup : 0
        }
        func write(offset: UInt32, value: UInt32, bus: PeripheralBus) {
            if offset == 0x0C { owner.aircrWrite(value) } else { owner.driverFaults.append(0xE000_ED00 + offset) }
        }
    }
}
