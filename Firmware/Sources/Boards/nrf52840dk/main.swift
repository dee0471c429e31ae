// The boot stage of the nRF52840 DK (PCA10056): internal flash through the NVMC driver, console
// on UARTE0 (TX P0.06, RX P0.08, 115200 8N1, Boards/nrf52840dk/board.yml), recovery button SW1
// (P0.11, active low, pull-up), retained boot mode in GPREGRET. Built and size-checked here; not
// run on hardware by this project (no DK on these machines).
#if hasFeature(Embedded)
import Bootloader
import BootStage
import FirmwareKeys
import FirmwareRuntime
import FlashKit
import MCUbootImage
import NRF
import Recovery

/// UARTE0 as a polled console: one EasyDMA transfer per byte each way (simple, and enough for
/// MCUboot's console framing at 115200; a double-buffered receiver is left for later).
struct UARTEConsole: ConsolePort {
    let uarte: UARTE<VolatileBus>

    func send(_ byte: UInt8) {
        var one = InlineArray<4, UInt8>(repeating: byte)
        var span = one.mutableSpan
        span.withUnsafeMutableBytes { buffer in
            _ = try? uarte.transmit(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<1]))
        }
    }

    func receive() -> UInt8? {
        var one = InlineArray<4, UInt8>(repeating: 0)
        var span = one.mutableSpan
        let count = span.withUnsafeMutableBytes { buffer in
            (try? uarte.receive(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<1]))) ?? 0
        }
        return count == 1 ? one[0] : nil
    }
}

func start() -> Never {
    let bus = VolatileBus()
    var uarte = UARTE(bus: bus, base: 0x4000_2000)
    uarte.pollLimit = 2_000  // a short receive window: the loop polls again
    uarte.configure(tx: NRFPin(pin: 6), rx: NRFPin(pin: 8))
    let console = UARTEConsole(uarte: uarte)
    console.line("lifeboat: boot stage on nrf52840dk")
    let buttons = GPIO(bus: bus, port: .nrf52840P0)
    buttons.configureInput(pin: 11, pull: .up)
    let retained = GPREGRET(bus: bus, powerBase: GPREGRET<VolatileBus>.nrf52840PowerBase)
    let bootMode = retained.read(0)
    retained.write(0, 0)
    let flash = NVMC(bus: bus, variant: .nrf52840)
    do throws(FlashError) {
        // Layouts/nrf52840dk.yml: mcuboot_primary 0xC000 (472 KiB), mcuboot_secondary 0x82000.
        let slots = FirmwareSlots(
            primary: try FlashArea(device: flash, offset: 0xC000, size: 0x7_6000),
            secondary: try FlashArea(device: flash, offset: 0x8_2000, size: 0x7_6000))
        let images = ImagePolicy(signatureAlgorithms: firmwareSignatureAlgorithms, trustedKeys: firmwareTrustedKeys)
        BootStage.run(
            slots: slots, primaryAddress: 0xC000, console: console,
            boot: BootConfiguration(strategy: .swapUsingMove, imagePolicy: images),
            recovery: RecoveryConfiguration(policy: .slotMapping, imagePolicy: images, bootloaderMode: 3),
            recoveryButton: buttons.isPressed(pin: 11, activeLow: true), bootMode: bootMode,
            reset: { lifeboat_system_reset() })
    } catch {
        console.line("lifeboat: the layout does not fit the device")
        lifeboat_trap()
    }
}

start()
#endif
