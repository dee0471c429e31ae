import FlashKit
import NRF
import Simulation
import Testing

/// Register traces pinning the exact sequences the NVMC driver issues.
@Suite struct NVMCTraceTests {
    func rig(_ variant: NVMCVariant, _ strategy: NVMCWaitStrategy = .ready) -> (PeripheralBus, NVMCModel, NVMC<PeripheralBus>) {
        let bus = PeripheralBus()
        let model = NVMCModel(variant: variant)
        model.map(on: bus)
        bus.tracing = true
        return (bus, model, NVMC(bus: bus, variant: variant, waitStrategy: strategy))
    }

    @Test func nrf52840PageErase() throws {
        let (bus, model, nvmc) = rig(.nrf52840)
        try nvmc.erase(at: 0x3000, count: 0x1000)
        #expect(bus.trace == [
            .store(address: 0x4001_E504, value: 2),  // CONFIG = Een
            .store(address: 0x4001_E508, value: 0x3000),  // ERASEPAGE = page address
            .load(address: 0x4001_E400, value: 0),  // READY: busy (the clock runs to the end)
            .load(address: 0x4001_E400, value: 1),  // READY
            .store(address: 0x4001_E504, value: 0),  // CONFIG = Ren
        ])
        #expect(model.driverFaults.isEmpty)
        #expect(bus.faults.isEmpty)
    }

    @Test func nrf52840WordWrites() throws {
        let (bus, model, nvmc) = rig(.nrf52840)
        try nvmc.write(at: 0x100, bytes: [1, 2, 3, 4, 5, 6, 7, 8])
        // The flash window is untraced; the stores to it show up as the model's word writes.
        #expect(bus.trace == [
            .store(address: 0x4001_E504, value: 1),  // CONFIG = Wen
            .load(address: 0x4001_E400, value: 0), .load(address: 0x4001_E400, value: 1),  // word 0
            .load(address: 0x4001_E400, value: 0), .load(address: 0x4001_E400, value: 1),  // word 1
            .store(address: 0x4001_E504, value: 0),  // CONFIG = Ren
        ])
        #expect(model.wordWrites == 2)
        #expect(model.flash.trace.suffix(2) == [.write(offset: 0x100, count: 4), .write(offset: 0x104, count: 4)])
        #expect(model.driverFaults.isEmpty)
    }

    @Test func nrf52840WordWritesWithReadyNext() throws {
        let (bus, model, nvmc) = rig(.nrf52840, .readyNext)
        try nvmc.write(at: 0, bytes: [UInt8](repeating: 0x11, count: 12))
        #expect(bus.trace == [
            .store(address: 0x4001_E504, value: 1),
            .load(address: 0x4001_E408, value: 1),  // idle: take word 0
            .load(address: 0x4001_E408, value: 1),  // word 0 in flight, buffer free: take word 1
            .load(address: 0x4001_E408, value: 0), .load(address: 0x4001_E408, value: 1),  // word 2 waits for word 0
            .load(address: 0x4001_E400, value: 0), .load(address: 0x4001_E400, value: 1),  // drain
            .store(address: 0x4001_E504, value: 0),
        ])
        #expect(model.driverFaults.isEmpty)
        #expect(bus.clock.nanoseconds == 3 * 41_000)
    }

    @Test func nrf5340SecurePageErase() throws {
        let (bus, model, nvmc) = rig(.nrf5340Application(secure: true))
        try nvmc.erase(at: 0x1000, count: 0x1000)
        #expect(bus.trace == [
            .store(address: 0x5003_9584, value: 2), .store(address: 0x5003_9504, value: 2),  // CONFIGNS, CONFIG = Een
            .load(address: 0x5003_9400, value: 0), .load(address: 0x5003_9400, value: 1),  // (0xFFFFFFFF → 0x1000, untraced)
            .store(address: 0x5003_9584, value: 0), .store(address: 0x5003_9504, value: 0),
        ])
        #expect(model.pageErases == 1)
        #expect(model.flash.trace.last == .erase(offset: 0x1000, count: 0x1000))
        #expect(model.driverFaults.isEmpty)
    }

    @Test func nrf5340NonSecureUsesConfigNSOnly() throws {
        let (bus, model, nvmc) = rig(.nrf5340Application(secure: false))
        try nvmc.write(at: 0, bytes: [9, 9, 9, 9])
        #expect(bus.trace == [
            .store(address: 0x4003_9584, value: 1),
            .load(address: 0x4003_9400, value: 0), .load(address: 0x4003_9400, value: 1),
            .store(address: 0x4003_9584, value: 0),
        ])
        #expect(model.driverFaults.isEmpty)
    }

    @Test func nrf5340NetworkErase() throws {
        let (bus, model, nvmc) = rig(.nrf5340Network)
        try nvmc.erase(at: 0x800, count: 0x800)
        #expect(bus.trace == [
            .store(address: 0x4108_0504, value: 2),
            .load(address: 0x4108_0400, value: 0), .load(address: 0x4108_0400, value: 1),
            .store(address: 0x4108_0504, value: 0),
        ])
        #expect(model.flash.trace.last == .erase(offset: 0x800, count: 0x800))
        #expect(model.driverFaults.isEmpty)
    }

    /// nRF51 (qemu-microbit): the nRF52 sequence on 1 KiB pages; READY after each word even when
    /// READYNEXT is asked for (the nRF51 has none).
    @Test func nrf51PageEraseAndWordWrite() throws {
        let (bus, model, nvmc) = rig(.nrf51822, .readyNext)
        try nvmc.erase(at: 0x400, count: 0x400)
        try nvmc.write(at: 0x400, bytes: [1, 2, 3, 4])
        #expect(bus.trace == [
            .store(address: 0x4001_E504, value: 2),  // CONFIG = Een
            .store(address: 0x4001_E508, value: 0x400),  // ERASEPAGE = page address
            .load(address: 0x4001_E400, value: 0), .load(address: 0x4001_E400, value: 1),
            .store(address: 0x4001_E504, value: 0),  // CONFIG = Ren
            .store(address: 0x4001_E504, value: 1),  // CONFIG = Wen
            .load(address: 0x4001_E400, value: 0), .load(address: 0x4001_E400, value: 1),  // the word
            .store(address: 0x4001_E504, value: 0),
        ])
        #expect(model.flash.trace.suffix(2) == [.erase(offset: 0x400, count: 0x400), .write(offset: 0x400, count: 4)])
        #expect(bus.clock.nanoseconds == 22_000_000 + 48_000)
        #expect(model.driverFaults.isEmpty)
        #expect(bus.faults.isEmpty)
    }
}
