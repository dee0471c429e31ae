// The sample application of `qemu-mps2-an386`: what a user's firmware is to the boot stage. It
// runs in place in the primary slot, says which version it is, then echoes the console and
// answers `R` (reset into serial recovery: the retained boot mode word, as an application's
// `os reset` with `boot_mode` 1 does), `B` (a plain reset) and `C` (confirm this image). The
// board's values come from BoardConfig.swift, a link to the boot stage's generated file.
#if hasFeature(Embedded)
import BootStage
import FirmwareRuntime
import FlashKit

/// A function: Swift 6 forbids shared mutable globals.
func run() -> Never {
    let console = CMSDKUART(base: UInt(BoardConfig.consoleBase))
    console.start()
    let device = MemoryMappedNOR(
        base: UInt(BoardConfig.flashBase), size: BoardConfig.flashSize, eraseSize: BoardConfig.eraseSize,
        writeSize: BoardConfig.writeSize)
    do throws(FlashError) {
        let primary = try FlashArea(device: device, offset: BoardConfig.primaryOffset, size: BoardConfig.primarySize)
        SampleApplication.run(
            on: console, board: "qemu-mps2-an386", primary: primary,
            requestRecovery: { lifeboat_set_boot_mode(1) }, reset: { lifeboat_start_image(0) })
    } catch {
        console.line("sample-app: the primary slot does not fit the code memory")
        while true {}
    }
}

run()
#endif
