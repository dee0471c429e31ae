// The boot stage of `qemu-microbit` (QEMU's micro:bit v1: nRF51822, Cortex-M0, armv6m): the shared
// nRF wiring (NRFBoard: NVMC driver on the internal flash, button, ``BootStage``) with the legacy
// UART0 as console and the values of BoardConfig.swift, generated from Boards/qemu-microbit/board.yml
// and Layouts/qemu-microbit.yml. Two things differ from the DKs because of what QEMU models:
// - Reset is a software restart: a QEMU system reset would reload the -kernel image over the
//   flash, losing what was uploaded since QEMU started.
// - QEMU has no POWER block (its 0x40000000 page is a stub that reads 1 and ignores writes), so
//   GPREGRET cannot carry the boot mode there: it is used when it reads back the 0 the boot stage
//   clears it to, as on silicon; otherwise the retained RAM word of the mps2 board stands in.
#if hasFeature(Embedded)
import FirmwareRuntime
import NRF
import NRFBoard

/// A function: Swift 6 forbids shared mutable globals.
func start() -> Never {
    let bus = VolatileBus()
    let uart = UART(bus: bus, base: UARTRegister.nrf51UART0)
    uart.configure(
        tx: NRFPin(port: BoardConfig.consoleTX.port, pin: BoardConfig.consoleTX.pin),
        rx: NRFPin(port: BoardConfig.consoleRX.port, pin: BoardConfig.consoleRX.pin))
    let retained = GPREGRET(bus: bus, powerBase: BoardConfig.gpregret - GPREGRET<VolatileBus>.registerOffset)
    let requested = retained.read(0)
    retained.write(0, 0)
    let retainedWord = UInt8(truncatingIfNeeded: lifeboat_take_boot_mode())
    let bootMode = retained.read(0) == 0 ? requested : retainedWord
    startNRFBootStage(
        NRFBoardWiring(
            name: "qemu-microbit", uarteBase: UARTRegister.nrf51UART0,
            consoleTX: NRFPin(port: BoardConfig.consoleTX.port, pin: BoardConfig.consoleTX.pin),
            consoleRX: NRFPin(port: BoardConfig.consoleRX.port, pin: BoardConfig.consoleRX.pin),
            buttonPort: .nrf51, buttonPin: BoardConfig.buttonPin,
            buttonActiveLow: BoardConfig.buttonActiveLow, buttonPullUp: BoardConfig.buttonPullUp,
            gpregret: BoardConfig.gpregret, nvmc: .nrf51822,
            primary: (BoardConfig.primaryOffset, BoardConfig.primarySize),
            secondary: (BoardConfig.secondaryOffset, BoardConfig.secondarySize)),
        console: UARTConsole(uart: uart), bootMode: bootMode, reset: { lifeboat_soft_reset() })
}

start()
#endif
