import Foundation

/// A control line of a USB-UART bridge: a modem-control line (DTR, RTS: FTDI, CP210x, CH340, or
/// a tty's), or one of the four CBUS pins of an FT232R / FT-X adapter, driven in CBUS bit-bang
/// mode beside the UART (the pin must be set to GPIO, `CBUS_IOMODE`, in the adapter's EEPROM).
public enum ControlLine: String, Sendable, CaseIterable {
    case dtr, rts, cbus0, cbus1, cbus2, cbus3

    /// The CBUS pin number (0…3), nil for DTR and RTS.
    public var cbusPin: Int? {
        switch self {
        case .dtr, .rts: nil
        case .cbus0: 0
        case .cbus1: 1
        case .cbus2: 2
        case .cbus3: 3
        }
    }
}

/// Something that can drive DTR and RTS: a serial tty, an FTDI adapter, a fake.
public protocol ControlLineDriver: AnyObject {
    /// Asserts (true) or releases (false) `line`. Asserted drives the adapter's pin low (the
    /// lines are active-low at the connector, as RS-232's DTR/RTS are).
    func setLine(_ line: ControlLine, asserted: Bool) throws(TransportError)
}

extension SerialDeviceTransport: ControlLineDriver {
    public func setLine(_ line: ControlLine, asserted: Bool) throws(TransportError) {
        switch line {
        case .dtr: try setControlLines(dtr: asserted)
        case .rts: try setControlLines(rts: asserted)
        case .cbus0, .cbus1, .cbus2, .cbus3:
            throw TransportError("\(line.rawValue) is an FTDI CBUS pin: a serial port has only DTR and RTS; open the adapter with --ftdi VID:PID to drive its CBUS pins")
        }
    }
}

/// CBUS bit-bang on an FT232R or FT-X adapter (`ftdi_set_bitmode` with `BITMODE_CBUS`, which
/// leaves the UART running). An active pin is an output driven low; a released pin is an input,
/// so the board's pull-up holds it high and the adapter never drives a board pin high (an
/// open-drain wiring, as a reset button's).
public struct CBUSBitBang: Equatable, Sendable {
    /// `BITMODE_CBUS`.
    public static let mode: UInt8 = 0x20
    /// Bit n set: CBUSn driven low.
    public private(set) var drivenLow: UInt8 = 0

    public init() {}

    /// Drives `pin` low (asserted) or releases it, and returns the `ftdi_set_bitmode` mask for
    /// the new state: direction in the high nibble (1 = output), levels in the low nibble (all 0).
    public mutating func set(pin: Int, asserted: Bool) -> UInt8 {
        let bit = UInt8(1) << UInt8(pin & 3)
        if asserted { drivenLow |= bit } else { drivenLow &= ~bit }
        return drivenLow << 4
    }
}

/// How a board's reset and boot (recovery button) pins hang on the adapter's lines: which line
/// and whether the line is asserted (pin low) to activate the pin. Written `rts`, `dtr`, or with
/// a `!` for a line that activates the pin when released (through an inverting transistor).
public struct PinAssignment: Equatable, Sendable, CustomStringConvertible {
    public var line: ControlLine
    /// True: asserting the line activates the pin (a direct wire to an active-low pin).
    public var assertToActivate: Bool

    public init(line: ControlLine, assertToActivate: Bool = true) {
        self.line = line
        self.assertToActivate = assertToActivate
    }

    public init(parsing text: String) throws(TransportError) {
        let inverted = text.hasPrefix("!")
        guard let line = ControlLine(rawValue: String(text.dropFirst(inverted ? 1 : 0)).lowercased()) else {
            throw TransportError("'\(text)' is not a control line: use dtr, rts or (FTDI FT232R / FT-X) cbus0…cbus3, with ! in front for an inverted one")
        }
        self.init(line: line, assertToActivate: !inverted)
    }

    public var description: String { (assertToActivate ? "" : "!") + line.rawValue }
}

/// Reset and boot-pin sequences over DTR/RTS, as esptool's auto-reset does for the ESP32, here
/// for a board whose reset pin and recovery button are wired to the adapter. Times are the
/// bootloader's: the reset pulse long enough for the reset circuit, the boot pin held until the
/// boot stage has sampled it.
public struct PinSequencer {
    public var driver: ControlLineDriver
    public var reset: PinAssignment
    public var boot: PinAssignment?
    /// Seconds the reset pin is held active.
    public var resetPulse = 0.1
    /// Seconds after the reset is released before the boot pin may be released.
    public var bootHold = 0.5
    /// How to wait (tests pass one that records instead of sleeping).
    public var sleep: (Double) -> Void = { usleep(UInt32($0 * 1_000_000)) }

    public init(driver: ControlLineDriver, reset: PinAssignment, boot: PinAssignment? = nil) {
        self.driver = driver
        self.reset = reset
        self.boot = boot
    }

    func set(_ pin: PinAssignment, active: Bool) throws(TransportError) {
        try driver.setLine(pin.line, asserted: active == pin.assertToActivate)
    }

    /// Both pins inactive: the board runs.
    public func release() throws(TransportError) {
        if let boot { try set(boot, active: false) }
        try set(reset, active: false)
    }

    /// A reset pulse: the board starts again (its boot stage runs).
    public func pulseReset() throws(TransportError) {
        try set(reset, active: true)
        sleep(resetPulse)
        try set(reset, active: false)
    }

    /// Holds the boot pin, pulses reset, and keeps the boot pin held while the boot stage samples
    /// it: the board comes up in serial recovery. `releaseBoot` false leaves the pin held (the
    /// caller releases it once recovery answers).
    public func enterRecovery(releaseBoot: Bool = true) throws(TransportError) {
        guard let boot else { throw TransportError("no boot line assigned (--boot-line dtr|rts|!dtr|!rts)") }
        try set(boot, active: true)
        try pulseReset()
        sleep(bootHold)
        if releaseBoot { try set(boot, active: false) }
    }

    /// Releases the boot pin (after `enterRecovery(releaseBoot: false)`).
    public func releaseBoot() throws(TransportError) {
        if let boot { try set(boot, active: false) }
    }
}
