import BootCrypto
import Bootloader
import DFUTarget
import FlashKit
import Foundation
import MCUbootImage
import Recovery
import Simulation
import Synchronization

/// MCUboot's power-cut method (mcuboot-serial-recovery.md §7.2), with torn writes: run a scenario
/// once clean and count its flash operations; then, for every operation index, start again from
/// the same flash, cut the power at that operation (the NOR model's torn state), power up, let a
/// fresh boot stage finish, and classify what the board does.
///
/// The clean run's operations are recorded with their data, and point k is reached by replaying
/// them rather than by running the scenario again: the code under test cannot know a cut is
/// coming, so up to the cut its flash is the clean run's (``pointsWhereReplayDiffers(_:)`` checks
/// this against a real re-run). Each point then costs only the boot after the cut.
///
/// The board is a ``Simulation/SimulatedBoard`` on the `.models` backend, all its devices on one
/// ``Simulation/PowerRail`` (a cut stops the internal and the external flash together), rolled
/// back between points with ``Simulation/NORFlashModel/rollBack(to:)`` (copy-on-write checkpoints).
public struct PowerCutSweep: Sendable {
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
        /// A Mesh DFU Distributor sends v2 to the board's Mesh DFU Target (BLOB into the
        /// secondary, verify, Apply marks it for test), then the board resets; the boot swaps it in.
        case meshUpdate = "mesh-update"

        public var summary: String {
            switch self {
            case .swapTest: "boot swaps in a test image (v1 → v2)"
            case .permanent: "boot swaps in a permanent image (v1 → v2)"
            case .revert: "boot reverts an unconfirmed test image (v2 → v1)"
            case .confirm: "the application confirms the test image, then the board resets"
            case .overwrite: "overwrite-only upgrade (v1 → v2)"
            case .recoveryUpload: "serial recovery uploads v2 into the primary slot, then the board resets"
            case .applicationUpload: "the application uploads v2 into the free slot, marks it for test, resets"
            case .meshUpdate: "a Mesh DFU Distributor sends v2 into the secondary slot, applies it (test), the board resets"
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
        /// Threads that shared the points.
        public var workers: Int
        /// The boot stage's SHA-256 engine (``HostSHA256/name(of:)``).
        public var sha256: String
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
    /// How the boot stage hashes images: the host's fastest engine by default (the boot after
    /// every cut validates a whole image); ``BootCrypto/SHA256/Engine/portable`` to sweep with
    /// the firmware's own rounds. The outcomes do not depend on it.
    public var sha256: SHA256.Engine = HostSHA256.engine
    /// Threads (each with its own simulated board) that share the points; default: one per core.
    public var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    public init(board: BoardDescription, layout: PartitionLayout, scenario: Scenario, strategy: UpgradeStrategy = .swapUsingMove) {
        self.board = board
        self.layout = layout
        self.scenario = scenario
        self.strategy = scenario == .overwrite ? .overwriteOnly : strategy
    }

    static let old = ImageVersion(major: 1, minor: 0, revision: 0)
    static let new = ImageVersion(major: 2, minor: 0, revision: 0)

    /// Runs the sweep; `progress` gets (points done, points) now and then, on the calling thread.
    ///
    /// With ``workers`` above 1 the points are split into that many contiguous runs, each on its
    /// own board (its own flash, its own clean run, checked to record the same operations) on its
    /// own thread; a worker reaches its first point by replaying the operations before it.
    public func run(progress: (Int, Int) -> Void = { _, _ in }) throws -> Report {
        if strategy == .swapUsingScratch && layout.partition(named: "mcuboot_scratch") == nil {
            throw SimulationError("strategy swap-scratch needs a layout with an mcuboot_scratch partition (e.g. nrf52840dk_scratch); \(layout.name) has none")
        }
        let first = try Worker(self)
        let points = first.journal.count
        let count = max(1, min(workers, points / 64))
        let bounds = (0...count).map { points * $0 / count }
        let done = Atomic<Int>(0)
        let results = Mutex<[Int: Result<Worker.Tally, Error>]>([:])
        let sweep = self
        var threads: [Thread] = []
        for index in 1..<count {
            let range = bounds[index]..<bounds[index + 1]
            let thread = Thread {
                let result = Result { () throws -> Worker.Tally in
                    let worker = try Worker(sweep)
                    guard worker.journal.count == points else {
                        throw SimulationError("a second board recorded \(worker.journal.count) operations for the clean run, the first \(points): the scenario is not deterministic")
                    }
                    return try worker.sweep(range) { _ in done.add(1, ordering: .relaxed) }
                }
                results.withLock { $0[index] = result }
            }
            thread.stackSize = 8 << 20
            threads.append(thread)
            thread.start()
        }
        let began = Date()
        var tally = try first.sweep(0..<bounds[1]) { point in
            let total = done.add(1, ordering: .relaxed).newValue
            if point % 64 == 0 { progress(total, points) }
        }
        // The first run may end before the others: wait for them, still reporting.
        while results.withLock({ $0.count }) < count - 1 {
            progress(done.load(ordering: .relaxed), points)
            Thread.sleep(forTimeInterval: 0.05)
        }
        let seconds = Date().timeIntervalSince(began)
        for index in 1..<count {
            let other = try results.withLock { $0[index]! }.get()
            for (outcome, n) in other.outcomes { tally.outcomes[outcome, default: 0] += n }
            tally.failures += other.failures.prefix(max(0, 20 - tally.failures.count))
        }
        progress(points, points)
        return Report(
            scenario: scenario, layout: layout.name, strategy: strategy, points: points, outcomes: tally.outcomes,
            cleanOutcome: first.clean, failures: tally.failures, seconds: seconds, imageBytes: first.images.new.count,
            workers: count, sha256: HostSHA256.name(of: sha256))
    }

    /// One board's share of a sweep: the clean run recorded on its own flash, then its points.
    final class Worker {
        let rig: Rig
        let images: Rig.Images
        let base: Rig.Checkpoint
        let journal: [PowerRail.Operation]
        let clean: Outcome
        let secondCutStride: Int?
        let scenario: Scenario
        /// Operations of the journal replayed onto `base` so far.
        var position = 0

        struct Tally {
            var outcomes: [Outcome: Int] = [:]
            var failures: [String] = []
        }

        init(_ sweep: PowerCutSweep) throws {
            scenario = sweep.scenario
            secondCutStride = sweep.secondCutStride
            let rig = try Rig(board: sweep.board, layout: sweep.layout, strategy: sweep.strategy, sha256: sweep.sha256)
            let images = try rig.images(newSize: sweep.imageSize)
            try rig.prepare(scenario, images: images)
            self.rig = rig
            self.images = images
            base = rig.checkpoint()
            // The clean run: its operations (one point each), recorded, and where it ends.
            rig.rail.startRecording()
            let cleanAction = rig.act(scenario, images: images)
            journal = rig.rail.stopRecording()
            clean = cleanAction.map { rig.classify($0, images: images) } ?? .bricked  // lastFinding says why when nil
            guard clean != .bricked, !journal.isEmpty else {
                throw SimulationError("the clean \(scenario.rawValue) run did not complete (\(journal.count) operations, \(clean.rawValue)\(clean == .bricked ? ": " + rig.lastFinding : ""))")
            }
            rig.rollBack(to: base)
        }

        /// Point k: the flash holds the clean run's first k operations (`base`, advanced one
        /// operation per point), operation k torn; then the boot that power-up runs.
        func sweep(_ points: Range<Int>, pointDone: (Int) -> Void) throws -> Tally {
            precondition(points.lowerBound >= position, "a worker's points only move forward")
            while position < points.lowerBound {
                try rig.replay(journal[position], tearing: false, point: position)
                rig.advance(base)
                position += 1
            }
            var tally = Tally()
            for point in points {
                let operation = journal[point]
                try rig.replay(operation, tearing: true, point: point)
                var seconds = [Outcome]()
                if let stride = secondCutStride {
                    seconds = try rig.secondCuts(every: max(stride, 1), images: images)
                }
                let outcome = rig.classify(rig.finalBoot(), images: images)
                for o in seconds + [outcome] {
                    tally.outcomes[o, default: 0] += 1
                    if o == .bricked && tally.failures.count < 20 {
                        tally.failures.append("cut at operation \(point) of \(journal.count)\(seconds.isEmpty ? "" : " (or during its recovery)"): \(rig.lastFinding)")
                    }
                }
                rig.rollBack(to: base)
                try rig.replay(operation, tearing: false, point: point)
                rig.advance(base)
                position = point + 1
                pointDone(point)
            }
            return tally
        }
    }

    /// Checks the sweep's replay against MCUboot's method at the given points: for each, the flash
    /// after running the scenario again with the power cut at that operation, and the flash after
    /// replaying the clean run's operations up to it (the last one torn). Returns the points where
    /// any device differs (empty: the replay is exact there).
    public func pointsWhereReplayDiffers(_ points: [Int]) throws -> [Int] {
        // The same set-up and recorded clean run as a sweep's.
        let worker = try Worker(self)
        let (rig, images, base, journal) = (worker.rig, worker.images, worker.base, worker.journal)
        var differing: [Int] = []
        for point in points where point < journal.count {
            rig.rollBack(to: base)
            rig.rail.scheduleCut(afterOperations: point)
            _ = rig.act(scenario, images: images)
            rig.rail.cancelCut()
            rig.rail.restore()
            let rerun = rig.board.devices.mapValues { $0.snapshot() }
            rig.rollBack(to: base)
            for (index, operation) in journal[0...point].enumerated() {
                try rig.replay(operation, tearing: index == point, point: index)
            }
            if rig.board.devices.mapValues({ $0.snapshot() }) != rerun { differing.append(point) }
        }
        return differing
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

        init(board description: BoardDescription, layout: PartitionLayout, strategy: UpgradeStrategy, sha256: SHA256.Engine) throws {
            board = try SimulatedBoard(board: description, layout: layout, configuration: RecoveryConfiguration(policy: .primaryOnly), backend: .models)
            var configuration = BootConfiguration(strategy: strategy)
            configuration.imagePolicy = board.bootConfiguration.imagePolicy
            configuration.imagePolicy.sha256 = sha256
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
                let body = applicationBytes(count: bodySize, seed: seed)
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
            case .recoveryUpload, .applicationUpload, .meshUpdate:
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

        /// Back to `checkpoint` (later checkpoints are released), and the board's RAM state reset.
        func rollBack(to checkpoint: Checkpoint) {
            for (device, saved) in checkpoint.devices { device.rollBack(to: saved) }
            board.reset()
        }

        func advance(_ checkpoint: Checkpoint) {
            for (device, saved) in checkpoint.devices { device.advance(saved) }
        }

        /// Replays one recorded operation (torn: as the cut one, then the power comes back).
        func replay(_ operation: PowerRail.Operation, tearing: Bool, point: Int) throws {
            let error = rail.replay(operation, tearing: tearing)
            rail.restore()
            guard error == (tearing ? .powerCut : nil) else {
                throw SimulationError("replaying operation \(point) (\(operation.kind)) gave \(error.map { "\($0)" } ?? "no error"): the scenario is not deterministic")
            }
        }

        /// MCUboot's second cut: the boot that recovers from a cut is itself cut, at every
        /// `stride`-th of its operations; the outcome of the clean boot after each. The flash is
        /// left as it was.
        func secondCuts(every stride: Int, images: Images) throws -> [Outcome] {
            let mid = checkpoint()
            rail.startRecording()
            _ = bootOnce()
            let recovery = rail.stopRecording()
            rollBack(to: mid)
            let walk = checkpoint()
            var outcomes: [Outcome] = []
            for (index, operation) in recovery.enumerated() {
                if index % stride == 0 {
                    try replay(operation, tearing: true, point: index)
                    outcomes.append(classify(finalBoot(), images: images))
                    rollBack(to: walk)
                }
                try replay(operation, tearing: false, point: index)
                advance(walk)
            }
            rollBack(to: mid)
            for (device, saved) in mid.devices { device.release(saved) }
            return outcomes
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
            case .meshUpdate:
                let distributor = MeshDistributor(board: board)
                guard distributor.transferAndApply(images.new) else {
                    lastFinding = "the Mesh update did not reach Apply: \(distributor.phases.last.map { "\($0.name) \($0.status): \($0.detail)" } ?? "no step")"
                    return nil
                }
                board.reset()
                return bootOnce()
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
                      model(for: primary).holds(expected, at: primary.address) else {
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
            "image_bytes": \(imageBytes), "workers": \(workers), "sha256": "\(sha256)", "clean_outcome": "\(cleanOutcome.rawValue)"}
            """
    }
}
