import NRF

/// A register-level model of an nRF UARTE with EasyDMA and byte timing on the virtual clock.
///
/// - Transmit: TASKS_STARTTX reads TXD.MAXCNT bytes from TXD.PTR (a buffer the driver lent through
///   `withDMA`), appends them to ``outbox`` (what the host side receives) and raises ENDTX after
///   10 bit times per byte (8N1) at the configured rate, `BAUDRATE × 16 MHz / 2³²`. A poll of
///   EVENTS_ENDTX before then reads 0 and lets the clock run to the end (the CPU waits).
/// - Receive: bytes the host sends (``hostSend(_:)``) wait in ``inbox``. While a reception is
///   started, each poll of an RX event or RXD.AMOUNT moves waiting bytes into the lent buffer,
///   one byte time each, raising RXDRDY per byte and ENDRX when MAXCNT is reached. TASKS_STOPRX
///   ends the reception (ENDRX and RXTO). With no bytes waiting, polls do not advance the clock.
/// - Misuse (a task on a disabled UARTE, DMA outside a lent buffer, an unknown register) is
///   recorded in ``driverFaults``.
public final class UARTEModel: MMIOPeripheral {
    public private(set) var outbox: [UInt8] = []
    public private(set) var inbox: [UInt8] = []
    public private(set) var driverFaults: [UARTEDriverFault] = []
    public private(set) var registers: [UInt32: UInt32] = [:]

    private var txEnd: UInt64?
    private var endTX = false
    private var rxActive = false
    private var rxCount: UInt32 = 0
    private var rxNextByteAt: UInt64 = 0
    private var endRX = false
    private var rxdrdy = false
    private var rxto = false

    public init() {}

    /// Bytes from the host to the device.
    public func hostSend(_ bytes: [UInt8]) { inbox.append(contentsOf: bytes) }

    /// Takes what the device sent so far.
    public func hostReceive() -> [UInt8] {
        defer { outbox.removeAll() }
        return outbox
    }

    public var isEnabled: Bool { registers[UARTERegister.enable] == UARTERegister.enableUARTE }

    /// The configured rate in bits per second.
    public var baud: Double {
        Double(registers[UARTERegister.baudrate] ?? UARTEBaudrate.baud9600.registerValue) * 16_000_000 / 4_294_967_296
    }

    /// One 8N1 byte (10 bits), in nanoseconds.
    public var byteNanoseconds: UInt64 { UInt64((10 * 1e9 / baud).rounded()) }

    public func read(offset: UInt32, bus: PeripheralBus) -> UInt32 {
        switch offset {
        case UARTERegister.eventsENDTX:
            guard let end = txEnd else { return endTX ? 1 : 0 }
            if bus.clock.nanoseconds >= end {
                txEnd = nil
                endTX = true
                return 1
            }
            bus.clock.advance(to: end)
            return 0
        case UARTERegister.eventsENDRX:
            pump(bus)
            return endRX ? 1 : 0
        case UARTERegister.eventsRXDRDY:
            pump(bus)
            return rxdrdy ? 1 : 0
        case UARTERegister.eventsRXTO:
            return rxto ? 1 : 0
        case UARTERegister.rxdAMOUNT:
            pump(bus)
            return rxCount
        default:
            return registers[offset] ?? 0
        }
    }

    public func write(offset: UInt32, value: UInt32, bus: PeripheralBus) {
        switch offset {
        case UARTERegister.tasksStartTX where value != 0:
            startTX(bus)
        case UARTERegister.tasksStopTX where value != 0:
            if let end = txEnd { bus.clock.advance(to: end) }
            txEnd = nil
        case UARTERegister.tasksStartRX where value != 0:
            guard isEnabled else { return driverFaults.append(.taskWhileDisabled(offset: offset)) }
            rxActive = true
            rxCount = 0
            rxNextByteAt = bus.clock.nanoseconds
        case UARTERegister.tasksStopRX where value != 0:
            pump(bus)
            if rxActive {
                rxActive = false
                endRX = true
                rxto = true
            }
        case UARTERegister.eventsENDTX: endTX = value != 0
        case UARTERegister.eventsENDRX: endRX = value != 0
        case UARTERegister.eventsRXDRDY: rxdrdy = value != 0
        case UARTERegister.eventsRXTO: rxto = value != 0
        case UARTERegister.enable, UARTERegister.pselTXD, UARTERegister.pselRXD, UARTERegister.pselRTS,
            UARTERegister.pselCTS, UARTERegister.baudrate, UARTERegister.config, UARTERegister.txdPTR,
            UARTERegister.txdMAXCNT, UARTERegister.rxdPTR, UARTERegister.rxdMAXCNT:
            registers[offset] = value
        default:
            driverFaults.append(.unknownRegister(offset: offset))
        }
    }

    private func startTX(_ bus: PeripheralBus) {
        guard isEnabled else { return driverFaults.append(.taskWhileDisabled(offset: UARTERegister.tasksStartTX)) }
        let pointer = registers[UARTERegister.txdPTR] ?? 0
        let count = Int(registers[UARTERegister.txdMAXCNT] ?? 0)
        guard let bytes = bus.dmaRead(pointer, count: count) else {
            return driverFaults.append(.dmaOutsideLentBuffer(address: pointer))
        }
        outbox.append(contentsOf: bytes)
        registers[UARTERegister.txdAMOUNT] = UInt32(count)
        txEnd = max(bus.clock.nanoseconds, txEnd ?? 0) + UInt64(count) * byteNanoseconds
    }

    /// Moves waiting host bytes into the lent RX buffer, one byte time each.
    private func pump(_ bus: PeripheralBus) {
        let maxCount = registers[UARTERegister.rxdMAXCNT] ?? 0
        let pointer = registers[UARTERegister.rxdPTR] ?? 0
        while rxActive && rxCount < maxCount && !inbox.isEmpty {
            rxNextByteAt = max(rxNextByteAt, bus.clock.nanoseconds) + byteNanoseconds
            bus.clock.advance(to: rxNextByteAt)
            guard bus.dmaWrite(pointer &+ rxCount, [inbox[0]]) else {
                driverFaults.append(.dmaOutsideLentBuffer(address: pointer &+ rxCount))
                rxActive = false
                return
            }
            inbox.removeFirst()
            rxCount += 1
            rxdrdy = true
            if rxCount == maxCount {
                rxActive = false
                endRX = true
            }
        }
    }
}

public enum UARTEDriverFault: Equatable, Sendable {
    case taskWhileDisabled(offset: UInt32)
    case dmaOutsideLentBuffer(address: UInt32)
    case unknownRegister(offset: UInt32)
}
