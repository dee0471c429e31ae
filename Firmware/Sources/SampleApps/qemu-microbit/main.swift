// The sample application of `qemu-microbit`: runs in place in the primary slot, says which version
// it is on UART0, then echoes the console and answers `R` (reset into serial recovery, as an
// application's `os reset` with `boot_mode` 1: GPREGRET = 1 and, since QEMU does not model
// GPREGRET, the retained RAM word too), `B` (a plain reset) and `C` (confirm this image through
// the NVMC). A reset is a restart of the boot stage (see the boot stage's main.swift for why not a
// system reset). The board's values come from BoardConfig.swift, a link to the boot stage's
// generated file.
#if hasFeature(Embedded)
import BootStage
import FirmwareRuntime
import FlashKit
import NRF
import NRFBoard

/// A function: Swift 6 forbids shared mutable globals.
func run() -> Never {
    let bus = VolatileBus()
    let uart = UART(bus: bus, base: UARTRegister.nrf51UART0)
    uart.configure(
        tx: NRFPin(port: BoardConfig.consoleTX.port, pin: BoardConfig.consoleTX.pin),
        rx: NRFPin(port: BoardConfig.consoleRX.port, pin: BoardConfig.consoleRX.pin))
    let console = UARTConsole(uart: uart)
    do throws(FlashError) {
        let primary = try FlashArea(device: NVMC(bus: bus, variant: .nrf51822), offset: BoardConfig.primaryOffset, size: BoardConfig.primarySize)
        SampleApplication.run(
            on: console, board: "qemu-microbit", primary: primary,
            requestRecovery: {
                GPREGRET(bus: bus, powerBase: BoardConfig.gpregret - GPREGRET<VolatileBus>.registerOffset).write(0, 1)
                lifeboat_set_boot_mode(1)
            },
            reset: { lifeboat_start_image(0) })
    } catch {
        console.line("sample-app: the primary slot does not fit the flash")
        while true {}
    }
}

run()
#endif
