import FlashKit
import NRF
@testable import Simulation

/// A bus with the QSPI model at the variant's base, an MX25R6435F model behind it, and the
/// driver under test.
struct QSPIRig {
    let bus: PeripheralBus
    let chip: SPINORChipModel
    let model: QSPIModel
    let flash: QSPI<PeripheralBus>

    /// `modelled` is the chip on the board, `expected` the one the driver is built for.
    init(
        modelled: SPINORChip = .mx25r6435f, expected: SPINORChip = .mx25r6435f, variant: QSPIVariant = .nrf52840,
        configuration: QSPIConfiguration = QSPIConfiguration(), array: NORFlashModel? = nil
    ) throws {
        bus = PeripheralBus()
        chip = try SPINORChipModel(chip: modelled, clock: bus.clock, array: array)
        model = QSPIModel(variant: variant, chip: chip)
        model.map(on: bus)
        flash = QSPI(bus: bus, variant: variant, chip: expected, configuration: configuration)
    }

    /// Activated and with the trace cleared.
    static func activated(
        variant: QSPIVariant = .nrf52840, configuration: QSPIConfiguration = QSPIConfiguration(), array: NORFlashModel? = nil
    ) throws -> QSPIRig {
        let rig = try QSPIRig(variant: variant, configuration: configuration, array: array)
        try rig.flash.activate()
        rig.bus.clearTrace()
        return rig
    }

    /// Everything a correct driver leaves empty.
    var faults: [String] {
        model.driverFaults.map(\.description) + chip.violations.map(\.description) + bus.faults.map { "unmapped \($0)" }
    }
}

/// A deterministic pattern that never contains 0xFF.
func qspiPattern(_ count: Int, seed: Int) -> [UInt8] {
    (0..<count).map { i in
        let v = UInt8(truncatingIfNeeded: i &* 37 &+ seed &* 11 &+ 3)
        return v == 0xFF ? 0x5A : v
    }
}
