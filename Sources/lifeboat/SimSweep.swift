import ArgumentParser
import Bootloader
import Foundation
import LifeboatHost

extension UpgradeStrategy: ExpressibleByArgument {
    public init?(argument: String) {
        guard let match = Self.allCases.first(where: { "\($0.name)" == argument }) else { return nil }
        self = match
    }
    public static var allValueStrings: [String] { allCases.map { "\($0.name)" } }
    public var defaultValueDescription: String { "\(name)" }
}

extension PowerCutSweep.Scenario: ExpressibleByArgument {}

extension Sim {
    struct Sweep: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cut the power at every flash operation of a scenario and check the board always comes back.",
            discussion: """
                MCUboot's power-cut method, with torn writes: the scenario runs once clean to \
                count its flash operations; then, for each operation, the flash is put back in \
                the state it had just before it, the power is cut during that operation (a write \
                keeps half its units, an erase half of each sector), power comes back and a fresh \
                boot stage runs. The state before an operation is reached by replaying the clean \
                run's recorded operations (what the scenario's code does before a cut cannot \
                depend on the cut). Points are shared by --workers threads, each with its own \
                simulated board. Each \
                point ends as booted old, booted new, recovery (the boot stage stays in serial \
                recovery, which is still reachable), or bricked: no image boots and recovery is not \
                entered, the booted image is not byte for byte the one written, or flash outside \
                the slots (and the scratch) was written or erased. Runs on the strict NOR models (`.models` backend), all devices \
                on one power rail. Exit 1 if any point is bricked. Scenarios: \
                \(PowerCutSweep.Scenario.allCases.map { "\($0.rawValue) (\($0.summary))" }.joined(separator: "; ")).
                Use -c release for speed.
                """)

        @Option(help: "What to cut.")
        var scenario: PowerCutSweep.Scenario = .swapTest

        @Option(help: "Board descriptor name.")
        var board = "nrf52840dk"

        @Option(help: "Layout name or file (default: the board's name).")
        var layout: String?

        @Option(help: "Upgrade strategy of the boot stage: swap-move, swap-scratch (needs a layout with mcuboot_scratch) or overwrite; the overwrite scenario always uses overwrite.")
        var strategy: UpgradeStrategy = .swapUsingMove

        @Option(help: "Size of the new image in bytes (default: the largest the strategy can swap in the primary slot).")
        var size: Int?

        @Option(help: "Also cut the boot that recovers from each cut, at every N-th of its operations (slow: points × operations / N).")
        var secondCut: Int?

        @Option(help: "Threads sharing the points, each with its own simulated board (default: one per core).")
        var workers: Int?

        @Option(help: "SHA-256 engine of the boot stage: host (the CPU's SHA instructions when it has them) or portable (the firmware's Swift rounds). Outcomes do not depend on it.")
        var sha256: SHA256Choice = .host

        enum SHA256Choice: String, ExpressibleByArgument, CaseIterable { case host, portable }

        @Flag(help: "Print one JSON object: points, bricked, outcomes, points_per_second, seconds, image_bytes, workers, sha256, scenario, layout, strategy.")
        var json = false

        func run() throws {
            let (boardDescription, layoutDescription) = try loadPair(board: board, layout: layout ?? board)
            var sweep = PowerCutSweep(board: boardDescription, layout: layoutDescription, scenario: scenario, strategy: strategy)
            sweep.imageSize = size
            sweep.secondCutStride = secondCut
            if let workers {
                guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
                sweep.workers = workers
            }
            sweep.sha256 = sha256 == .host ? HostSHA256.engine : .portable
            if !json {
                print("sweep: \(scenario.rawValue) (\(scenario.summary)) on \(boardDescription.summary), layout \(layoutDescription.name), strategy \(sweep.strategy.name)")
            }
            let report: PowerCutSweep.Report
            do {
                var last = Date()
                report = try sweep.run { done, total in
                    guard !json, Date().timeIntervalSince(last) > 1 || done == total else { return }
                    last = Date()
                    FileHandle.standardError.write(Data("lifeboat: \(done)/\(total) points\n".utf8))
                }
            } catch {
                throw CLIError("\(error)")
            }
            if json {
                print(report.json)
            } else {
                print("image: \(report.imageBytes) bytes; clean run: \(report.points) flash operations, \(report.cleanOutcome.rawValue)")
                print("points: \(report.points)" + (secondCut != nil ? " (plus second cuts)" : ""))
                for outcome in PowerCutSweep.Outcome.allCases {
                    print("  \(outcome.rawValue):".padding(toLength: 14, withPad: " ", startingAt: 0) + "\(report.outcomes[outcome] ?? 0)")
                }
                for failure in report.failures { print("  ✗ \(failure)") }
                print(String(format: "%.0f points per second (%.2f s, %d worker%@, SHA-256: %@)", report.pointsPerSecond, report.seconds,
                             report.workers, report.workers == 1 ? "" : "s", report.sha256))
            }
            if report.bricked > 0 { throw ExitCode(1) }
        }
    }
}
