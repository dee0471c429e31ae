import Bootloader
import LifeboatHost
import Simulation
import Testing

/// The power-cut sweeps of `lifeboat sim sweep`, scenario by scenario, on the boards' layouts
/// (the QSPI layouts put the secondary on the external MX25R64 model, on the same power rail as
/// the internal flash). Images of ~40 KB keep the debug build quick; `lifeboat sim sweep` without
/// `--size` runs the full-slot swap.
@Suite struct PowerCutSweepTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var board: String
        var layout: String
        var scenario: PowerCutSweep.Scenario
        var strategy: UpgradeStrategy
        var testDescription: String { "\(scenario.rawValue) on \(layout), \(strategy.name)" }
    }

    static let layouts: [(String, String, UpgradeStrategy)] = [
        ("nrf52840dk", "nrf52840dk", .swapUsingMove), ("nrf52840dk", "nrf52840dk_qspi", .swapUsingMove),
        ("nrf5340dk", "nrf5340dk_external", .swapUsingMove), ("nrf52840dk", "nrf52840dk_scratch", .swapUsingScratch),
    ]
    static let cases = layouts.flatMap { board, layout, strategy in
        PowerCutSweep.Scenario.allCases.map { Case(board: board, layout: layout, scenario: $0, strategy: strategy) }
    }

    /// What every point may end in: the image the scenario leaves, or the one it started from
    /// when the cut came before the request was recorded (a confirm's single write), or recovery
    /// while the primary is being rewritten by an upload. Never bricked.
    static func allowed(_ scenario: PowerCutSweep.Scenario) -> Set<PowerCutSweep.Outcome> {
        switch scenario {
        case .swapTest, .permanent, .overwrite: [.bootedNew]
        case .revert: [.bootedOld]
        case .confirm: [.bootedNew, .bootedOld]
        case .recoveryUpload: [.recovery, .bootedNew]
        case .applicationUpload, .meshUpdate: [.bootedOld, .bootedNew]
        }
    }

    @Test(arguments: cases)
    func noPointIsBricked(_ c: Case) throws {
        let loader = DescriptorLoader(root: packageRoot)
        var sweep = PowerCutSweep(board: try loader.loadBoard(c.board), layout: try loader.loadLayout(c.layout), scenario: c.scenario, strategy: c.strategy)
        sweep.imageSize = 40_000
        let report = try sweep.run()
        #expect(report.points > (c.scenario == .confirm ? 0 : 50), "a real scenario: \(report.points) operations")
        #expect(report.bricked == 0, "\(report.failures.joined(separator: "; "))")
        #expect(report.outcomes.values.reduce(0, +) == report.points)
        let seen = Set(report.outcomes.filter { $0.value > 0 }.keys)
        #expect(seen.isSubset(of: Self.allowed(c.scenario)), "outcomes \(report.outcomes)")
        #expect(Self.allowed(c.scenario).contains(report.cleanOutcome))
    }

    /// A second cut during each recovering boot, on the external-flash layout.
    @Test func secondCutDuringTheRecovery() throws {
        let loader = DescriptorLoader(root: packageRoot)
        var sweep = PowerCutSweep(board: try loader.loadBoard("nrf5340dk"), layout: try loader.loadLayout("nrf5340dk_external"), scenario: .revert)
        sweep.imageSize = 12_000
        sweep.secondCutStride = 5
        let report = try sweep.run()
        #expect(report.bricked == 0, "\(report.failures.joined(separator: "; "))")
        #expect(report.outcomes.values.reduce(0, +) > report.points * 2, "second cuts were made")
        #expect(Set(report.outcomes.filter { $0.value > 0 }.keys) == [.bootedOld])
    }

    @Test func jsonCarriesTheFields() throws {
        let loader = DescriptorLoader(root: packageRoot)
        var sweep = PowerCutSweep(board: try loader.loadBoard("nrf52840dk"), layout: try loader.loadLayout("nrf52840dk"), scenario: .overwrite)
        sweep.imageSize = 9_000
        let report = try sweep.run()
        let json = report.json
        for key in ["\"points\": \(report.points)", "\"bricked\": 0", "\"outcomes\": {", "\"points_per_second\": ", "\"strategy\": \"overwrite\""] {
            #expect(json.contains(key), "\(key) in \(json)")
        }
    }

    /// The sweep reaches each point by replaying the clean run's operations: at sampled points of
    /// every scenario (uploads over SMP included), the flash equals the one MCUboot's method gives
    /// by running the scenario again with the power cut there.
    @Test(arguments: [("nrf52840dk", "nrf52840dk_qspi", UpgradeStrategy.swapUsingMove), ("nrf52840dk", "nrf52840dk_scratch", .swapUsingScratch)])
    func replayEqualsARerun(board: String, layout: String, strategy: UpgradeStrategy) throws {
        let loader = DescriptorLoader(root: packageRoot)
        for scenario in PowerCutSweep.Scenario.allCases {
            var sweep = PowerCutSweep(board: try loader.loadBoard(board), layout: try loader.loadLayout(layout), scenario: scenario, strategy: strategy)
            sweep.imageSize = 12_000
            sweep.workers = 1
            let points = try sweep.run().points
            let sample = Array(Swift.stride(from: 0, to: points, by: max(1, points / 12))) + [points - 1]
            #expect(try sweep.pointsWhereReplayDiffers(sample) == [], "\(scenario.rawValue): \(points) points")
        }
    }

    /// Points shared by two boards on two threads end exactly as on one.
    @Test func workersDoNotChangeTheOutcomes() throws {
        let loader = DescriptorLoader(root: packageRoot)
        var sweep = PowerCutSweep(board: try loader.loadBoard("nrf52840dk"), layout: try loader.loadLayout("nrf52840dk"), scenario: .applicationUpload)
        sweep.imageSize = 20_000
        sweep.workers = 1
        let one = try sweep.run()
        sweep.workers = 2
        let two = try sweep.run()
        #expect(two.workers == 2)
        #expect(one.points == two.points)
        #expect(one.outcomes == two.outcomes)
        #expect(Set(one.outcomes.filter { $0.value > 0 }.keys) == [.bootedOld, .bootedNew], "cuts before the test mark boot v1, after it v2")
    }

    /// The sweep's default SHA-256 engine and the firmware's portable one lead to the same outcomes.
    @Test func shaEngineDoesNotChangeTheOutcomes() throws {
        let loader = DescriptorLoader(root: packageRoot)
        var sweep = PowerCutSweep(board: try loader.loadBoard("nrf52840dk"), layout: try loader.loadLayout("nrf52840dk"), scenario: .revert)
        sweep.imageSize = 16_000
        let host = try sweep.run()
        sweep.sha256 = .portable
        let portable = try sweep.run()
        #expect(portable.sha256 == "portable")
        #expect(host.outcomes == portable.outcomes)
        #expect(host.points == portable.points)
    }
}

