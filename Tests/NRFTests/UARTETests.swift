import NRF
import Simulation
import Testing

/// Transmits a copy of `bytes` from a heap buffer (EasyDMA wants RAM).
func send(_ uarte: UARTE<PeripheralBus>, _ bytes: [UInt8]) throws(UARTEError) {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 4)
    defer { buffer.deallocate() }
    for (i, b) in bytes.enumerated() { buffer[i] = b }
    try uarte.transmit(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bytes.count]))
}

func receive(_ uarte: UARTE<PeripheralBus>, capacity: Int) throws(UARTEError) -> (Int, [UInt8]) {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 4)
    defer { buffer.deallocate() }
    buffer.initializeMemory(as: UInt8.self, repeating: 0)
    let n = try uarte.receive(into: buffer)
    return (n, Array(buffer))
}

@Suite struct UARTETests {
    func rig() -> (PeripheralBus, UARTEModel, UARTE<PeripheralBus>) {
        let bus = PeripheralBus()
        let model = UARTEModel()
        bus.map(model, at: UARTERegister.nrf52840UARTE0, size: 0x1000)
        var uarte = UARTE(bus: bus, base: UARTERegister.nrf52840UARTE0)
        uarte.pollLimit = 1000
        return (bus, model, uarte)
    }

    @Test func configureTrace() {
        let (bus, model, uarte) = rig()
        bus.tracing = true
        // nrf52840dk console: TX P0.06, RX P0.08.
        uarte.configure(tx: NRFPin(pin: 6), rx: NRFPin(pin: 8))
        #expect(bus.trace == [
            .store(address: 0x4000_2500, value: 0),
            .store(address: 0x4000_250C, value: 6),
            .store(address: 0x4000_2514, value: 8),
            .store(address: 0x4000_2508, value: 0xFFFF_FFFF),
            .store(address: 0x4000_2510, value: 0xFFFF_FFFF),
            .store(address: 0x4000_2524, value: 0x01D7_E000),
            .store(address: 0x4000_256C, value: 0),
            .store(address: 0x4000_2500, value: 8),
        ])
        #expect(model.isEnabled)
        #expect(abs(model.baud - 115_203) < 1)
    }

    @Test func transmitTraceAndTiming() throws {
        let (bus, model, uarte) = rig()
        uarte.configure(tx: NRFPin(pin: 6), rx: NRFPin(pin: 8))
        bus.tracing = true
        try send(uarte, Array("hello".utf8))
        #expect(bus.trace == [
            .store(address: 0x4000_2120, value: 0),  // EVENTS_ENDTX = 0
            .store(address: 0x4000_2544, value: 0x2000_0000),  // TXD.PTR (the lent DMA window)
            .store(address: 0x4000_2548, value: 5),  // TXD.MAXCNT
            .store(address: 0x4000_2008, value: 1),  // TASKS_STARTTX
            .load(address: 0x4000_2120, value: 0), .load(address: 0x4000_2120, value: 1),  // wait ENDTX
            .store(address: 0x4000_2120, value: 0),
        ])
        #expect(model.hostReceive() == Array("hello".utf8))
        // 5 bytes × 10 bits at 115 203 baud.
        #expect(bus.clock.nanoseconds == 5 * model.byteNanoseconds)
        let nominal: Double = 50.0 / 115_200.0 * 1e9
        let elapsed = Double(bus.clock.nanoseconds)
        #expect(abs(elapsed - nominal) < 100)
        #expect(model.driverFaults.isEmpty)
        #expect(bus.faults.isEmpty)
    }

    @Test func longTransmitIsChunked() throws {
        let (_, model, uarte) = rig()
        uarte.configure(tx: NRFPin(pin: 6), rx: NRFPin(pin: 8))
        let message = (0..<600).map { UInt8(truncatingIfNeeded: $0) }
        try send(uarte, message)
        #expect(model.hostReceive() == message)
        #expect(model.driverFaults.isEmpty)
    }

    @Test func receiveFullBufferAndPartial() throws {
        let (bus, model, uarte) = rig()
        uarte.configure(tx: NRFPin(pin: 6), rx: NRFPin(pin: 8))
        model.hostSend([1, 2, 3, 4, 5, 6])
        var (n, buffer) = try receive(uarte, capacity: 4)
        #expect(n == 4 && buffer == [1, 2, 3, 4])
        #expect(bus.clock.nanoseconds == 4 * model.byteNanoseconds)
        // Two bytes left, buffer of four: the bounded wait ends, STOPRX returns what arrived.
        (n, buffer) = try receive(uarte, capacity: 4)
        #expect(n == 2 && Array(buffer[0..<2]) == [5, 6])
        #expect(model.driverFaults.isEmpty)
    }

    @Test func disabledUARTEIsAFault() throws {
        let (_, model, uarte) = rig()
        #expect(throws: UARTEError.timeout) { try send(uarte, [0]) }
        #expect(model.driverFaults == [.taskWhileDisabled(offset: UARTERegister.tasksStartTX)])
    }
}

@Suite struct GPIOTests {
    @Test(arguments: [(GPIOPort.nrf52840P0, 11), (GPIOPort.nrf5340ApplicationP0Secure, 23)])
    func recoveryButton(port: GPIOPort, pin: Int) {
        let bus = PeripheralBus()
        let model = GPIOModel(port: port)
        model.map(on: bus)
        let gpio = GPIO(bus: bus, port: port)
        #expect(!gpio.isPressed(pin: pin, activeLow: true))  // released: the pull-up reads high
        #expect(model.pinConfig[pin] == 0x0000_000C)  // input, buffer connected, pull-up
        model.setButton(pin: pin, pressed: true)
        #expect(gpio.isPressed(pin: pin, activeLow: true))
        model.setButton(pin: pin, pressed: false)
        #expect(!gpio.isPressed(pin: pin, activeLow: true))
        #expect(bus.faults.isEmpty)
    }

    @Test func buttonTrace() {
        let bus = PeripheralBus()
        GPIOModel(port: .nrf52840P0).map(on: bus)
        bus.tracing = true
        _ = GPIO(bus: bus, port: .nrf52840P0).isPressed(pin: 11, activeLow: true)
        #expect(bus.trace == [
            .store(address: 0x5000_072C, value: 0xC),  // PIN_CNF[11]
            .load(address: 0x5000_0510, value: 1 << 11),  // IN
        ])
    }

    @Test func activeHighUsesPullDown() {
        let bus = PeripheralBus()
        let model = GPIOModel(port: .nrf52840P0)
        model.map(on: bus)
        let gpio = GPIO(bus: bus, port: .nrf52840P0)
        #expect(!gpio.isPressed(pin: 3, activeLow: false))
        #expect(model.pinConfig[3] == 0x4)
        model.setButton(pin: 3, pressed: true, activeLow: false)
        #expect(gpio.isPressed(pin: 3, activeLow: false))
    }
}

@Suite struct PowerTests {
    @Test(arguments: [GPREGRET<PeripheralBus>.nrf52840PowerBase, GPREGRET<PeripheralBus>.nrf5340ApplicationPowerSecure])
    func gpregretSurvivesSystemReset(powerBase: UInt32) {
        let bus = PeripheralBus()
        let power = PowerModel(base: powerBase)
        power.map(on: bus)
        var resets = 0
        power.onSystemReset = { resets += 1 }
        let retained = GPREGRET(bus: bus, powerBase: powerBase)
        bus.tracing = true
        retained.write(1, 1)  // Zephyr boot mode: BOOT_MODE_TYPE_BOOTLOADER on gpregret1
        #expect(bus.trace == [.store(address: powerBase + 0x520, value: 1)])
        SystemReset(bus: bus).request()
        #expect(bus.trace.suffix(2) == [
            .load(address: 0xE000_ED0C, value: 0xFA05_0000),
            .store(address: 0xE000_ED0C, value: 0x05FA_0004),
        ])
        #expect(power.resetRequests == 1 && resets == 1)
        #expect(retained.read(1) == 1)
        #expect(retained.read(0) == 0)
        power.powerOnReset()
        #expect(retained.read(1) == 0)
        #expect(power.driverFaults.isEmpty && bus.faults.isEmpty)
    }

    @Test func onlyTheLowByteIsRetained() {
        let bus = PeripheralBus()
        let power = PowerModel(base: 0x4000_0000)
        power.map(on: bus)
        bus.store(0x4000_051C, 0x1234)
        #expect(GPREGRET(bus: bus, powerBase: 0x4000_0000).read(0) == 0x34)
    }

    @Test func resetWithoutKeyIsIgnored() {
        let bus = PeripheralBus()
        let power = PowerModel(base: 0x4000_0000)
        power.map(on: bus)
        bus.store(0xE000_ED0C, 0x0000_0004)
        #expect(power.resetRequests == 0)
        #expect(power.driverFaults == [0xE000_ED0C])
    }
}
