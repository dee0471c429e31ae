// The sample application of `qemu-microbit`: runs in place in the primary slot, says which version
// it is on UART0 (TX P0.24, RX P0.25 as in Boards/qemu-microbit/board.yml), then echoes the
// console. `R` asks for serial recovery the way an application's `os reset` with `boot_mode` 1
// does: GPREGRET = 1 and, since QEMU does not model GPREGRET, the retained RAM word too; then a
// restart of the boot stage (see the boot stage's main.swift for why not a system reset).
#if hasFeature(Embedded)
import BootStage
import FirmwareRuntime
import NRF
import NRFBoard

/// A function: Swift 6 forbids shared mutable globals.
func run() -> Never {
    let bus = VolatileBus()
    let uart = UART(bus: bus, base: UARTRegister.nrf51UART0)
    uart.configure(tx: NRFPin(pin: 24), rx: NRFPin(pin: 25))
    let console = UARTConsole(uart: uart)
    SampleApplication.announce(on: console, board: "qemu-microbit")
    while true {
        guard let byte = console.receive() else { continue }
        if byte == 0x52 {  // "R"
            console.line("sample-app: reset into serial recovery")
            GPREGRET(bus: bus, powerBase: GPREGRET<VolatileBus>.nrf51PowerBase).write(0, 1)
            lifeboat_set_boot_mode(1)
            lifeboat_start_image(0)
        }
        console.send(byte)
    }
}

run()
#endif
