import NRF

/// A register-level model of the nRF52840's legacy UART (ENABLE=4, byte-wise TXD/RXD, no EasyDMA),
/// with byte timing on the virtual clock. Offsets: ``NRF/UARTRegister``.
///
/// - Rate: `BAUDRATE × 16 MHz / 2³²` (0x01D7E000 → 115 203 baud; the MDK comments the UART table's
///   115200 entry as "actual rate: 115942", which the model does not reproduce), 10 bits per byte
///   (8N1): 86.8 µs per byte at 115200.
/// - Transmit: a TXD write (enabled, STARTTX triggered) appends the byte to ``outbox`` and raises
///   TXDRDY one byte time later. A poll of EVENTS_TXDRDY before then reads 0 and lets the clock run
///   to the end of the byte (the CPU spins); the next poll reads 1.
/// - Receive: bytes from the host (``hostSend(_:)``) wait in ``inbox``. While reception is started
///   and RXD is empty, a poll of EVENTS_RXDRDY moves the next one into RXD, one byte time after the
///   previous byte (the clock advances to its arrival), and raises RXDRDY. Reading RXD empties it
///   and, if more bytes wait, moves the next one in and raises RXDRDY again (as QEMU's nRF51 UART
///   does), so a driver that clears RXDRDY *after* reading RXD loses that event. The simplification
///   shared with ``UARTEModel``: a byte that has not "arrived" yet is waited for in the poll rather
///   than reported absent.
/// - Misuse is recorded in ``driverFaults`` (see ``UARTDriverFault``).
public final class UARTModel: MMIOPeripheral {
    /// What the device sent (the host side reads it with ``hostReceive()``).
    public private(set) var outbox: [UInt8] = []
    /// Bytes from the host not yet moved into RXD.
    public private(set) var inbox: [UInt8] = []
    public private(set) var driverFaults: [UARTDriverFault] = []
    public private(set) var registers: [UInt32: UInt32] = [:]
    public private(set) var txStarted = false
    public private(set) var rxStarted = false

    private var txEnd: UInt64?
    private var txdrdy = false
    private var rxdrdy = false
    private var rxHolding: UInt8?
    private var rxLineFreeAt: UInt64 = 0
    private var rxto = false
    private var error = false

    public init() {}

    /// Bytes from the host to the device.
    public func hostSend(_ bytes: [UInt8]) { inbox.append(contentsOf: bytes) }

    /// Takes what the device sent so far.
    public func hostReceive() -> [UInt8] {
        defer { outbox.removeAll() }
        return outbox
    }

    /// ENABLE holds 4 (the legacy UART; 8 would be the UARTE).
    public var isEnabled: Bool { registers[UARTRegister.enable] == UARTRegister.enableUART }

    /// The configured rate in bits per second (reset value of BAUDRATE: 9600).
    public var baud: Double {
        Double(registers[UARTRegister.baudrate] ?? UARTBaudrate.baud9600.registerValue) * 16_000_000 / 4_294_967_296
    }

    /// One 8N1 byte (10 bits), in nanoseconds.
    public var byteNanoseconds: UInt64 { UInt64((10 * 1e9 / baud).rounded()) }

    public func read(offset: UInt32, bus: PeripheralBus) -> UInt32 {
        switch offset {
        case UARTRegister.eventsTXDRDY:
            guard let end = txEnd else { return txdrdy ? 1 : 0 }
            if bus.clock.nanoseconds >= end {
                txEnd = nil
                txdrdy = true
                return 1
            }
            bus.clock.advance(to: end)
            return 0
        case UARTRegister.eventsRXDRDY:
            pump(bus)
            return rxdrdy ? 1 : 0
        case UARTRegister.eventsRXTO:
            return rxto ? 1 : 0
        case UARTRegister.eventsERROR:
            return error ? 1 : 0
        case UARTRegister.rxd:
            guard isEnabled else {
                driverFaults.append(.notEnabled(offset: offset))
                return 0
            }
            guard let byte = rxHolding else {
                driverFaults.append(.rxdReadWithoutByte)
                return 0
            }
            if rxdrdy { driverFaults.append(.rxdReadBeforeClearingRXDRDY) }
            rxHolding = nil
            pump(bus)
            return UInt32(byte)
        case UARTRegister.txd:
            return 0  // write-only
        default:
            return registers[offset] ?? 0
        }
    }

    public func write(offset: UInt32, value: UInt32, bus: PeripheralBus) {
        switch offset {
        case UARTRegister.tasksStartTX where value != 0:
            guard isEnabled else { return driverFaults.append(.notEnabled(offset: offset)) }
            txStarted = true
        case UARTRegister.tasksStopTX where value != 0:
            if let end = txEnd { bus.clock.advance(to: end) }
            txEnd = nil
            txStarted = false
        case UARTRegister.tasksStartRX where value != 0:
            guard isEnabled else { return driverFaults.append(.notEnabled(offset: offset)) }
            rxStarted = true
        case UARTRegister.tasksStopRX where value != 0:
            if rxStarted { rxto = true }
            rxStarted = false
        case UARTRegister.tasksStartTX, UARTRegister.tasksStopTX, UARTRegister.tasksStartRX, UARTRegister.tasksStopRX:
            break  // writing 0 to a task does nothing
        case UARTRegister.txd:
            transmit(UInt8(truncatingIfNeeded: value), bus)
        case UARTRegister.eventsTXDRDY: txdrdy = value != 0
        case UARTRegister.eventsRXDRDY: rxdrdy = value != 0
        case UARTRegister.eventsRXTO: rxto = value != 0
        case UARTRegister.eventsERROR: error = value != 0
        case UARTRegister.errorSource:
            registers[offset] = (registers[offset] ?? 0) & ~value  // write one to clear
        case UARTRegister.pselTXD, UARTRegister.pselRXD, UARTRegister.pselRTS, UARTRegister.pselCTS:
            if isEnabled { driverFaults.append(.pselWhileEnabled(offset: offset)) }
            registers[offset] = value
        case UARTRegister.enable:
            registers[offset] = value
            if value != UARTRegister.enableUART {
                txStarted = false
                rxStarted = false
                txEnd = nil
            }
        case UARTRegister.baudrate, UARTRegister.config:
            registers[offset] = value
        default:
            driverFaults.append(.unknownRegister(offset: offset))
        }
    }

    private func transmit(_ byte: UInt8, _ bus: PeripheralBus) {
        guard isEnabled else { return driverFaults.append(.notEnabled(offset: UARTRegister.txd)) }
        guard txStarted else { return driverFaults.append(.txdBeforeStartTX) }
        if let end = txEnd, bus.clock.nanoseconds < end { driverFaults.append(.txdWhileBusy) }
        outbox.append(byte)
        txEnd = max(bus.clock.nanoseconds, txEnd ?? 0) + byteNanoseconds
    }

    /// Moves the next waiting host byte into an empty RXD, one byte time after the previous one.
    private func pump(_ bus: PeripheralBus) {
        guard isEnabled, rxStarted, rxHolding == nil, !inbox.isEmpty else { return }
        let arrival = max(rxLineFreeAt, bus.clock.nanoseconds) + byteNanoseconds
        bus.clock.advance(to: arrival)
        rxLineFreeAt = arrival
        rxHolding = inbox.removeFirst()
        rxdrdy = true
    }
}

/// Legacy-UART driver mistakes the model catches.
public enum UARTDriverFault: Equatable, Sendable {
    /// A task, TXD write or RXD read while ENABLE is not 4 (disabled, or set to 8 = UARTE).
    case notEnabled(offset: UInt32)
    /// TXD written before TASKS_STARTTX: on hardware the byte is not sent.
    case txdBeforeStartTX
    /// TXD written while the previous byte was still being shifted out (before its TXDRDY).
    case txdWhileBusy
    /// RXD read when no received byte was waiting (RXDRDY had not been raised for one).
    case rxdReadWithoutByte
    /// RXD read while EVENTS_RXDRDY was still set: clearing it afterwards loses the event the RXD
    /// read raises for the next buffered byte.
    case rxdReadBeforeClearingRXDRDY
    /// PSEL written while the UART is enabled.
    case pselWhileEnabled(offset: UInt32)
    case unknownRegister(offset: UInt32)
}
