/// Which nRF QSPI instance a driver talks to: its base address and SCK clock source.
///
/// | SoC | base | SCK | source |
/// |---|---|---|---|
/// | nRF52840 | 0x40029000 | 32 MHz / (SCKFREQ+1): 2–32 MHz | nrfx `mdk/nrf52840.h` `NRF_QSPI_BASE`; PS QSPI chapter (perf-anchors §1.4) |
/// | nRF5340 app, secure | 0x5002B000 | 96 MHz / (SCKFREQ+1): 6–96 MHz | nrfx `mdk/nrf5340_application.h` `QSPI_S`; PS (perf-anchors §1.4) |
/// | nRF5340 app, non-secure | 0x4002B000 | as above | `QSPI_NS` |
///
/// nRF5340: the 96 MHz base holds only with CLOCK.HFCLK192MCTRL = DIV1 (Zephyr's `nrf_qspi_nor.c`
/// computes SCK as HFCLK192M / div / (2·(SCKFREQ+1)) and sets DIV1 for ≥ 96 MHz or when working
/// around anomaly 159). The reset default divider is larger, which makes SCK slower than
/// `baseClockHz` says — never faster. This driver does not own CLOCK; the board sets it.
public struct QSPIVariant: Equatable, Sendable {
    public var base: UInt32
    /// SCK when SCKFREQ = 0.
    public var baseClockHz: UInt32
    /// True on the nRF5340 (XIPEN, XIP/DMA encryption registers exist).
    public var hasEncryption: Bool

    public init(base: UInt32, baseClockHz: UInt32, hasEncryption: Bool) {
        self.base = base
        self.baseClockHz = baseClockHz
        self.hasEncryption = hasEncryption
    }

    public static let nrf52840 = QSPIVariant(base: 0x4002_9000, baseClockHz: 32_000_000, hasEncryption: false)
    public static let nrf5340Secure = QSPIVariant(base: 0x5002_B000, baseClockHz: 96_000_000, hasEncryption: true)
    public static let nrf5340NonSecure = QSPIVariant(base: 0x4002_B000, baseClockHz: 96_000_000, hasEncryption: true)

    /// The SCKFREQ field for the fastest SCK not above `hz` (clamped to 0...15; below base/16 the
    /// slowest divider is used).
    public func sckFreqField(forHz hz: UInt32) -> UInt32 {
        guard hz > 0 else { return 15 }
        // ceil(base / hz) - 1
        let divider = (baseClockHz + hz - 1) / hz
        return min(15, max(1, divider) - 1)
    }

    /// SCK in Hz for an SCKFREQ field value.
    public func sckHz(forField field: UInt32) -> UInt32 { baseClockHz / ((field & 0xF) + 1) }
}
