// The boot stage of `qemu-mps2-an386` (QEMU's MPS2 with the AN386 Cortex-M4 image, the nRF52840's
// instruction set): console on CMSDK UART0, image slots in code memory behind `MemoryMappedNOR`,
// the retained boot mode in a `.noinit` RAM word.
#if hasFeature(Embedded)
import Bootloader
import BootStage
import FirmwareKeys
import FirmwareRuntime
import FlashKit
import MCUbootImage
import Recovery

/// The board's wiring, then the boot stage (a function: Swift 6 forbids shared mutable globals).
func start() -> Never {
    // Code memory 0x0-0x100000 as one NOR device of 4 KiB sectors: the boot stage's 128 KiB
    // partition, then image 0's primary (0x20000) and secondary (0x90000) slots of 448 KiB.
    let device = MemoryMappedNOR(base: 0, size: 0x10_0000, eraseSize: 0x1000, writeSize: 4)
    let console = CMSDKUART(base: 0x4000_4000)
    console.start()
    console.line("lifeboat: boot stage on qemu-mps2-an386")
    let bootMode = UInt8(truncatingIfNeeded: lifeboat_take_boot_mode())
    do throws(FlashError) {
        let slots = FirmwareSlots(
            primary: try FlashArea(device: device, offset: 0x2_0000, size: 0x7_0000),
            secondary: try FlashArea(device: device, offset: 0x9_0000, size: 0x7_0000))
        // Only the build's algorithm is named, so only its code is linked.
        let images = ImagePolicy(signatureAlgorithms: firmwareSignatureAlgorithms, trustedKeys: firmwareTrustedKeys)
        BootStage.run(
            slots: slots, primaryAddress: 0x2_0000, console: console,
            boot: BootConfiguration(strategy: .swapUsingMove, imagePolicy: images),
            recovery: RecoveryConfiguration(policy: .slotMapping, imagePolicy: images, bootloaderMode: 3),
            recoveryButton: false, bootMode: bootMode,
            reset: { lifeboat_soft_reset() })
    } catch {
        console.line("lifeboat: the layout does not fit the device")
        lifeboat_trap()
    }
}

start()
#endif
