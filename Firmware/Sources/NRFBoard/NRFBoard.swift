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
public struct UARTEConsole: ConsolePort {
    public let uarte: UARTE<VolatileBus>

    public init(uarte: UARTE<VolatileBus>) { self.uarte = uarte }

    public func send(_ byte: UInt8) {
        var one = InlineArray<4, UInt8>(repeating: byte)
        var span = one.mutableSpan
        span.withUnsafeMutableBytes { buffer in
            _ = try? uarte.transmit(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<1]))
        }
    }

    public func receive() -> UInt8? {
        var one = InlineArray<4, UInt8>(repeating: 0)
        var span = one.mutableSpan
        let count = span.withUnsafeMutableBytes { buffer in
            (try? uarte.receive(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<1]))) ?? 0
        }
        return count == 1 ? one[0] : nil
    }
}

/// The nRF51's legacy UART0 as a polled console (the nRF51 has no UARTE): one byte through TXD/RXD.
public struct UARTConsole: ConsolePort {
    public let uart: UART<VolatileBus>

    public init(uart: UART<VolatileBus>) { self.uart = uart }

    public func send(_ byte: UInt8) { try? uart.write(byte) }

    public func receive() -> UInt8? { uart.read() }
}

/// What differs between the nRF DKs' boot stages: the peripherals' addresses (the board's SoC) and
/// the generated `BoardConfig` values (pins, partitions, GPREGRET), passed in by each board.
public struct NRFBoardWiring {
    public var name: StaticString
    /// UARTE0's base (the nRF51's UART0 for a board that passes its own console).
    public var uarteBase: UInt32
    public var consoleTX: NRFPin
    public var consoleRX: NRFPin
    public var buttonPort: GPIOPort
    public var buttonPin: Int
    public var buttonActiveLow: Bool
    public var buttonPullUp: Bool
    /// GPREGRET[0]'s address (POWER or REGULATORS + 0x51C).
    public var gpregret: UInt32
    public var nvmc: NVMCVariant
    public var primary: (offset: Int, size: Int)
    public var secondary: (offset: Int, size: Int)

    public init(
        name: StaticString, uarteBase: UInt32, consoleTX: NRFPin, consoleRX: NRFPin, buttonPort: GPIOPort,
        buttonPin: Int, buttonActiveLow: Bool, buttonPullUp: Bool, gpregret: UInt32, nvmc: NVMCVariant,
        primary: (offset: Int, size: Int), secondary: (offset: Int, size: Int)
    ) {
        self.name = name
        self.uarteBase = uarteBase
        self.consoleTX = consoleTX
        self.consoleRX = consoleRX
        self.buttonPort = buttonPort
        self.buttonPin = buttonPin
        self.buttonActiveLow = buttonActiveLow
        self.buttonPullUp = buttonPullUp
        self.gpregret = gpregret
        self.nvmc = nvmc
        self.primary = primary
        self.secondary = secondary
    }

    func console(_ bus: VolatileBus) -> UARTEConsole {
        var uarte = UARTE(bus: bus, base: uarteBase)
        uarte.pollLimit = 2_000  // a short receive window: the loop polls again
        uarte.configure(tx: consoleTX, rx: consoleRX)
        return UARTEConsole(uarte: uarte)
    }
}

/// An nRF DK's boot stage: console on UARTE0, recovery button, retained boot mode in GPREGRET,
/// internal flash through the NVMC driver, then ``BootStage``.
public func startNRFBootStage(_ wiring: NRFBoardWiring) -> Never {
    let bus = VolatileBus()
    let retained = GPREGRET(bus: bus, powerBase: wiring.gpregret - 0x51C)
    let bootMode = retained.read(0)
    retained.write(0, 0)
    startNRFBootStage(wiring, console: wiring.console(bus), bootMode: bootMode, reset: { lifeboat_system_reset() })
}

/// The same with the console, the boot mode (already read and cleared) and the reset given by the
/// board: qemu-microbit's legacy UART, GPREGRET or its stand-in, and a software restart.
public func startNRFBootStage<Console: ConsolePort>(
    _ wiring: NRFBoardWiring, console: Console, bootMode: UInt8, reset: () -> Never
) -> Never {
    let bus = VolatileBus()
    console.text("lifeboat: boot stage on ")
    console.line(wiring.name)
    let buttons = GPIO(bus: bus, port: wiring.buttonPort)
    buttons.configureInput(pin: wiring.buttonPin, pull: wiring.buttonPullUp ? .up : .none)
    let flash = NVMC(bus: bus, variant: wiring.nvmc)
    do throws(FlashError) {
        let slots = FirmwareSlots(
            primary: try FlashArea(device: flash, offset: wiring.primary.offset, size: wiring.primary.size),
            secondary: try FlashArea(device: flash, offset: wiring.secondary.offset, size: wiring.secondary.size))
        let images = ImagePolicy(signatureAlgorithms: firmwareSignatureAlgorithms, trustedKeys: firmwareTrustedKeys)
        BootStage.run(
            slots: slots, primaryAddress: wiring.nvmc.flashBase + UInt32(wiring.primary.offset), console: console,
            boot: BootConfiguration(strategy: .swapUsingMove, imagePolicy: images),
            recovery: RecoveryConfiguration(policy: .slotMapping, imagePolicy: images, bootloaderMode: 3),
            recoveryFeatures: FirmwareRecoveryFeatures.self,
            recoveryButton: buttons.isPressed(pin: wiring.buttonPin, activeLow: wiring.buttonActiveLow), bootMode: bootMode,
            reset: reset)
    } catch {
        console.line("lifeboat: the layout does not fit the device")
        lifeboat_trap()
    }
}

/// An nRF DK's sample application (``SampleApplication/run(on:board:primary:requestRecovery:reset:)``)
/// on UARTE0: `R` sets GPREGRET to 1 and resets, `B` resets, `C` confirms the image through the NVMC.
public func runNRFSampleApplication(_ wiring: NRFBoardWiring) -> Never {
    let bus = VolatileBus()
    let console = wiring.console(bus)
    do throws(FlashError) {
        let primary = try FlashArea(device: NVMC(bus: bus, variant: wiring.nvmc), offset: wiring.primary.offset, size: wiring.primary.size)
        SampleApplication.run(
            on: console, board: wiring.name, primary: primary,
            requestRecovery: { GPREGRET(bus: bus, powerBase: wiring.gpregret - 0x51C).write(0, 1) },
            reset: { lifeboat_system_reset() })
    } catch {
        console.line("sample-app: the primary slot does not fit the flash")
        while true {}
    }
}
