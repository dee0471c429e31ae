// The boot stage of the nRF5340 DK (PCA10095), application core (Cortex-M33, secure): internal flash through the NVMC driver, console
// on UARTE0, recovery button SW1, retained boot mode in REGULATORS.GPREGRET[0]; pins, addresses and partitions
// from BoardConfig.swift (generated from Boards/nrf5340dk/board.yml and Layouts/nrf5340dk.yml). Built and size-checked here; not
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
    var uarte = UARTE(bus: bus, base: 0x5000_8000)  // UARTE0, secure alias
    uarte.pollLimit = 2_000  // a short receive window: the loop polls again
    uarte.configure(
        tx: NRFPin(port: BoardConfig.consoleTX.port, pin: BoardConfig.consoleTX.pin),
        rx: NRFPin(port: BoardConfig.consoleRX.port, pin: BoardConfig.consoleRX.pin))
    let console = UARTEConsole(uarte: uarte)
    console.line("lifeboat: boot stage on nrf5340dk")
    let buttons = GPIO(bus: bus, port: BoardConfig.buttonPort == 0 ? .nrf5340ApplicationP0Secure : .nrf5340ApplicationP1Secure)
    buttons.configureInput(pin: BoardConfig.buttonPin, pull: BoardConfig.buttonPullUp ? .up : .none)
    let retained = GPREGRET(bus: bus, powerBase: BoardConfig.gpregret - 0x51C)
    let bootMode = retained.read(0)
    retained.write(0, 0)
    let flash = NVMC(bus: bus, variant: .nrf5340Application(secure: true))
    do throws(FlashError) {
        // BoardConfig.swift is generated from Boards/nrf5340dk/board.yml and Layouts/nrf5340dk.yml.
        let slots = FirmwareSlots(
            primary: try FlashArea(device: flash, offset: BoardConfig.primaryOffset, size: BoardConfig.primarySize),
            secondary: try FlashArea(device: flash, offset: BoardConfig.secondaryOffset, size: BoardConfig.secondarySize))
        let images = ImagePolicy(signatureAlgorithms: firmwareSignatureAlgorithms, trustedKeys: firmwareTrustedKeys)
        BootStage.run(
            slots: slots, primaryAddress: BoardConfig.flashBase + UInt32(BoardConfig.primaryOffset), console: console,
            boot: BootConfiguration(strategy: .swapUsingMove, imagePolicy: images),
            recovery: RecoveryConfiguration(policy: .slotMapping, imagePolicy: images, bootloaderMode: 3),
            recoveryButton: buttons.isPressed(pin: BoardConfig.buttonPin, activeLow: BoardConfig.buttonActiveLow), bootMode: bootMode,
            reset: { lifeboat_system_reset() })
    } catch {
        console.line("lifeboat: the layout does not fit the device")
        lifeboat_trap()
    }
}

start()
#endif
