// The boot stage of `qemu-mps2-an386` (QEMU's MPS2 with the AN386 Cortex-M4 image, the nRF52840's
// instruction set): console on CMSDK UART0, image slots in code memory behind `MemoryMappedNOR`,
// the retained boot mode in a `.noinit` RAM word. The values are BoardConfig.swift's, generated
// from Boards/qemu-mps2-an386/board.yml and Layouts/qemu-mps2-an386.yml.
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
    // Code memory as one NOR device: the boot stage's partition, then image 0's two slots.
    let device = MemoryMappedNOR(
        base: UInt(BoardConfig.flashBase), size: BoardConfig.flashSize, eraseSize: BoardConfig.eraseSize,
        writeSize: BoardConfig.writeSize)
    let console = CMSDKUART(base: UInt(BoardConfig.consoleBase))
    console.start()
    console.line("lifeboat: boot stage on qemu-mps2-an386")
    let bootMode = UInt8(truncatingIfNeeded: lifeboat_take_boot_mode())
    do throws(FlashError) {
        let slots = FirmwareSlots(
            primary: try FlashArea(device: device, offset: BoardConfig.primaryOffset, size: BoardConfig.primarySize),
            secondary: try FlashArea(device: device, offset: BoardConfig.secondaryOffset, size: BoardConfig.secondarySize))
        // Only the build's algorithm is named, so only its code is linked.
        let images = ImagePolicy(signatureAlgorithms: firmwareSignatureAlgorithms, trustedKeys: firmwareTrustedKeys)
        BootStage.run(
            slots: slots, primaryAddress: BoardConfig.flashBase + UInt32(BoardConfig.primaryOffset), console: console,
            boot: BootConfiguration(strategy: .swapUsingMove, imagePolicy: images),
            recovery: RecoveryConfiguration(policy: .slotMapping, imagePolicy: images, bootloaderMode: 3),
            recoveryFeatures: FirmwareRecoveryFeatures.self,
            recoveryButton: false, bootMode: bootMode,
            reset: { lifeboat_soft_reset() })
    } catch {
        console.line("lifeboat: the layout does not fit the device")
        lifeboat_trap()
    }
}

start()
#endif
