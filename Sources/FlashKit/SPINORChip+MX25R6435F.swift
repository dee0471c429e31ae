extension SPINORChip {
    /// Macronix MX25R6435F, the 8 MiB part on the nRF52840 DK and nRF5340 DK.
    ///
    /// Sources (see `shared/reference/performance-anchors.md` §1.3):
    /// - geometry and opcodes: ST BSP `mx25r6435f.h` (stm32duino / STM32CubeL4, 64 KiB × 128,
    ///   32 KiB × 256, 4 KiB × 2048, 256 B pages), JEDEC id C2 28 17 (Zephyr nrf52840dk DTS
    ///   `jedec-id = [c2 28 17]`);
    /// - status register: WIP bit 0, WEL bit 1, BP0–BP3 bits 2–5, QE bit 6, SRWD bit 7; the ST BSP
    ///   sets QE with WREN + a one-byte WRSR (`QSPI_EnterQuadMode`);
    /// - typical times: SFDP (48 ms sector, 240 ms / 480 ms blocks, 896 µs page, ≈52 s chip);
    /// - maximum times: ST BSP (240 ms sector, 3.5 s 64 KiB block, 240 s chip, 40 ms WRSR);
    ///   32 KiB block max 3 s (perf-anchors; STM32CubeL4's header says 1050 ms — the larger is kept
    ///   because it only bounds a wait); page program max 10 ms (mbed `QSPI_PAGE_PROG_MAX_TIME`).
    ///
    /// Not confirmed from a source here: WRSR typical (10 ms is a placeholder), tDP (10 µs) and
    /// tRES1 (35 µs), both from memory of the Macronix datasheet.
    public static let mx25r6435f = SPINORChip(
        name: "MX25R6435F",
        jedecID: SPINORJEDECID(manufacturer: 0xC2, memoryType: 0x28, capacity: 0x17),
        size: 8 << 20,
        pageSize: 256,
        sectorSize: 4 << 10,
        smallBlockSize: 32 << 10,
        blockSize: 64 << 10,
        erasedValue: 0xFF,
        opcodes: SPINOROpcodes(),
        status: SPINORStatusBits(),
        quadEnable: .statusRegister(mask: 1 << 6),
        timings: SPINORTimings(
            pageProgramTypical: 896, pageProgramMax: 10_000,
            sectorEraseTypical: 48_000, sectorEraseMax: 240_000,
            blockErase32Typical: 240_000, blockErase32Max: 3_000_000,
            blockErase64Typical: 480_000, blockErase64Max: 3_500_000,
            chipEraseTypical: 52_000_000, chipEraseMax: 240_000_000,
            writeStatusTypical: 10_000, writeStatusMax: 40_000,
            enterDeepPowerDown: 10, releaseDeepPowerDown: 35
        )
    )
}
