import Bootloader
import DFUTarget
import FlashKit
import Foundation
import MCUbootImage
import Recovery
import Simulation

/// MCUboot's power-cut method (mcuboot-serial-recovery.md §7.2), with torn writes: run a scenario
/// once clean and count its flash operations; then, for every operation index, start again from
/// the same flash, cut the power at that operation (the NOR model's torn state), power up, let a
/// fresh boot stage finish, and classify what the board does.
///
/// The board is a ``Simulation/SimulatedBoard`` on the `.models` backend, all its devices on one
/// ``Simulation/PowerRail`` (a cut stops the internal and the external flash together), rolled
/// back between points with ``Simulation/NORFlashModel/rollBack(to:)``.
public struct PowerCutSweep {
    public enum Scenario: String, CaseIterable, Sendable {
        /// The secondary holds v2 marked for test; the boot swaps it in.
        case swapTest = "swap-test"
        /// The secondary holds v2 marked permanent (`--confirm`); the boot swaps it in for good.
        case permanent
        /// v2 was swapped in for test and never confirmed; the boot puts v1 back.
        case revert
        /// v2 was swapped in for test; the application confirms it, then the board resets.
        case confirm
        /// Overwrite-only: the secondary's v2 is copied over v1.
        case overwrite
        /// Serial recovery uploads v2 into the primary (primary-only), then the board resets.
        case recoveryUpload = "recovery-upload"
        /// The running application (v1) uploads v2 into the free slot, marks it for test and
        /// resets; the boot swaps it in.
        case applicationUpload = "app-upload"

        public var summary: String {
            switch self {
            case .swapTest: "boot swaps in a test image (v1 → v2)"
            case .permanent: "boot swaps in a permanent image (v1 → v2)"
            case .revert: "boot reverts an unconfirmed test image (v2 → v1)"
            case .confirm: "the application confirms the test image, then the board resets"
            case .overwrite: "overwrite-only upgrade (v1 → v2)"
            case .recoveryUpload: "serial recovery uploads v2 into the primary slot, then the board resets"
            case .applicationUpload: "the application uploads v2 into the free slot, marks it for test, resets"
            }
        }
    }

    /// What the board does after a cut and a clean boot.
    public enum Outcome: String, CaseIterable, Sendable {
        case bootedOld = "booted old"
        case bootedNew = "booted new"
        case recovery
        /// Neither image boots and recovery is not entered, a half-written image, or flash
        /// outside the slots changed.
        case bricked
    }

    public struct Report: Sendable {
        public var scenario: Scenario
        public var layout: String
        public var strategy: UpgradeStrategy
        /// Flash operations of the clean run (one point each).
        public var points: Int
        public var outcomes: [Outcome: Int]
        /// What the clean run ends in.
        public var cleanOutcome: Outcome
        /// One line per bricked point (at most 20).
        public var failures: [String]
        public var seconds: Double
        /// Bytes of the image the scenario moves.
        public var imageBytes: Int
        public var bricked: Int { outcomes[.bricked] ?? 0 }
        public var pointsPerSecond: Double { seconds > 0 ? Double(points) / seconds : 0 }
    }

    public var board: BoardDescription
    public var layout: PartitionLayout
    public var scenario: Scenario
    public var strategy: UpgradeStrategy
    /// Size of the new image (header + body + TLVs); nil: the largest the strategy can swap.
    public var imageSize: Int?
    /// Also cut during the boot that recovers from each cut, at every `secondCutStride`-th
    /// operation of it (nil: no second cut).
    public var secondCutStride: Int?

    public init(board: BoardDescription, layout: PartitionLayout, scenario: Scenario, strategy: UpgradeStrategy = .swapUsingMove) {
        self.board = board
        self.layout = layout
        self.scenario = scenario
        self.strategy = scenario == .overwrite ? .overwriteOnly : strategy
    }

    static let old = ImageVersion(major: 1, minor: 0, revision: 0)
    static let new = ImageVersion(major: 2, minor: 0, revision: 0)

    /// Runs the sweep; `progress` gets (points done, points) now and then.
    public func run(progress: (Int, Int) -> Void = { _, _ in }) throws -> Report {
        if strategy == .swapUsingScratch && layout.partition(named: "mcuboot_scratch") == nil {
            throw SimulationError("strategy swap-scratch needs a layout with an mcuboot_scratch partition (e.g. nrf52840dk_scratch); \(layout.name) has none")
        }
        let rig = try Rig(board: board, layout: layout, strategy: strategy)
        let images = try rig.images(newSize: imageSize)
        try rig.prepare(scenario, images: images)
        let start = rig.checkpoint()

        // The clean run: how many operations, and where it ends.
        let before = rig.rail.operationCount
        let cleanAction = rig.act(scenario, images: images)
        let points = rig.rail.operationCount - before
        let clean = cleanAction.map { rig.classify($0, images: images) } ?? .bricked
        guard clean != .bricked, points > 0 else {
            throw SimulationError("the clean \(scenario.rawValue) run did not complete (\(points) operations, \(clean.rawValue)\(clean == .bricked ? ": " + rig.lastFinding : ""))")
        }

        var outcomes: [Outcome: Int] = [:]
        var failures: [String] = []
        let began = Date()
        for point in 0..<points {
            rig.rollBack(to: start)
            rig.rail.scheduleCut(afterOperations: point)
            _ = rig.act(scenario, images: images)
            rig.rail.cancelCut()
            rig.rail.restore()
            var seconds = [Outcome]()
            if let stride = secondCutStride {
                // Measure the recovering boot, then cut it at every stride-th operation.
                let mid = rig.checkpoint()
                let recoverStart = rig.rail.operationCount
                _ = rig.bootOnce()
                let recoverOps = rig.rail.operationCount - recoverStart
                for second in Swift.stride(from: 0, to: recoverOps, by: max(stride, 1)) {
                    rig.rollBack(to: mid)
                    rig.rail.scheduleCut(afterOperations: second)
                    _ = rig.bootOnce()
                    rig.rail.cancelCut()
                    rig.rail.restore()
                    seconds.append(rig.classify(rig.finalBoot(), images: images))
                }
                rig.rollBack(to: mid)
            }
            let outcome = rig.classify(rig.finalBoot(), images: images)
            for o in seconds + [outcome] {
                outcomes[o, default: 0] += 1
                if o == .bricked && failures.count < 20 {
                    failures.append("cut at operation \(point) of \(points)\(seconds.isEmpty ? "" : " (or during its recovery)"): \(rig.lastFinding)")
                }
            }
            if point % 64 == 0 { progress(point, points) }
        }
        progress(points, points)
        return Report(
            scenario: scenario, layout: layout.name, strategy: strategy, points: points, outcomes: outcomes,
            cleanOutcome: clean, failures: failures, seconds: Date().timeIntervalSince(began), imageBytes: images.new.count)
    }

    /// The board under test, its rail, and the scenario steps.
    final class Rig {
        let board: SimulatedBoard
        let rail = PowerRail()
        let configuration: BootConfiguration
        let primary: Partition
        let secondary: Partition?
        var lastFinding = ""
        /// The sectors of image 0's slots and the scratch, per device: nothing else may be written or erased.
        var allowed: [(NORFlashModel, Range<Int>)] = []

        init(board description: BoardDescription, layout: PartitionLayout, strategy: UpgradeStrategy) throws {
            board = try SimulatedBoard(board: description, layout: layout, configuration: RecoveryConfiguration(policy: .primaryOnly), backend: .models)
            var configuration = BootConfiguration(strategy: strategy)
            configuration.imagePolicy = board.bootConfiguration.imagePolicy
            self.configuration = configuration
            board.bootConfiguration = configuration
            guard let primary = layout.slot(image: 0, slot: 0) else { throw SimulationError("layout \(layout.name) has no primary slot") }
            self.primary = primary
            self.secondary = layout.slot(image: 0, slot: 1)
            for device in board.devices.values {
                device.traceEnabled = false
                device.rail = rail
            }
        }

        struct Images {
            var old: [UInt8]
            var new: [UInt8]
        }

        /// v1 for the primary and v2 (of `newSize`, or the largest the strategy swaps) for the
        /// secondary, both signed as `imgtool sign --pad-header --align <write size>` would.
        func images(newSize: Int?) throws -> Images {
            let area = board.slots.area(image: 0, slot: 0)!
            let layouts = configuration.trailerLayouts(primary: area, secondary: board.slots.area(image: 0, slot: 1))
            let sector = area.eraseSize
            let trailerSectors = (layouts.primary.trailerSize + sector - 1) / sector
            // Move needs one spare sector below the trailer; overwrite keeps the trailer's sectors
            // free; scratch swaps up to the primary's status area (into the trailer's sector).
            let largest: Int
            switch configuration.strategy {
            case .swapUsingMove: largest = area.size - (trailerSectors + 1) * sector
            case .overwriteOnly: largest = area.size - trailerSectors * sector
            case .swapUsingScratch: largest = layouts.primary.statusOffset / area.writeSize * area.writeSize
            }
            let size = min(newSize ?? largest, largest)
            func image(_ version: ImageVersion, size: Int, seed: UInt32) throws -> [UInt8] {
                let bodySize = size - 0x200 - 40
                guard bodySize > 0 else { throw SimulationError("image size \(size) too small") }
                var state = seed
                let body = (0..<bodySize).map { _ in
                    state = state &* 1_664_525 &+ 1_013_904_223
                    return UInt8(truncatingIfNeeded: state >> 24)
                }
                var options = SigningOptions(version: version, slotSize: area.size)
                options.padHeader = true
                options.align = area.writeSize
                options.erasedValue = area.erasedValue
                options.maxSectors = layouts.primary.statusSectors  // imgtool --max-sectors, as the boot stage sizes it
                return try ImageSigner(options: options).sign(body)
            }
            return Images(old: try image(PowerCutSweep.old, size: size * 3 / 4, seed: 1), new: try image(PowerCutSweep.new, size: size, seed: 2))
        }

        func model(for partition: Partition) -> NORFlashModel { board.device(for: partition)! }

        /// Puts the scenario's starting state on the flash (not counted: a programmer's work).
        func prepare(_ scenario: Scenario, images: Images) throws {
            try model(for: primary).load(images.old, at: primary.address)
            switch scenario {
            case .recoveryUpload, .applicationUpload:
                break
            case .swapTest, .permanent, .overwrite, .revert, .confirm:
                guard let secondary else { throw SimulationError("the \(scenario.rawValue) scenario needs a secondary slot") }
                try model(for: secondary).load(images.new, at: secondary.address)
                let area = board.slots.area(image: 0, slot: 1)!
                let layout = configuration.trailerLayouts(primary: board.slots.area(image: 0, slot: 0)!, secondary: area).secondary!
                do {
                    try layout.setNext(area, image: 0, active: false, confirm: scenario == .permanent)
                } catch {
                    throw SimulationError("marking the secondary: \(error)")
                }
                if scenario == .revert || scenario == .confirm {
                    // The test swap happened: v2 runs unconfirmed, v1 waits in the secondary.
                    guard case .boot(let version) = bootOnce(), version == PowerCutSweep.new else {
                        throw SimulationError("the test swap that the \(scenario.rawValue) scenario starts from failed")
                    }
                }
            }
            // The sectors each device may have touched: image 0's slots and the scratch.
            allowed = []
            for slot in [primary, secondary, board.layout.partition(named: "mcuboot_scratch")].compactMap({ $0 }) {
                let device = model(for: slot)
                allowed.append((device, (slot.address / device.eraseSize)..<((slot.address + slot.size) / device.eraseSize)))
            }
        }

        struct Checkpoint {
            var devices: [(NORFlashModel, NORFlashModel.Checkpoint)]
        }

        func checkpoint() -> Checkpoint {
            Checkpoint(devices: board.devices.values.map { ($0, $0.checkpoint()) })
        }

        func rollBack(to checkpoint: Checkpoint) {
            for (device, saved) in checkpoint.devices { device.rollBack(to: saved) }
            board.reset()
        }

        /// The scenario's action, which the sweep cuts: the boot it ends with, nil when it stopped
        /// before that boot.
        func act(_ scenario: Scenario, images: Images) -> BootOutcome? {
            switch scenario {
            case .swapTest, .permanent, .revert, .overwrite:
                return bootOnce()
            case .confirm:
                let area = board.slots.area(image: 0, slot: 0)!
                let layout = configuration.trailerLayouts(primary: area, secondary: board.slots.area(image: 0, slot: 1)).primary
                do throws(SetNextError) {
                    try layout.setNext(area, image: 0, active: true, confirm: true)
                } catch {
                    return nil
                }
                board.reset()
                return bootOnce()
            case .recoveryUpload:
                let transport = LoopbackTransport(board: board, baud: nil)
                let client = SMPClient(transport: transport)
                client.timeout = 0
                do {
                    _ = try client.upload(images.new)
                } catch {
                    return nil
                }
                board.reset()
                return bootOnce()
            case .applicationUpload:
                let transport = LoopbackTransport(board: board, baud: nil)
                transport.console.startApplication()
                let client = SMPClient(transport: transport)
                client.timeout = 0
                do {
                    _ = try client.upload(images.new)
                    guard let hash = try client.imageStates().first(where: { $0.slot == 1 })?.hash else { return nil }
                    try client.stateWrite(hash: hash)
                    try client.reset()
                } catch {
                    return nil
                }
                return transport.console.lastBoot
            }
        }

        func bootOnce() -> BootOutcome {
            Bootloader(slots: board.slots, configuration: configuration).boot(BootInputs())
        }

        /// The boot after power is back: no cut.
        func finalBoot() -> BootOutcome {
            board.reset()
            return bootOnce()
        }

        func classify(_ outcome: BootOutcome, images: Images) -> Outcome {
            for device in board.devices.values {
                for sector in device.sectorsTouchedSinceCheckpoint
                where !allowed.contains(where: { $0.0 === device && $0.1.contains(sector) }) {
                    lastFinding = "sector \(sector) (0x\(String(sector * device.eraseSize, radix: 16))) outside the slots was written or erased"
                    return .bricked
                }
            }
            switch outcome {
            case .boot(let version):
                let expected = version == PowerCutSweep.new ? images.new : images.old
                guard version == PowerCutSweep.new || version == PowerCutSweep.old,
                      model(for: primary).bytes(in: primary.address..<(primary.address + expected.count)) == expected else {
                    lastFinding = "booted \(version.text), whose bytes are not the image's"
                    return .bricked
                }
                return version == PowerCutSweep.new ? .bootedNew : .bootedOld
            case .recovery:
                return .recovery
            case .halted(let error):
                lastFinding = "halted with \(error) on a clean boot"
                return .bricked
            }
        }
    }
}

extension PowerCutSweep.Report {
    /// One JSON object: `points`, `bricked`, `outcomes`, `points_per_second` and the run's set-up.
    public var json: String {
        let outcomesJSON = PowerCutSweep.Outcome.allCases.map { "\"\($0.rawValue)\": \(outcomes[$0] ?? 0)" }.joined(separator: ", ")
        return """
            {"scenario": "\(scenario.rawValue)", "layout": "\(layout)", "strategy": "\(strategy.name)", \
            "points": \(points), "bricked": \(bricked), "outcomes": {\(outcomesJSON)}, \
            "points_per_second": \(String(format: "%.1f", pointsPerSecond)), "seconds": \(String(format: "%.3f", seconds)), \
            "image_bytes": \(imageBytes), "clean_outcome": "\(cleanOutcome.rawValue)"}
            """
    }
}
