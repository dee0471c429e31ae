/// Which NVMC a driver talks to: register block, flash window, page geometry, how a page is
/// erased and how long the datasheet says operations take.
///
/// Sources (read through the stored nrfx copy, `NordicSemiconductor/nrfx`):
///
/// | fact | value | source |
/// |---|---|---|
/// | nRF52840 NVMC base | 0x4001E000 | nRF52840 `mdk/nrf52840.h` (`NRF_NVMC_BASE`); same constants in many users' copies |
/// | READY / READYNEXT | 0x400 / 0x408 | `nrf5340_network.h` / `nrf52840.h` `NRF_NVMC_Type` |
/// | CONFIG (WEN: 0 Ren, 1 Wen, 2 Een) | 0x504 | same, plus `hal/nrf_nvmc.h` `nrf_nvmc_mode_t` |
/// | ERASEPAGE (nRF52 only) | 0x508 | `nrf52840.h`; nRF5340 has RESERVED3 at 0x508 (`nrf5340_network.h`) |
/// | ERASEALL | 0x50C | all three MDK headers |
/// | CONFIGNS (nRF5340 app only) | 0x584 | `mdk/nrf5340_application.h` `NRF_NVMC_Type` |
/// | nRF5340 app NVMC | 0x50039000 secure / 0x40039000 non-secure | `nrf5340_application.h` `NRF_NVMC_S_BASE` / `_NS_BASE` |
/// | nRF5340 net NVMC | 0x41080000 | `mdk/nrf5340_network.h` `NRF_NVMC_NS_BASE` |
/// | nRF53 page erase | store 0xFFFFFFFF to the page's first word under CONFIG=Een | `hal/nrf_nvmc.h` `nrf_nvmc_page_erase_start`: `#elif defined(NRF53_SERIES) \|\| defined(NRF91_SERIES)  *(volatile uint32_t *)page_addr = 0xFFFFFFFF;` |
/// | secure code sets CONFIGNS then CONFIG | both, NS first | `drivers/src/nrfx_nvmc.c` `nvmc_write_mode_set` ("For secure code, the access mode needs to be set for both secure and non-secure regions"); non-secure code sets CONFIGNS only |
/// | net core flash | 256 KiB at 0x01000000, 2 KiB pages | Zephyr `nrf5340_cpunet.dtsi` (shared/reference/mcuboot-serial-recovery.md §9.2) |
/// | tERASEPAGE / tWRITE | nRF52840 85 ms / 41 µs; nRF5340 87.5 ms / 43 µs | shared/reference/performance-anchors.md §1.1, §1.2 |
/// | nRF51 NVMC | 0x4001E000, READY 0x400, CONFIG 0x504, ERASEPAGE 0x508, 1 KiB pages, no READYNEXT | QEMU `hw/nvram/nrf51_nvm.c` (`NRF51_NVMC_*`, `NRF51_PAGE_SIZE`), the nRF51 register set the nRF52 kept; shared/reference/embedded-swift.md §3 |
/// | nRF51 page erase / word write | about 22 ms / 48 µs | S130 SoftDevice specification, "Flash memory API" |
///
/// Not confirmed: the network core's own tERASEPAGE/tWRITE (the nRF5340 app-core values are used;
/// Zephyr budgets the net core like nRF52, 89.7 ms); whether READYNEXT is safe on every nRF52840
/// revision (nrfx skips it when nRF52 anomaly 233 applies; the anomaly text was not retrieved),
/// hence ``NVMCWaitStrategy/ready`` is the default everywhere.
public struct NVMCVariant: Sendable, Equatable {
    /// Base address of the NVMC register block the driver uses.
    public var registerBase: UInt32
    /// Bus address of flash offset 0.
    public var flashBase: UInt32
    public var flashSize: Int
    public var pageSize: Int
    public var eraseMethod: NVMCEraseMethod
    public var modeRegisters: NVMCModeRegisters
    /// The block has READYNEXT (0x408): nRF52840 and nRF5340 both do.
    public var hasReadyNext: Bool
    /// Datasheet page-erase time (maximum), nanoseconds.
    public var pageEraseNanoseconds: UInt64
    /// Datasheet word-write time (maximum), nanoseconds.
    public var wordWriteNanoseconds: UInt64
    /// Fastest CPU clock of the core that runs the driver; sizes the bounded READY wait.
    public var cpuHertz: UInt64

    public init(
        registerBase: UInt32, flashBase: UInt32, flashSize: Int, pageSize: Int,
        eraseMethod: NVMCEraseMethod, modeRegisters: NVMCModeRegisters, hasReadyNext: Bool,
        pageEraseNanoseconds: UInt64, wordWriteNanoseconds: UInt64, cpuHertz: UInt64
    ) {
        self.registerBase = registerBase
        self.flashBase = flashBase
        self.flashSize = flashSize
        self.pageSize = pageSize
        self.eraseMethod = eraseMethod
        self.modeRegisters = modeRegisters
        self.hasReadyNext = hasReadyNext
        self.pageEraseNanoseconds = pageEraseNanoseconds
        self.wordWriteNanoseconds = wordWriteNanoseconds
        self.cpuHertz = cpuHertz
    }

    /// nRF52840: 1 MiB at 0, 4 KiB pages, ERASEPAGE register, 64 MHz Cortex-M4F.
    public static let nrf52840 = NVMCVariant(
        registerBase: 0x4001_E000, flashBase: 0, flashSize: 1024 * 1024, pageSize: 4096,
        eraseMethod: .erasePageRegister, modeRegisters: .config, hasReadyNext: true,
        pageEraseNanoseconds: 85_000_000, wordWriteNanoseconds: 41_000, cpuHertz: 64_000_000)

    /// nRF5340 application core: 1 MiB at 0, 4 KiB pages, erase by writing 0xFFFFFFFF, up to
    /// 128 MHz. Secure code (a bootloader at reset: the SPU marks all flash secure) uses the
    /// secure alias and sets CONFIGNS and CONFIG, as nrfx does; non-secure code only CONFIGNS.
    public static func nrf5340Application(secure: Bool = true) -> NVMCVariant {
        NVMCVariant(
            registerBase: secure ? 0x5003_9000 : 0x4003_9000, flashBase: 0, flashSize: 1024 * 1024, pageSize: 4096,
            eraseMethod: .writeErasedWord, modeRegisters: secure ? .configNSThenConfig : .configNS, hasReadyNext: true,
            pageEraseNanoseconds: 87_500_000, wordWriteNanoseconds: 43_000, cpuHertz: 128_000_000)
    }

    /// nRF5340 network core: 256 KiB at 0x01000000, 2 KiB pages, erase by writing 0xFFFFFFFF,
    /// 64 MHz. Timings assumed equal to the application core's (not separately confirmed).
    public static let nrf5340Network = NVMCVariant(
        registerBase: 0x4108_0000, flashBase: 0x0100_0000, flashSize: 256 * 1024, pageSize: 2048,
        eraseMethod: .writeErasedWord, modeRegisters: .config, hasReadyNext: true,
        pageEraseNanoseconds: 87_500_000, wordWriteNanoseconds: 43_000, cpuHertz: 64_000_000)
}

extension NVMCVariant {
    /// nRF51822 (the BBC micro:bit v1; QEMU `-M microbit`): 256 KiB at 0, 1 KiB pages, ERASEPAGE
    /// register (called ERASEPCR1 in the nRF51 manual, same offset), no READYNEXT, 16 MHz Cortex-M0.
    public static let nrf51822 = NVMCVariant(
        registerBase: 0x4001_E000, flashBase: 0, flashSize: 256 * 1024, pageSize: 1024,
        eraseMethod: .erasePageRegister, modeRegisters: .config, hasReadyNext: false,
        pageEraseNanoseconds: 22_000_000, wordWriteNanoseconds: 48_000, cpuHertz: 16_000_000)
}

/// How a page erase is started once the mode is Een.
public enum NVMCEraseMethod: Sendable, Equatable {
    /// nRF51/52: store the page address to ERASEPAGE (0x508).
    case erasePageRegister
    /// nRF53/91: store 0xFFFFFFFF to the first word of the page (there is no ERASEPAGE register).
    case writeErasedWord
}

/// Which mode register(s) a driver writes to switch Ren/Wen/Een.
public enum NVMCModeRegisters: Sendable, Equatable {
    /// CONFIG (0x504) only: nRF52, nRF5340 network core.
    case config
    /// CONFIGNS (0x584) then CONFIG (0x504): secure code on the nRF5340 application core.
    case configNSThenConfig
    /// CONFIGNS (0x584) only: non-secure code on the nRF5340 application core.
    case configNS
}

/// What the driver polls between word writes.
public enum NVMCWaitStrategy: Sendable, Equatable {
    /// Wait READY after every word: always correct, the nrfx choice when an anomaly rules out READYNEXT.
    case ready
    /// Wait READYNEXT before each word (the NVMC buffers one word while the previous one is being
    /// programmed) and READY once after the last. pyOCD measured 25 % less programming time on
    /// nRF52833 (performance-anchors §1.1). Only for variants with ``NVMCVariant/hasReadyNext``.
    case readyNext
}

/// NVMC register offsets and values (see ``NVMCVariant`` for sources).
public enum NVMCRegister {
    public static let ready: UInt32 = 0x400
    public static let readyNext: UInt32 = 0x408
    public static let config: UInt32 = 0x504
    public static let erasePage: UInt32 = 0x508
    public static let eraseAll: UInt32 = 0x50C
    public static let configNS: UInt32 = 0x584

    /// CONFIG.WEN values.
    public static let modeRen: UInt32 = 0
    public static let modeWen: UInt32 = 1
    public static let modeEen: UInt32 = 2
}
