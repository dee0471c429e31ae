import FlashKit
import NRF
import Simulation
import Testing

let allVariants: [NVMCVariant] = [
    .nrf52840, .nrf5340Application(secure: true), .nrf5340Application(secure: false), .nrf5340Network, .nrf51822,
]

func nvmcRig(_ variant: NVMCVariant, _ strategy: NVMCWaitStrategy = .ready) -> (PeripheralBus, NVMCModel, NVMC<PeripheralBus>) {
    let bus = PeripheralBus()
    let model = NVMCModel(variant: variant)
    model.map(on: bus)
    return (bus, model, NVMC(bus: bus, variant: variant, waitStrategy: strategy))
}

func testBytes(_ count: Int, seed: Int = 1) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ seed &* 13 &+ 1) }
}

/// The driver against the model through the `NORFlash` API.
@Suite struct NVMCBehaviourTests {
    @Test(arguments: allVariants, [NVMCWaitStrategy.ready, .readyNext])
    func roundTrip(variant: NVMCVariant, strategy: NVMCWaitStrategy) throws {
        let (bus, model, nvmc) = nvmcRig(variant, strategy)
        let page = nvmc.eraseSize
        let data = testBytes(page, seed: 3)
        try nvmc.write(at: page, bytes: data)
        #expect(try nvmc.read(at: page, count: page) == data)
        // Unaligned reads are fine.
        #expect(try nvmc.read(at: page + 3, count: 5) == Array(data[3..<8]))
        try nvmc.erase(at: page, count: page)
        #expect(try nvmc.read(at: page, count: page) == [UInt8](repeating: 0xFF, count: page))
        #expect(model.driverFaults.isEmpty)
        #expect(bus.faults.isEmpty)
    }

    @Test func geometry() {
        #expect(NVMC(bus: PeripheralBus(), variant: .nrf52840).eraseSize == 4096)
        #expect(NVMC(bus: PeripheralBus(), variant: .nrf52840).size == 1 << 20)
        #expect(NVMC(bus: PeripheralBus(), variant: .nrf5340Application()).eraseSize == 4096)
        #expect(NVMC(bus: PeripheralBus(), variant: .nrf5340Network).eraseSize == 2048)
        #expect(NVMC(bus: PeripheralBus(), variant: .nrf5340Network).size == 256 * 1024)
        #expect(NVMC(bus: PeripheralBus(), variant: .nrf5340Network).writeSize == 4)
        #expect(NVMC(bus: PeripheralBus(), variant: .nrf5340Network).erasedValue == 0xFF)
        #expect(NVMC(bus: PeripheralBus(), variant: .nrf51822).eraseSize == 1024)
        #expect(NVMC(bus: PeripheralBus(), variant: .nrf51822).size == 256 * 1024)
        // The nRF51 has no READYNEXT: the driver waits READY whatever it is asked.
        #expect(NVMC(bus: PeripheralBus(), variant: .nrf51822, waitStrategy: .readyNext).waitStrategy == .ready)
    }

    @Test(arguments: allVariants)
    func refusedInputTouchesNoRegister(variant: NVMCVariant) {
        let (bus, model, nvmc) = nvmcRig(variant)
        bus.tracing = true
        let page = nvmc.eraseSize
        #expect(throws: FlashError.misaligned) { try nvmc.write(at: 2, bytes: [1, 2, 3, 4]) }
        #expect(throws: FlashError.misaligned) { try nvmc.write(at: 0, bytes: [1, 2, 3]) }
        #expect(throws: FlashError.outOfBounds) { try nvmc.write(at: nvmc.size - 4, bytes: [1, 2, 3, 4, 5, 6, 7, 8]) }
        #expect(throws: FlashError.outOfBounds) { try nvmc.write(at: -4, bytes: [1, 2, 3, 4]) }
        #expect(throws: FlashError.misaligned) { try nvmc.erase(at: page / 2, count: page) }
        #expect(throws: FlashError.misaligned) { try nvmc.erase(at: 0, count: page + 4) }
        #expect(throws: FlashError.outOfBounds) { try nvmc.erase(at: nvmc.size, count: page) }
        #expect(throws: FlashError.outOfBounds) { try nvmc.erase(at: Int.max - page + 1, count: page) }
        #expect(throws: FlashError.outOfBounds) { _ = try nvmc.read(at: nvmc.size - 1, count: 2) }
        #expect(bus.trace.isEmpty)
        #expect(model.flash.mutatingOperationCount == 0)
        #expect(model.driverFaults.isEmpty)
    }

    @Test func nrf52840Timings() throws {
        let (bus, model, nvmc) = nvmcRig(.nrf52840)
        try nvmc.erase(at: 0, count: 3 * 4096)
        #expect(bus.clock.nanoseconds == 3 * 85_000_000)
        let before = bus.clock.nanoseconds
        try nvmc.write(at: 0, bytes: testBytes(4096))
        #expect(bus.clock.nanoseconds - before == 1024 * 41_000)
        #expect(model.driverFaults.isEmpty)
    }

    @Test func nrf5340Timings() throws {
        for variant in [NVMCVariant.nrf5340Application(), .nrf5340Network] {
            let (bus, _, nvmc) = nvmcRig(variant)
            try nvmc.erase(at: 0, count: nvmc.eraseSize)
            #expect(bus.clock.nanoseconds == 87_500_000)
            try nvmc.write(at: 0, bytes: testBytes(8))
            #expect(bus.clock.nanoseconds == 87_500_000 + 2 * 43_000)
        }
    }

    @Test func writeTimesOutWhenReadyNeverRises() {
        let (bus, model, nvmc) = nvmcRig(.nrf52840)
        model.neverReady = true
        bus.tracing = true
        #expect(throws: FlashError.timeout) { try nvmc.write(at: 0, bytes: [1, 2, 3, 4, 5, 6, 7, 8]) }
        // One word stored, the default bound of polls (10 × 41 µs at 64 MHz), then back to Ren.
        let polls = bus.trace.filter { $0 == .load(address: 0x4001_E400, value: 0) }.count
        #expect(polls == 26_240)
        #expect(NVMCPollLimits(datasheetFor: .nrf52840).write == 26_240)
        #expect(bus.trace.last == .store(address: 0x4001_E504, value: 0))
        #expect(model.wordWrites == 1)
    }

    @Test func eraseTimesOutWhenReadyNeverRises() {
        let bus = PeripheralBus()
        let model = NVMCModel(variant: .nrf52840)
        model.map(on: bus)
        model.neverReady = true
        // The default erase bound is 54.4 M polls; a smaller one keeps the test fast.
        #expect(NVMCPollLimits(datasheetFor: .nrf52840).erase == 54_400_000)
        let nvmc = NVMC(bus: bus, variant: .nrf52840, pollLimits: NVMCPollLimits(write: 100, erase: 1000))
        bus.tracing = true
        #expect(throws: FlashError.timeout) { try nvmc.erase(at: 0, count: 4096) }
        #expect(bus.trace.filter { $0 == .load(address: 0x4001_E400, value: 0) }.count == 1000)
        #expect(bus.trace.last == .store(address: 0x4001_E504, value: 0))
    }

    @Test func flashAreaOverNVMC() throws {
        let (_, model, nvmc) = nvmcRig(.nrf52840)
        // nrf52840dk slot0: 0xC000 + 0x76000.
        let slot = try FlashArea(device: nvmc, offset: 0xC000, size: 0x76000)
        try slot.erase(at: 0, count: 0x2000)
        let data = testBytes(0x1800, seed: 9)
        try slot.write(at: 0x400, bytes: data)
        #expect(try slot.read(at: 0x400, count: data.count) == data)
        #expect(try nvmc.read(at: 0xC400, count: 16) == Array(data[0..<16]))
        #expect(try slot.isErased(at: 0x1C00, count: 0x400))
        #expect(throws: FlashError.outOfBounds) { try slot.write(at: 0x76000, bytes: [1, 2, 3, 4]) }
        #expect(model.driverFaults.isEmpty)
    }

    @Test func secondWriteIsRefusedAndRecorded() throws {
        let (_, model, nvmc) = nvmcRig(.nrf52840)
        try nvmc.write(at: 0, bytes: [0xF0, 0xF0, 0xF0, 0xF0])
        try nvmc.write(at: 0, bytes: [0x0F, 0x0F, 0x0F, 0x0F])
        #expect(try nvmc.read(at: 0, count: 4) == [0xF0, 0xF0, 0xF0, 0xF0])
        #expect(model.driverFaults == [.rewrite(address: 0)])
    }

    @Test func modelRecordsMisuse() {
        let bus = PeripheralBus()
        let model = NVMCModel(variant: .nrf52840)
        model.map(on: bus)
        bus.store(0x1000, 0x1234_5678)  // no WEN: ignored
        #expect(model.flash.mutatingOperationCount == 0)
        bus.store(0x4001_E508, 0x1000)  // ERASEPAGE without EEN
        bus.store(0x4001_E504, 1)
        bus.store(0x1002, 0)  // unaligned
        bus.store(0x1000, 0)
        bus.store(0x1004, 0)  // the one-word buffer (READYNEXT) takes this one
        bus.store(0x1008, 0)  // but not a third: written while busy
        #expect(model.driverFaults == [
            .writeWithoutWEN(address: 0x1000), .eraseWithoutEEN(address: 0x1000),
            .unaligned(address: 0x1002), .writeWhileBusy(address: 0x1008),
        ])
    }

    @Test func nrf53EraseRequiresTheErasedValueAtThePageStart() {
        let bus = PeripheralBus()
        let model = NVMCModel(variant: .nrf5340Network)
        model.map(on: bus)
        bus.store(0x4108_0504, 2)
        bus.store(0x0100_0804, 0xFFFF_FFFF)
        bus.store(0x0100_0800, 0)
        bus.store(0x4108_0508, 0x0100_0800)  // no ERASEPAGE on nRF53
        #expect(model.pageErases == 0)
        #expect(model.driverFaults == [
            .badEraseWrite(address: 0x0100_0804, value: 0xFFFF_FFFF), .badEraseWrite(address: 0x0100_0800, value: 0),
            .unknownRegister(offset: 0x508),
        ])
    }

    @Test func powerCutCountsWordsAndPages() throws {
        let (_, model, nvmc) = nvmcRig(.nrf52840)
        try nvmc.erase(at: 0, count: 4096)
        try nvmc.write(at: 0, bytes: testBytes(16))
        #expect(model.flash.mutatingOperationCount == 1 + 4)
        model.flash.schedulePowerCut(afterOperations: 1)
        let limited = NVMC(bus: nvmc.bus, variant: .nrf52840, pollLimits: NVMCPollLimits(write: 50, erase: 50))
        // The second word is cut: READY never rises again, the driver gives up.
        #expect(throws: FlashError.timeout) { try limited.write(at: 16, bytes: testBytes(16, seed: 2)) }
        #expect(!model.flash.isPowered)
        model.flash.restorePower()
        #expect(try model.flash.read(at: 16, count: 4) == Array(testBytes(16, seed: 2)[0..<4]))
    }
}
