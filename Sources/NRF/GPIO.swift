/// One GPIO port: where its IN and PIN_CNF registers are.
///
/// Sources: nRF52840 `NRF_GPIO_Type` (P0 at 0x50000000, P1 at 0x50000300; OUT 0x504, IN 0x510,
/// DIR 0x514, PIN_CNF[n] at 0x700 + 4n: nrfx `mdk/nrf52840.h`, seen in several stored copies);
/// nRF5340 `NRF_GPIO_Type` (P0 at 0x50842500 secure / 0x40842500 non-secure, P1 at +0x300;
/// IN 0x010, PIN_CNF[n] at 0x200 + 4n: `mdk/nrf5340_application.h`); nRF51 (one port at
/// 0x50000000 with the nRF52840 P0 offsets: QEMU `hw/gpio/nrf51_gpio.c`, the register set the
/// nRF52 kept).
public struct GPIOPort: Sendable, Equatable {
    public var base: UInt32
    public var inOffset: UInt32
    public var pinConfigOffset: UInt32

    public init(base: UInt32, inOffset: UInt32, pinConfigOffset: UInt32) {
        self.base = base
        self.inOffset = inOffset
        self.pinConfigOffset = pinConfigOffset
    }

    public static let nrf52840P0 = GPIOPort(base: 0x5000_0000, inOffset: 0x510, pinConfigOffset: 0x700)
    public static let nrf52840P1 = GPIOPort(base: 0x5000_0300, inOffset: 0x510, pinConfigOffset: 0x700)
    public static let nrf51 = GPIOPort(base: 0x5000_0000, inOffset: 0x510, pinConfigOffset: 0x700)
    public static let nrf5340ApplicationP0Secure = GPIOPort(base: 0x5084_2500, inOffset: 0x010, pinConfigOffset: 0x200)
    public static let nrf5340ApplicationP1Secure = GPIOPort(base: 0x5084_2800, inOffset: 0x010, pinConfigOffset: 0x200)

    public func inAddress() -> UInt32 { base + inOffset }
    public func pinConfigAddress(_ pin: Int) -> UInt32 { base + pinConfigOffset + UInt32(pin & 31) * 4 }
}

/// PIN_CNF fields: DIR bit 0 (0 input), INPUT bit 1 (0 connect buffer), PULL bits 2–3
/// (0 none, 1 down, 3 up) — `GPIO_PIN_CNF_*` in the MDK headers.
public enum GPIOPull: UInt32, Sendable {
    case none = 0
    case down = 1
    case up = 3

    /// Input, buffer connected, this pull, standard drive, no sense.
    public var inputPinConfig: UInt32 { rawValue << 2 }
}

/// GPIO input for the recovery button (nrf52840dk P0.11, nrf5340dk P0.23: active low with the
/// internal pull-up, per the Zephyr board files in mcuboot-serial-recovery.md §4).
public struct GPIO<Bus: MMIOBus> {
    public let bus: Bus
    public let port: GPIOPort

    public init(bus: Bus, port: GPIOPort) {
        self.bus = bus
        self.port = port
    }

    /// Makes `pin` an input with its buffer connected and `pull`.
    public func configureInput(pin: Int, pull: GPIOPull) {
        bus.store(port.pinConfigAddress(pin), pull.inputPinConfig)
    }

    /// The level on `pin` (true = high). The pin must be an input.
    public func level(pin: Int) -> Bool {
        bus.load(port.inAddress()) >> UInt32(pin & 31) & 1 != 0
    }

    /// Configures `pin` as an input pulled to its idle level (up for active-low buttons, down
    /// otherwise) and reads it. On hardware the pull needs a moment to charge the pin: call this
    /// once early and again after a short delay, or configure first and read later.
    public func isPressed(pin: Int, activeLow: Bool) -> Bool {
        configureInput(pin: pin, pull: activeLow ? .up : .down)
        return level(pin: pin) != activeLow
    }
}
