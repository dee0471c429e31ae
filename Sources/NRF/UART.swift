/// Legacy UART (no EasyDMA) register offsets and values.
///
/// Sources (nrfx, read through the stored index):
/// - `NRF_UART_Type` in `mdk/nrf52840.h` (NordicSemiconductor/nrfx @ 11f57e5): UART0 at
///   0x40002000 (the same base as UARTE0), TASKS_STARTRX 0x000, STOPRX 0x004, STARTTX 0x008,
///   STOPTX 0x00C, EVENTS_RXDRDY 0x108, TXDRDY 0x11C, ERROR 0x124, RXTO 0x144, ERRORSRC 0x480,
///   ENABLE 0x500, PSEL {RTS, TXD, CTS, RXD} at 0x508, RXD 0x518 ("cleared on read and the double
///   buffered byte will be moved to RXD if it exists"), TXD 0x51C, BAUDRATE 0x524, CONFIG 0x56C.
/// - `mdk/nrf52840_bitfields.h` (nrfx @ bd4c9a1): `UART_ENABLE_ENABLE_Enabled (4UL)` (the UARTE is
///   8: the ENABLE value picks which of the two peripherals owns the shared instance),
///   `UART_BAUDRATE_BAUDRATE_Baud115200 (0x01D7E000UL)`, PSEL bit 31 CONNECT (1 = disconnected),
///   CONFIG bit 0 HWFC and bits 3..1 PARITY (0 = none).
/// - `hal/nrf_uart.h` (nrfx @ 32f47b3): `NRF_UART_BAUDRATE_115200 = UART_BAUDRATE_BAUDRATE_Baud115200`,
///   `NRF_UART_PSEL_DISCONNECTED 0xFFFFFFFF`.
/// - The polled byte protocol (clear RXDRDY *before* reading RXD) is the one that ran on the nRF51
///   UART0 under QEMU (`/work/shared/reference/embedded-swift.md` §2); the nRF52840's legacy UART has
///   the same task/event/register offsets.
///
/// The nRF51 has only this UART (UART0 at 0x40002000, the same offsets and ENABLE value 4; QEMU
/// `hw/char/nrf51_uart.c` models it, `-M microbit`).
///
/// The nRF5340 has no legacy UART: nrfx `mdk/nrf5340_application_peripherals.h` and
/// `nrf5340_network_peripherals.h` define `UARTE_PRESENT` only (no `UART_PRESENT`). Use ``UARTE``
/// there.
public enum UARTRegister {
    public static let tasksStartRX: UInt32 = 0x000
    public static let tasksStopRX: UInt32 = 0x004
    public static let tasksStartTX: UInt32 = 0x008
    public static let tasksStopTX: UInt32 = 0x00C
    public static let eventsRXDRDY: UInt32 = 0x108
    public static let eventsTXDRDY: UInt32 = 0x11C
    public static let eventsERROR: UInt32 = 0x124
    public static let eventsRXTO: UInt32 = 0x144
    public static let errorSource: UInt32 = 0x480
    public static let enable: UInt32 = 0x500
    public static let pselRTS: UInt32 = 0x508
    public static let pselTXD: UInt32 = 0x50C
    public static let pselCTS: UInt32 = 0x510
    public static let pselRXD: UInt32 = 0x514
    public static let rxd: UInt32 = 0x518
    public static let txd: UInt32 = 0x51C
    public static let baudrate: UInt32 = 0x524
    public static let config: UInt32 = 0x56C

    /// `UART_ENABLE_ENABLE_Enabled`. (8 would enable the UARTE at the same base instead.)
    public static let enableUART: UInt32 = 4
    /// PSEL.CONNECT (bit 31) set: pin disconnected (`NRF_UART_PSEL_DISCONNECTED`).
    public static let pselDisconnected: UInt32 = 0xFFFF_FFFF

    /// UART0 on the nRF52840 (shared with UARTE0, ``UARTERegister/nrf52840UARTE0``).
    public static let nrf52840UART0: UInt32 = 0x4000_2000
    /// UART0 on the nRF51.
    public static let nrf51UART0: UInt32 = 0x4000_2000
}

/// A legacy-UART BAUDRATE register value (`UART_BAUDRATE_BAUDRATE_*`). Some entries of the UART
/// table differ from the UARTE's (e.g. 230400), so the two have separate types; the ones here are
/// equal in both tables.
public struct UARTBaudrate: Sendable, Equatable {
    public var registerValue: UInt32
    public init(registerValue: UInt32) { self.registerValue = registerValue }

    public static let baud9600 = UARTBaudrate(registerValue: 0x0027_5000)
    public static let baud115200 = UARTBaudrate(registerValue: 0x01D7_E000)
    public static let baud1M = UARTBaudrate(registerValue: 0x1000_0000)
}

/// What can go wrong on the legacy UART.
public enum UARTError: Error, Equatable, Sendable {
    /// TXDRDY (transmit) or RXDRDY (``UART/readByte(timeoutPolls:)``) did not arrive in the
    /// bounded wait.
    case timeout
}

/// A polled driver for the legacy UART of the nRF52840 and the nRF51 (one byte at a time through
/// TXD/RXD, no EasyDMA, so it can send straight from flash); see ``UARTRegister`` for why not nRF5340.
///
/// ```
///  configure: ENABLE=0 │ PSEL.TXD │ PSEL.RXD │ PSEL.RTS=off │ PSEL.CTS=off │ BAUDRATE │ CONFIG=0
///             │ ENABLE=4 │ EVENTS_RXDRDY=0 │ TASKS_STARTTX=1 │ TASKS_STARTRX=1
///  write:     EVENTS_TXDRDY=0 │ TXD=byte │ wait EVENTS_TXDRDY (bounded)
///  read:      EVENTS_RXDRDY? ── 0: nil
///                            └─ 1: EVENTS_RXDRDY=0 │ RXD      (clear first: reading RXD may
///                                                             raise RXDRDY for the next byte)
/// ```
public struct UART<Bus: MMIOBus> {
    public let bus: Bus
    public let base: UInt32
    /// Polls of TXDRDY before `.timeout`.
    public var pollLimit: UInt32 = 10_000_000

    public init(bus: Bus, base: UInt32) {
        self.bus = bus
        self.base = base
    }

    /// Connects TXD/RXD, sets the rate, 8N1 without flow control, enables the legacy UART and
    /// starts both directions. PSEL is written while the peripheral is disabled ("must only be
    /// configured when the UART is disabled": the nRF52840 product specification as quoted in a
    /// third-party note, ShpakovDmitry/nRF52840_experiments `docs/uart/README.md`; not checked in
    /// the specification itself).
    public func configure(tx: NRFPin, rx: NRFPin, baudrate: UARTBaudrate = .baud115200) {
        bus.store(base + UARTRegister.enable, 0)
        bus.store(base + UARTRegister.pselTXD, tx.psel)
        bus.store(base + UARTRegister.pselRXD, rx.psel)
        bus.store(base + UARTRegister.pselRTS, UARTRegister.pselDisconnected)
        bus.store(base + UARTRegister.pselCTS, UARTRegister.pselDisconnected)
        bus.store(base + UARTRegister.baudrate, baudrate.registerValue)
        bus.store(base + UARTRegister.config, 0)
        bus.store(base + UARTRegister.enable, UARTRegister.enableUART)
        bus.store(base + UARTRegister.eventsRXDRDY, 0)
        bus.store(base + UARTRegister.tasksStartTX, 1)
        bus.store(base + UARTRegister.tasksStartRX, 1)
    }

    /// Sends one byte and waits (at most ``pollLimit`` polls) until it has left TXD.
    public func write(_ byte: UInt8) throws(UARTError) {
        bus.store(base + UARTRegister.eventsTXDRDY, 0)
        bus.store(base + UARTRegister.txd, UInt32(byte))
        var polls: UInt32 = 0
        while polls < pollLimit {
            if bus.load(base + UARTRegister.eventsTXDRDY) != 0 { return }
            polls &+= 1
        }
        throw .timeout
    }

    /// Sends every byte of `bytes`, in order; stops at the first byte that times out.
    public func write(contentsOf bytes: some Sequence<UInt8>) throws(UARTError) {
        for byte in bytes { try write(byte) }
    }

    /// The received byte waiting in RXD, or nil when RXDRDY is not set. One poll, no waiting.
    public func read() -> UInt8? {
        guard bus.load(base + UARTRegister.eventsRXDRDY) != 0 else { return nil }
        // Clear before reading: the RXD read moves the next buffered byte in and raises RXDRDY
        // again; clearing afterwards would lose that event.
        bus.store(base + UARTRegister.eventsRXDRDY, 0)
        return UInt8(truncatingIfNeeded: bus.load(base + UARTRegister.rxd))
    }

    /// Waits at most `timeoutPolls` polls of RXDRDY for a byte.
    public func readByte(timeoutPolls: UInt32) throws(UARTError) -> UInt8 {
        var polls: UInt32 = 0
        while polls < timeoutPolls {
            if let byte = read() { return byte }
            polls &+= 1
        }
        throw .timeout
    }
}
