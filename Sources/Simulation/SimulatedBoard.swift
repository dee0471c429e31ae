import Bootloader
import DFUTarget
import FlashKit
import Foundation
import NRF
import Recovery
import SMP

/// How a simulated board reaches its flash.
public enum FlashBackend: Sendable {
    /// The real drivers (`NRF.NVMC`, `NRF.QSPI`) over register-level peripheral models with
    /// datasheet timings on the board's virtual clock: what `lifeboat sim` runs.
    case drivers
    /// The strict NOR models directly: fast, for unit tests of the layers above.
    case models
}

/// One flash device of a simulated board, as the recovery server sees it.
public enum BoardFlash: NORFlash {
    case nvmc(NVMC<PeripheralBus>)
    case qspi(QSPI<PeripheralBus>)
    case model(NORFlashModel)

    public var size: Int {
        switch self { case .nvmc(let d): d.size; case .qspi(let q): q.size; case .model(let m): m.size }
    }
    public var eraseSize: Int {
        switch self { case .nvmc(let d): d.eraseSize; case .qspi(let q): q.eraseSize; case .model(let m): m.eraseSize }
    }
    public var writeSize: Int {
        switch self { case .nvmc(let d): d.writeSize; case .qspi(let q): q.writeSize; case .model(let m): m.writeSize }
    }
    public var erasedValue: UInt8 {
        switch self { case .nvmc(let d): d.erasedValue; case .qspi(let q): q.erasedValue; case .model(let m): m.erasedValue }
    }
    public var blockEraseSize: Int {
        switch self { case .nvmc(let d): d.blockEraseSize; case .qspi(let q): q.blockEraseSize; case .model(let m): m.blockEraseSize }
    }
    public func read(at offset: Int, into buffer: inout MutableSpan<UInt8>) throws(FlashError) {
        switch self {
        case .nvmc(let d): try d.read(at: offset, into: &buffer)
        case .qspi(let q): try q.read(at: offset, into: &buffer)
        case .model(let m): try m.read(at: offset, into: &buffer)
        }
    }
    public func write(at offset: Int, _ bytes: Span<UInt8>) throws(FlashError) {
        switch self {
        case .nvmc(let d): try d.write(at: offset, bytes)
        case .qspi(let q): try q.write(at: offset, bytes)
        case .model(let m): try m.write(at: offset, bytes)
        }
    }
    public func erase(at offset: Int, count: Int) throws(FlashError) {
        switch self {
        case .nvmc(let d): try d.erase(at: offset, count: count)
        case .qspi(let q): try q.erase(at: offset, count: count)
        case .model(let m): try m.erase(at: offset, count: count)
        }
    }
}

/// The slots of a simulated board: flash areas over the board's devices, from a layout.
public struct BoardSlots: SlotMap {
    public typealias Area = FlashArea<BoardFlash>
    /// `areas[image][slot]`.
    let areas: [[Area?]]
    /// The layout's `mcuboot_scratch`, if any.
    let scratchArea: Area?

    public var imageCount: Int { areas.count }
    public var scratch: Area? { scratchArea }

    public func area(image: Int, slot: Int) -> Area? {
        guard image >= 0, image < areas.count, slot >= 0, slot < areas[image].count else { return nil }
        return areas[image][slot]
    }
}

/// Why a board could not be built from its descriptors.
public struct SimulationError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A simulated board: its flash devices (strict NOR models, optionally kept in files) and the
/// recovery server running on them behind the console framing.
///
/// `reset()` is what `os reset` does on hardware: RAM state (the upload in progress, a partial
/// frame) is lost, flash is kept, and the serial link stays.
public final class SimulatedBoard {
    public let board: BoardDescription
    public let layout: PartitionLayout
    /// The storage of each flash device by name (`internal`, `external`, …): the strict NOR model
    /// holding its bytes (and its `--state` file), whatever drives it.
    public let devices: [String: NORFlashModel]
    /// Each device as the recovery server reaches it (a driver over a peripheral model, or the
    /// model itself).
    public let flash: [String: BoardFlash]
    /// The NVMC peripheral models, by device name (drivers backend).
    public let nvmcModels: [String: NVMCModel]
    /// The QSPI peripheral models (each with its SPI-NOR chip model), by device name.
    public let qspiModels: [String: QSPIModel]
    /// The application core's bus and the board's virtual clock (flash timings accumulate here).
    public let bus: PeripheralBus
    public let clock: VirtualClock
    public let slots: BoardSlots
    public private(set) var link: SerialRecoveryLink<BoardSlots>
    /// Number of resets since the simulator started.
    public private(set) var resetCount = 0
    /// How the boot stage upgrades and validates (``boot(_:)``).
    public var bootConfiguration = BootConfiguration()
    /// The application stage's MCUmgr server, over the same slots (served after a boot).
    public private(set) var applicationLink: SerialLink<ApplicationServer<BoardSlots>, SerialFrameDecoder>
    /// The retained boot mode register (GPREGRET on nRF): survives a reset, read and cleared by
    /// the boot stage. The application's `os reset` with `boot_mode` 1 sets it.
    public var retainedBootMode: UInt8 = 0
    /// The recovery button is held (at every reset while true).
    public var recoveryButtonHeld = false

    /// The serial framing of the console, for the boot stage's recovery and the application
    /// alike (``SMP/SerialFraming``; `.auto` answers each request in its own).
    public var framing: SerialFraming {
        get { link.framing }
        set {
            link.framing = newValue
            applicationLink.framing = newValue
        }
    }

    /// Whether plain-text lines (diagnostics, the application's banner) may go on the console:
    /// with the console framing, and in auto while the last request came in it. A raw or COBS
    /// client would take text for the start of a message.
    public var consoleTextAllowed: Bool {
        switch framing {
        case .console: true
        case .raw, .cobs: false
        case .auto: link.lastFraming == .console && applicationLink.lastFraming == .console
        }
    }

    /// The serial line has been quiet for the raw protocol's input timeout (see
    /// ``Recovery/SerialLink/inputIdle(observe:)``).
    public func inputIdle(application: Bool, observe: (LinkEvent) -> Void = { _ in }) {
        if application { applicationLink.inputIdle(observe: observe) } else { link.inputIdle(observe: observe) }
    }

    /// The upgrade strategy the boot stage runs; recovery's and the application's trailer writes
    /// and bootloader-info mode follow it.
    public var strategy: UpgradeStrategy {
        get { bootConfiguration.strategy }
        set {
            bootConfiguration.strategy = newValue
            // Bootloader info's mode: 1 swap using scratch, 2 overwrite only, 3 swap using move.
            let mode = newValue == .overwriteOnly ? 2 : newValue == .swapUsingScratch ? 1 : 3
            link.server.configuration.bootloaderMode = mode
            applicationLink.server.overwriteOnly = newValue == .overwriteOnly
            applicationLink.server.bootloaderMode = mode
        }
    }

    /// Builds the board. With `stateDirectory`, each flash device is the raw file
    /// `<dir>/<device>.bin` (created erased when absent), so flash survives a restart.
    public init(
        board: BoardDescription, layout: PartitionLayout, configuration: RecoveryConfiguration,
        stateDirectory: String? = nil, backend: FlashBackend = .drivers
    ) throws(SimulationError) {
        var devices: [String: NORFlashModel] = [:]
        for device in board.flash {
            // Behind the QSPI driver the storage is the chip's own array, programmable per byte
            // (the peripheral imposes the 4-byte alignment); directly, it has the descriptor's.
            let storageWriteSize = backend == .drivers && device.controller == "qspi" ? 1 : device.writeSize
            do {
                if let stateDirectory {
                    try? FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
                    devices[device.name] = try NORFlashModel(
                        size: device.size, eraseSize: device.eraseSize, writeSize: storageWriteSize,
                        erasedValue: device.erasedValue, backingFile: "\(stateDirectory)/\(device.name).bin")
                } else {
                    devices[device.name] = try NORFlashModel(
                        size: device.size, eraseSize: device.eraseSize, writeSize: storageWriteSize,
                        erasedValue: device.erasedValue)
                }
            } catch {
                throw SimulationError("flash device '\(device.name)': \(error)")
            }
        }
        // A board runs for days (`lifeboat sim`): nothing may grow per flash operation. The NOR
        // models' operation trace (24 bytes per write, ~2.8 MB per full-slot upload) is for unit
        // tests of the models; a board's tests that want it turn it on per device.
        for device in devices.values { device.traceEnabled = false }
        let clock = VirtualClock()
        let bus = PeripheralBus(clock: clock)
        var flash: [String: BoardFlash] = [:]
        var nvmcModels: [String: NVMCModel] = [:]
        var qspiModels: [String: QSPIModel] = [:]
        for device in board.flash {
            let storage = devices[device.name]!
            if backend == .drivers, device.controller == "qspi" {
                flash[device.name] = .qspi(try Self.externalFlash(soc: board.soc, device: device, storage: storage, bus: bus, models: &qspiModels))
                continue
            }
            guard backend == .drivers, device.controller == "nvmc" else {
                flash[device.name] = .model(storage)
                continue
            }
            guard let variant = Self.nvmcVariant(soc: board.soc, device: device) else {
                throw SimulationError("flash device '\(device.name)': no NVMC model for \(board.soc) at 0x\(String(device.base, radix: 16))")
            }
            guard variant.flashSize == device.size, variant.pageSize == device.eraseSize, device.writeSize == 4, device.erasedValue == 0xFF else {
                throw SimulationError("flash device '\(device.name)': the descriptor's geometry does not match the \(board.soc) NVMC")
            }
            // The network core's NVMC is on its own core's bus; each core sees only its flash.
            let deviceBus = variant.flashBase == 0 ? bus : PeripheralBus(clock: clock)
            let model = NVMCModel(variant: variant, flash: storage)
            model.map(on: deviceBus)
            nvmcModels[device.name] = model
            flash[device.name] = .nvmc(NVMC(bus: deviceBus, variant: variant))
        }
        let areas = try Self.slotAreas(board: board, layout: layout) { flash[$0.name] }
        var scratch: FlashArea<BoardFlash>?
        if let partition = layout.partition(named: "mcuboot_scratch") {
            guard let description = board.device(forRegion: partition.region), let device = flash[description.name] else {
                throw SimulationError("partition mcuboot_scratch: region '\(partition.region)' is on no flash device of board \(board.name)")
            }
            do {
                scratch = try FlashArea(device: device, offset: partition.address, size: partition.size)
            } catch {
                throw SimulationError("partition mcuboot_scratch (0x\(String(partition.address, radix: 16))+0x\(String(partition.size, radix: 16))) does not fit or is not sector-aligned on \(description.name)")
            }
        }
        self.board = board
        self.layout = layout
        self.devices = devices
        self.flash = flash
        self.nvmcModels = nvmcModels
        self.qspiModels = qspiModels
        self.bus = bus
        self.clock = clock
        self.slots = BoardSlots(areas: areas, scratchArea: scratch)
        self.link = SerialRecoveryLink(server: RecoveryServer(slots: slots, configuration: configuration))
        self.applicationLink = SerialLink(server: ApplicationServer(
            slots: slots, overwriteOnly: false, bootloaderMode: 3, receiveBufferSize: configuration.receiveBufferSize))
        // The boot stage trusts what recovery trusts (`lifeboat sim --key`).
        self.bootConfiguration.imagePolicy = configuration.imagePolicy
        self.strategy = bootConfiguration.strategy
    }

    /// The slot areas a layout gives on a board, `areas[image][slot]`, over the devices that
    /// `device` returns for each flash device of the board. The one place that decides whether a
    /// layout's slots can be placed (a region on a device, inside it, aligned to its sectors):
    /// the board's initializer uses it with its drivers, and a layout can be tried against it
    /// without building any flash (``checkSlots(board:layout:)``).
    public static func slotAreas<Device: NORFlash>(
        board: BoardDescription, layout: PartitionLayout, device: (FlashDeviceDescription) -> Device?
    ) throws(SimulationError) -> [[FlashArea<Device>?]] {
        let imageCount = layout.imageCount
        guard imageCount > 0 else {
            throw SimulationError("layout '\(layout.name)' has no mcuboot_primary partition")
        }
        var areas: [[FlashArea<Device>?]] = []
        for image in 0..<imageCount {
            var row: [FlashArea<Device>?] = []
            for slot in 0..<2 {
                guard let partition = layout.slot(image: image, slot: slot) else {
                    row.append(nil)
                    continue
                }
                guard let description = board.device(forRegion: partition.region), let model = device(description) else {
                    throw SimulationError(
                        "partition \(partition.name): region '\(partition.region)' is on no flash device of board \(board.name)")
                }
                do {
                    row.append(try FlashArea(device: model, offset: partition.address, size: partition.size))
                } catch {
                    let why = error == .misaligned
                        ? "is not aligned to the \(description.eraseSize)-byte sectors of \(description.name)"
                        : "does not fit in \(description.name) (\(description.size) bytes)"
                    throw SimulationError(
                        "partition \(partition.name) (0x\(String(partition.address, radix: 16))+0x\(String(partition.size, radix: 16))) \(why)")
                }
            }
            areas.append(row)
        }
        return areas
    }

    /// Throws what building a board with `layout` would throw about its slots, without allocating
    /// any flash (for `layout check`-style tools and the layout fuzz target).
    public static func checkSlots(board: BoardDescription, layout: PartitionLayout) throws(SimulationError) {
        _ = try slotAreas(board: board, layout: layout) { DeviceGeometry(description: $0) }
    }

    /// Feeds bytes received on the console UART; see ``SerialRecoveryLink/receive(_:transmit:observe:)``.
    public func receive(
        _ bytes: [UInt8], transmit: (UnsafeRawBufferPointer) -> Void, observe: (LinkEvent) -> Void = { _ in }
    ) -> RecoveryAction {
        bytes.withUnsafeBytes { link.receive($0, transmit: transmit, observe: observe) }
    }

    /// Feeds bytes received on the console UART while the application stage runs.
    public func receiveApplication(
        _ bytes: [UInt8], transmit: (UnsafeRawBufferPointer) -> Void, observe: (LinkEvent) -> Void = { _ in }
    ) -> RecoveryAction {
        let action = bytes.withUnsafeBytes { applicationLink.receive($0, transmit: transmit, observe: observe) }
        if action == .reset, let mode = applicationLink.server.requestedBootMode { retainedBootMode = mode }
        return action
    }

    /// The line the application stage prints when it starts:
    /// `app: image 0 version 1.2.3 running, confirmed no`.
    public func applicationBanner() -> String {
        let core = DFUCore(slots: slots, overwriteOnly: strategy == .overwriteOnly)
        let version = core.info(SlotAddress(image: 0, slot: 0))?.header.version.text ?? "?"
        let confirmed = core.state(image: 0).flags(slot: 0).contains(.confirmed)
        return "app: image 0 version \(version) running, confirmed \(confirmed ? "yes" : "no")"
    }

    /// What the boot stage samples at a reset: the button, and the retained boot mode, which
    /// this read clears (a request is honoured once).
    public func sampleBootInputs() -> BootInputs {
        defer { retainedBootMode = 0 }
        return BootInputs(recoveryButton: recoveryButtonHeld && board.recoveryButton != nil, retainedBootMode: retainedBootMode)
    }

    /// Runs the boot stage over the board's slots, as firmware does at every reset: the decision
    /// and every flash step it took (an upgrade is carried out on the board's flash).
    public func boot(_ inputs: BootInputs = BootInputs()) -> (BootOutcome, [BootEvent]) {
        var events: [BootEvent] = []
        let outcome = Bootloader(slots: slots, configuration: bootConfiguration).boot(inputs) { events.append($0) }
        return (outcome, events)
    }

    /// Resets the board: RAM state is lost, flash is kept.
    public func reset() {
        link.reboot()
        applicationLink.reboot()
        for device in devices.values { try? device.sync() }
        resetCount += 1
    }

    /// An external SPI-NOR chip behind the SoC's QSPI peripheral: chip model over the device's
    /// storage, QSPI register model on the bus, and the QSPI driver brought up (JEDEC id checked).
    static func externalFlash(
        soc: String, device: FlashDeviceDescription, storage: NORFlashModel, bus: PeripheralBus,
        models: inout [String: QSPIModel]
    ) throws(SimulationError) -> QSPI<PeripheralBus> {
        let variant: QSPIVariant
        switch soc {
        case "nRF52840": variant = .nrf52840
        case "nRF5340": variant = .nrf5340Secure
        default: throw SimulationError("flash device '\(device.name)': no QSPI model for \(soc)")
        }
        guard let chipName = device.chip else {
            throw SimulationError("flash device '\(device.name)': a qspi device needs `chip:` in board.yml (known: \(SPINORChip.modelled.map { "\($0.name)" }.joined(separator: ", ")))")
        }
        guard let chip = SPINORChip.named(chipName) else {
            throw SimulationError("flash device '\(device.name)': no model of the chip '\(chipName)' (known: \(SPINORChip.modelled.map { "\($0.name)" }.joined(separator: ", ")))")
        }
        guard device.size == chip.size, device.eraseSize == chip.sectorSize else {
            throw SimulationError("flash device '\(device.name)': the descriptor's geometry does not match the \(chip.name)")
        }
        let chipModel: SPINORChipModel
        do {
            chipModel = try SPINORChipModel(chip: chip, clock: bus.clock, array: storage)
        } catch {
            throw SimulationError("flash device '\(device.name)': \(error)")
        }
        let model = QSPIModel(variant: variant, chip: chipModel)
        model.map(on: bus)
        models[device.name] = model
        let driver = QSPI(bus: bus, variant: variant, chip: chip)
        do {
            try driver.activate()
        } catch {
            throw SimulationError("flash device '\(device.name)': QSPI bring-up failed (\(error))")
        }
        return driver
    }

    /// The NVMC variant of a board's internal flash device, from the SoC and the device's base.
    static func nvmcVariant(soc: String, device: FlashDeviceDescription) -> NVMCVariant? {
        switch (soc, device.base) {
        case ("nRF52840", 0): .nrf52840
        case ("nRF5340", 0): .nrf5340Application(secure: true)
        case ("nRF5340", 0x0100_0000): .nrf5340Network
        case ("nRF51822", 0): .nrf51822
        default: nil
        }
    }

    /// The model of the device holding `partition`.
    public func device(for partition: Partition) -> NORFlashModel? {
        board.device(forRegion: partition.region).flatMap { devices[$0.name] }
    }
}

/// A flash device's geometry and nothing else: lets ``SimulatedBoard/checkSlots(board:layout:)``
/// run the same `FlashArea` checks as a real board without allocating the device.
struct DeviceGeometry: NORFlash {
    let description: FlashDeviceDescription
    var size: Int { description.size }
    var eraseSize: Int { description.eraseSize }
    var writeSize: Int { description.writeSize }
    var erasedValue: UInt8 { description.erasedValue }
    func read(at offset: Int, into buffer: inout MutableSpan<UInt8>) throws(FlashError) { throw .deviceFault }
    func write(at offset: Int, _ bytes: Span<UInt8>) throws(FlashError) { throw .deviceFault }
    func erase(at offset: Int, count: Int) throws(FlashError) { throw .deviceFault }
}
