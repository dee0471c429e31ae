import NRF

/// A register-level model of one GPIO port: PIN_CNF[n] and IN, with levels the test (or the
/// simulated board's "button") drives from outside.
///
/// IN bit n is the external level when something drives the pin, else the pull (up → 1, down or
/// none → 0), and 0 when the pin's input buffer is disconnected (PIN_CNF.INPUT = 1, the reset
/// state 0x2) or it is an output.
public final class GPIOModel: MMIOPeripheral {
    public let port: GPIOPort
    /// PIN_CNF values (reset value 0x00000002: input, buffer disconnected).
    public private(set) var pinConfig = [UInt32](repeating: 2, count: 32)
    /// Externally driven levels; nil where nothing drives the pin.
    public private(set) var externalLevel = [Bool?](repeating: nil, count: 32)

    public init(port: GPIOPort) { self.port = port }

    public func map(on bus: PeripheralBus) {
        bus.map(self, at: port.base, size: port.pinConfigOffset + 32 * 4)
    }

    public func drive(pin: Int, high: Bool) { externalLevel[pin] = high }
    public func release(pin: Int) { externalLevel[pin] = nil }

    /// A button between the pin and ground (`activeLow`) or the supply.
    public func setButton(pin: Int, pressed: Bool, activeLow: Bool = true) {
        if pressed { drive(pin: pin, high: !activeLow) } else { release(pin: pin) }
    }

    public func read(offset: UInt32, bus: PeripheralBus) -> UInt32 {
        if offset == port.inOffset {
            var value: UInt32 = 0
            for pin in 0..<32 where level(pin) { value |= 1 << UInt32(pin) }
            return value
        }
        if let pin = pinIndex(offset) { return pinConfig[pin] }
        return 0
    }

    public func write(offset: UInt32, value: UInt32, bus: PeripheralBus) {
        if let pin = pinIndex(offset) { pinConfig[pin] = value }
    }

    private func pinIndex(_ offset: UInt32) -> Int? {
        guard offset >= port.pinConfigOffset, offset < port.pinConfigOffset + 128, offset & 3 == 0 else { return nil }
        return Int((offset - port.pinConfigOffset) / 4)
    }

    private func level(_ pin: Int) -> Bool {
        let cnf = pinConfig[pin]
        guard cnf & 1 == 0, cnf & 2 == 0 else { return false }  // output, or buffer disconnected
        if let driven = externalLevel[pin] { return driven }
        return (cnf >> 2) & 3 == GPIOPull.up.rawValue
    }
}
