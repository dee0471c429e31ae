import NRF
import Simulation
import Testing

/// A UART whose transmitter never finishes: loads read 0, stores are accepted.
private final class StuckUART: MMIOPeripheral {
    var stores = 0
    func read(offset: UInt32, bus: PeripheralBus) -> UInt32 { 0 }
    func write(offset: UInt32, value: UInt32, bus: PeripheralBus) { stores += 1 }
}

@Suite struct UARTLegacyTests {
    static let base = UARTRegister.nrf52840UART0

    func rig(configured: Bool = true) -> (PeripheralBus, UARTModel, UART<PeripheralBus>) {
        let bus = PeripheralBus()
        let model = UARTModel()
        bus.map(model, at: Self.base, size: 0x1000)
        var uart = UART(bus: bus, base: Self.base)
        uart.pollLimit = 1000
        // nrf52840dk console: TX P0.06, RX P0.08.
        if configured { uart.configure(tx: NRFPin(pin: 6), rx: NRFPin(pin: 8)) }
        return (bus, model, uart)
    }

    @Test func configureTrace() {
        let (bus, model, uart) = rig(configured: false)
        bus.tracing = true
        uart.configure(tx: NRFPin(pin: 6), rx: NRFPin(pin: 8))
        #expect(bus.trace == [
            .store(address: 0x4000_2500, value: 0),  // ENABLE = 0
            .store(address: 0x4000_250C, value: 6),  // PSEL.TXD
            .store(address: 0x4000_2514, value: 8),  // PSEL.RXD
            .store(address: 0x4000_2508, value: 0xFFFF_FFFF),  // PSEL.RTS disconnected
            .store(address: 0x4000_2510, value: 0xFFFF_FFFF),  // PSEL.CTS disconnected
            .store(address: 0x4000_2524, value: 0x01D7_E000),  // BAUDRATE 115200
            .store(address: 0x4000_256C, value: 0),  // CONFIG: no parity, no HWFC
            .store(address: 0x4000_2500, value: 4),  // ENABLE = 4: legacy UART
            .store(address: 0x4000_2108, value: 0),  // EVENTS_RXDRDY = 0
            .store(address: 0x4000_2008, value: 1),  // TASKS_STARTTX
            .store(address: 0x4000_2000, value: 1),  // TASKS_STARTRX
        ])
        #expect(model.isEnabled && model.txStarted && model.rxStarted)
        #expect(model.driverFaults.isEmpty && bus.faults.isEmpty)
    }

    @Test func portOnePin() {
        let (bus, _, uart) = rig(configured: false)
        bus.tracing = true
        uart.configure(tx: NRFPin(port: 1, pin: 2), rx: NRFPin(port: 1, pin: 1))
        #expect(bus.trace[1] == .store(address: 0x4000_250C, value: 0x22))
        #expect(bus.trace[2] == .store(address: 0x4000_2514, value: 0x21))
    }

    @Test func writeTraceAndTiming() throws {
        let (bus, model, uart) = rig()
        bus.tracing = true
        try uart.write(0x41)
        #expect(bus.trace == [
            .store(address: 0x4000_211C, value: 0),  // EVENTS_TXDRDY = 0
            .store(address: 0x4000_251C, value: 0x41),  // TXD
            .load(address: 0x4000_211C, value: 0),  // byte still shifting out: the clock runs on
            .load(address: 0x4000_211C, value: 1),  // TXDRDY
        ])
        #expect(model.hostReceive() == [0x41])
        #expect(bus.clock.nanoseconds == model.byteNanoseconds)
        #expect(model.driverFaults.isEmpty && bus.faults.isEmpty)
    }

    @Test func baudTimingOnTheClock() throws {
        let (bus, model, uart) = rig()
        // 0x01D7E000 × 16 MHz / 2³² = 115 203.9 baud; 10 bits: 86.80 µs per byte.
        #expect(abs(model.baud - 115_203.86) < 0.01)
        #expect(abs(Double(model.byteNanoseconds) - 86_805.6) < 10)
        let message = Array("hello, legacy".utf8)
        try uart.write(contentsOf: message)
        #expect(model.hostReceive() == message)
        #expect(bus.clock.nanoseconds == UInt64(message.count) * model.byteNanoseconds)
        let nominal = Double(message.count) * 10 / 115_200 * 1e9
        #expect(abs(Double(bus.clock.nanoseconds) - nominal) < 100)
        #expect(model.driverFaults.isEmpty)
    }

    @Test func slowerRateTakesLonger() throws {
        let bus = PeripheralBus()
        let model = UARTModel()
        bus.map(model, at: Self.base, size: 0x1000)
        let uart = UART(bus: bus, base: Self.base)
        uart.configure(tx: NRFPin(pin: 6), rx: NRFPin(pin: 8), baudrate: .baud9600)
        try uart.write(0x55)
        // 9600 baud (9 597.8 actual): 1.042 ms per byte.
        #expect(abs(Double(bus.clock.nanoseconds) - 1_041_905) < 1_000)
        #expect(model.driverFaults.isEmpty)
    }

    @Test func readTrace() throws {
        let (bus, model, uart) = rig()
        model.hostSend([0x7A])
        bus.tracing = true
        #expect(try uart.readByte(timeoutPolls: 10) == 0x7A)
        #expect(bus.trace == [
            .load(address: 0x4000_2108, value: 1),  // EVENTS_RXDRDY
            .store(address: 0x4000_2108, value: 0),  // cleared before…
            .load(address: 0x4000_2518, value: 0x7A),  // …reading RXD
        ])
        #expect(bus.clock.nanoseconds == model.byteNanoseconds)
        #expect(model.driverFaults.isEmpty && bus.faults.isEmpty)
    }

    @Test func roundTrip() throws {
        let (bus, model, uart) = rig()
        let request = Array("ping 123\n".utf8)
        model.hostSend(request)
        var received: [UInt8] = []
        while let byte = uart.read() { received.append(byte) }
        #expect(received == request)
        #expect(model.inbox.isEmpty)
        #expect(bus.clock.nanoseconds == UInt64(request.count) * model.byteNanoseconds)
        // Echo it back.
        try uart.write(contentsOf: received)
        #expect(model.hostReceive() == request)
        #expect(bus.clock.nanoseconds == 2 * UInt64(request.count) * model.byteNanoseconds)
        #expect(model.driverFaults.isEmpty && bus.faults.isEmpty)
    }

    @Test func allByteValuesRoundTrip() throws {
        let (_, model, uart) = rig()
        let all = (0...255).map { UInt8($0) }
        model.hostSend(all)
        var received: [UInt8] = []
        for _ in all { received.append(try uart.readByte(timeoutPolls: 4)) }
        #expect(received == all)
        try uart.write(contentsOf: received)
        #expect(model.hostReceive() == all)
        #expect(model.driverFaults.isEmpty)
    }

    @Test func nothingWaitingReadsNilWithoutTime() throws {
        let (bus, model, uart) = rig()
        #expect(uart.read() == nil)
        #expect(throws: UARTError.timeout) { try uart.readByte(timeoutPolls: 50) }
        #expect(bus.clock.nanoseconds == 0)
        #expect(model.driverFaults.isEmpty)
    }

    @Test func transmitterThatNeverFinishesTimesOut() {
        let bus = PeripheralBus()
        let stuck = StuckUART()
        bus.map(stuck, at: Self.base, size: 0x1000)
        var uart = UART(bus: bus, base: Self.base)
        uart.pollLimit = 500
        uart.configure(tx: NRFPin(pin: 6), rx: NRFPin(pin: 8))
        bus.tracing = true
        #expect(throws: UARTError.timeout) { try uart.write(0x41) }
        // Bounded: TXDRDY cleared, TXD written, then exactly pollLimit polls.
        #expect(bus.trace.count == 2 + 500)
        #expect(bus.trace.dropFirst(2).allSatisfy { $0 == .load(address: 0x4000_211C, value: 0) })
        #expect(throws: UARTError.timeout) { try uart.write(contentsOf: [1, 2, 3]) }
        #expect(bus.faults.isEmpty)
    }

    // The model's misuse checks, driven by hand.

    @Test func txdBeforeStartTXIsAFault() {
        let bus = PeripheralBus()
        let model = UARTModel()
        bus.map(model, at: Self.base, size: 0x1000)
        bus.store(Self.base + UARTRegister.txd, 0x41)
        bus.store(Self.base + UARTRegister.enable, UARTRegister.enableUART)
        bus.store(Self.base + UARTRegister.txd, 0x42)
        #expect(model.driverFaults == [.notEnabled(offset: UARTRegister.txd), .txdBeforeStartTX])
        #expect(model.outbox.isEmpty)
        // Not sent, so the driver's bounded wait ends in .timeout.
        var uart = UART(bus: bus, base: Self.base)
        uart.pollLimit = 100
        #expect(throws: UARTError.timeout) { try uart.write(0x43) }
    }

    @Test func uarteEnableValueIsNotTheLegacyUART() {
        let bus = PeripheralBus()
        let model = UARTModel()
        bus.map(model, at: Self.base, size: 0x1000)
        bus.store(Self.base + UARTRegister.enable, UARTERegister.enableUARTE)  // 8
        bus.store(Self.base + UARTRegister.tasksStartTX, 1)
        #expect(!model.isEnabled && !model.txStarted)
        #expect(model.driverFaults == [.notEnabled(offset: UARTRegister.tasksStartTX)])
    }

    @Test func rxdMisuseIsAFault() {
        let (bus, model, _) = rig()
        _ = bus.load(Self.base + UARTRegister.rxd)  // nothing received
        model.hostSend([1, 2])
        #expect(bus.load(Self.base + UARTRegister.eventsRXDRDY) == 1)
        // Reading RXD first and clearing RXDRDY afterwards: the wrong order.
        #expect(bus.load(Self.base + UARTRegister.rxd) == 1)
        #expect(model.driverFaults == [.rxdReadWithoutByte, .rxdReadBeforeClearingRXDRDY])
        // The RXD read raised RXDRDY for byte 2; clearing it now loses the event.
        bus.store(Self.base + UARTRegister.eventsRXDRDY, 0)
        #expect(bus.load(Self.base + UARTRegister.eventsRXDRDY) == 0)
    }

    @Test func pselWhileEnabledIsAFault() {
        let (bus, model, _) = rig()
        bus.store(Self.base + UARTRegister.pselTXD, 7)
        #expect(model.driverFaults == [.pselWhileEnabled(offset: UARTRegister.pselTXD)])
    }

    @Test func txdWhileBusyIsAFault() {
        let (bus, model, _) = rig()
        bus.store(Self.base + UARTRegister.txd, 1)
        bus.store(Self.base + UARTRegister.txd, 2)
        #expect(model.driverFaults == [.txdWhileBusy])
    }
}
