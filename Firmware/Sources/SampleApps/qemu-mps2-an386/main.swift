// The sample application of `qemu-mps2-an386`: what a user's firmware is to the boot stage. It
// runs in place in the primary slot, says which version it is, then echoes the console. `R` asks
// for serial recovery the way an application's `os reset` with `boot_mode` 1 does: the retained
// boot mode word, then a reset into the boot stage.
#if hasFeature(Embedded)
import BootStage
import FirmwareRuntime

/// A function: Swift 6 forbids shared mutable globals.
func run() -> Never {
    let console = CMSDKUART(base: 0x4000_4000)
    console.start()
    SampleApplication.announce(on: console, board: "qemu-mps2-an386")
    while true {
        guard let byte = console.receive() else { continue }
        if byte == 0x52 {  // "R"
            console.line("sample-app: reset into serial recovery")
            lifeboat_set_boot_mode(1)
            lifeboat_start_image(0)
        }
        console.send(byte)
    }
}

run()
#endif
