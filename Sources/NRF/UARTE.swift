/// UARTE (UART with EasyDMA) register offsets and values.
///
/// Source: `NRF_UARTE_Type` in the nRF52840 / nRF52833 MDK headers (nrfx `mdk/nrf52840.h`, read
/// through copies in the stored index): TASKS 0x000–0x00C, EVENTS from 0x100, ERRORSRC 0x480
/// (INTENCLR 0x308 + 4 + 93 words), ENABLE 0x500, PSEL {RTS, TXD, CTS, RXD} at 0x508, BAUDRATE
/// 0x524, RXD {PTR, MAXCNT, AMOUNT} at 0x534, TXD at 0x544, CONFIG 0x56C. ENABLE=8 enables UARTE;
/// BAUDRATE 0x01D7E000 is 115200 (`UARTE_BAUDRATE_BAUDRATE_Baud115200`).
///
/// Not confirmed separately: that the nRF5340 UARTE has the same task/event/register offsets (nrfx
/// serves both with one `nrf_uarte.h`; the nRF5340 adds SUBSCRIBE/PUBLISH registers in between,
/// which do not move these) and the MAXCNT field width (the driver uses ≤ 255-byte transfers,
/// which every nRF52/53 UARTE accepts).
public enum UARTERegister {
    public static let tasksStartRX: UInt32 = 0x000
    public static let tasksStopRX: UInt32 = 0x004
    public static let tasksStartTX: UInt32 = 0x008
    public static let tasksStopTX: UInt32 = 0x00C
    public static let eventsRXDRDY: UInt32 = 0x108
    public static let eventsENDRX: UInt32 = 0x110
    public static let eventsTXDRDY: UInt32 = 0x11C
    public static let eventsENDTX: UInt32 = 0x120
    public static let eventsERROR: UInt32 = 0x124
    public static let eventsRXTO: UInt32 = 0x144
    public static let eventsTXSTOPPED: UInt32 = 0x158
    public static let errorSource: UInt32 = 0x480
    public static let enable: UInt32 = 0x500
    public static let pselRTS: UInt32 = 0x508
    public static let pselTXD: UInt32 = 0x50C
    public static let pselCTS: UInt32 = 0x510
    public static let pselRXD: UInt32 = 0x514
    public static let baudrate: UInt32 = 0x524
    public static let rxdPTR: UInt32 = 0x534
    public static let rxdMAXCNT: UInt32 = 0x538
    public static let rxdAMOUNT: UInt32 = 0x53C
    public static let txdPTR: UInt32 = 0x544
    public static let txdMAXCNT: UInt32 = 0x548
    public static let txdAMOUNT: UInt32 = 0x54C
    public static let config: UInt32 = 0x56C

    public static let enableUARTE: UInt32 = 8
    /// PSEL.CONNECT (bit 31) set: pin disconnected.
    public static let pselDisconnected: UInt32 = 0xFFFF_FFFF

    /// UARTE0: nRF52840 0x40002000; nRF5340 application core 0x50008000 (secure) / 0x40008000
    /// (non-secure, `nrf5340_application.h` `NRF_UARTE0_S_BASE`/`_NS_BASE`); network core 0x41013000.
    public static let nrf52840UARTE0: UInt32 = 0x4000_2000
    public static let nrf5340ApplicationUARTE0Secure: UInt32 = 0x5000_8000
    public static let nrf5340ApplicationUARTE0NonSecure: UInt32 = 0x4000_8000
    public static let nrf5340NetworkUARTE0: UInt32 = 0x4101_3000
}

/// A BAUDRATE register value. The UARTE's rate is `value × 16 MHz / 2³²` (rounded by the table).
public struct UARTEBaudrate: Sendable, Equatable {
    public var registerValue: UInt32
    public init(registerValue: UInt32) { self.registerValue = registerValue }

    public static let baud9600 = UARTEBaudrate(registerValue: 0x0027_5000)
    public static let baud115200 = UARTEBaudrate(registerValue: 0x01D7_E000)
    public static let baud1M = UARTEBaudrate(registerValue: 0x1000_0000)
}

/// A GPIO pin as PSEL wants it: bits 0–4 pin, bit 5 port, CONNECT (bit 31) clear.
public struct NRFPin: Sendable, Equatable {
    public var port: UInt8
    public var pin: UInt8
    public init(port: UInt8 = 0, pin: UInt8) {
        self.port = port
        self.pin = pin
    }
    public var psel: UInt32 { UInt32(pin & 31) | UInt32(port & 1) << 5 }
}

/// What can go wrong on the serial link.
public enum UARTEError: Error, Equatable, Sendable {
    /// ENDTX (or ENDRX after STOPRX) did not arrive in the bounded wait.
    case timeout
}

/// A polled UARTE driver: the bootloader's console. Transfers go through EasyDMA from RAM buffers
/// the caller lends (EasyDMA cannot read flash), at most ``maxTransfer`` bytes at a time.
///
/// ```
///  transmit:  EVENTS_ENDTX=0 │ TXD.PTR │ TXD.MAXCNT │ TASKS_STARTTX=1 │ wait EVENTS_ENDTX │ EVENTS_ENDTX=0
///  receive:   EVENTS_ENDRX=0 │ RXD.PTR │ RXD.MAXCNT │ TASKS_STARTRX=1 │ wait EVENTS_ENDRX (bounded)
///             └ not full in time: TASKS_STOPRX=1 │ wait EVENTS_ENDRX │ RXD.AMOUNT
/// ```
public struct UARTE<Bus: MMIOBus> {
    public let bus: Bus
    public let base: UInt32
    /// Largest single EasyDMA transfer.
    public var maxTransfer: Int = 255
    /// Polls of an END event before `.timeout` (transmit) or STOPRX (receive).
    public var pollLimit: UInt32 = 10_000_000

    public init(bus: Bus, base: UInt32) {
        self.bus = bus
        self.base = base
    }

    /// Connects TXD/RXD, sets the rate, no flow control, no parity, and enables the peripheral.
    public func configure(tx: NRFPin, rx: NRFPin, baudrate: UARTEBaudrate = .baud115200) {
        bus.store(base + UARTERegister.enable, 0)
        bus.store(base + UARTERegister.pselTXD, tx.psel)
        bus.store(base + UARTERegister.pselRXD, rx.psel)
        bus.store(base + UARTERegister.pselRTS, UARTERegister.pselDisconnected)
        bus.store(base + UARTERegister.pselCTS, UARTERegister.pselDisconnected)
        bus.store(base + UARTERegister.baudrate, baudrate.registerValue)
        bus.store(base + UARTERegister.config, 0)
        bus.store(base + UARTERegister.enable, UARTERegister.enableUARTE)
    }

    /// Sends every byte of `buffer` (RAM, word-aligned for EasyDMA) and waits until the last
    /// transfer has ended.
    public func transmit(_ buffer: UnsafeMutableRawBufferPointer) throws(UARTEError) {
        var done = 0
        while done < buffer.count {
            let n = min(maxTransfer, buffer.count - done)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + n)])
            let ended: Bool = bus.withDMA(chunk) { address in
                bus.store(base + UARTERegister.eventsENDTX, 0)
                bus.store(base + UARTERegister.txdPTR, address)
                bus.store(base + UARTERegister.txdMAXCNT, UInt32(n))
                bus.store(base + UARTERegister.tasksStartTX, 1)
                let ok = waitFor(UARTERegister.eventsENDTX)
                bus.store(base + UARTERegister.eventsENDTX, 0)
                return ok
            }
            if !ended {
                bus.store(base + UARTERegister.tasksStopTX, 1)
                throw .timeout
            }
            done += n
        }
    }

    /// Receives up to `min(buffer.count, maxTransfer)` bytes; returns how many arrived before the
    /// buffer filled or ``pollLimit`` polls passed (then the reception is stopped).
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(UARTEError) -> Int {
        let n = min(maxTransfer, buffer.count)
        guard n > 0 else { return 0 }
        let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
        let amount: UInt32? = bus.withDMA(chunk) { address in
            bus.store(base + UARTERegister.eventsENDRX, 0)
            bus.store(base + UARTERegister.eventsRXTO, 0)
            bus.store(base + UARTERegister.rxdPTR, address)
            bus.store(base + UARTERegister.rxdMAXCNT, UInt32(n))
            bus.store(base + UARTERegister.tasksStartRX, 1)
            if !waitFor(UARTERegister.eventsENDRX) {
                bus.store(base + UARTERegister.tasksStopRX, 1)
                guard waitFor(UARTERegister.eventsENDRX) else { return nil }
            }
            bus.store(base + UARTERegister.eventsENDRX, 0)
            return bus.load(base + UARTERegister.rxdAMOUNT)
        }
        guard let amount else { throw .timeout }
        return Int(min(amount, UInt32(n)))
    }

    private func waitFor(_ event: UInt32) -> Bool {
        var polls: UInt32 = 0
        while polls < pollLimit {
            if bus.load(base + event) != 0 { return true }
            polls &+= 1
        }
        return false
    }
}
