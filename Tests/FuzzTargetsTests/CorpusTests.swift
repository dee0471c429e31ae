import Foundation
import FuzzTargets
import Testing

/// Every seed (Fuzz/Corpus/TARGET) and every input a fuzzing run found (Fuzz/Crashes/TARGET) goes
/// through its target here on every `swift test`: a fixed bug stays fixed, and a target whose
/// invariants its own seeds break is caught before anyone fuzzes with it.
@Suite struct CorpusTests {
    static let fuzzRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    struct Input: Sendable, CustomTestStringConvertible {
        var target: FuzzTarget
        var path: String
        var testDescription: String { "\(target.rawValue): \(path)" }
    }

    static func inputs(_ folder: String) -> [Input] {
        FuzzTarget.allCases.flatMap { target -> [Input] in
            let dir = fuzzRoot.appendingPathComponent(folder).appendingPathComponent(target.rawValue)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            return names.sorted().map { Input(target: target, path: "\(folder)/\(target.rawValue)/\($0)") }
        }
    }

    static let seeds = inputs("Corpus")
    static let crashes = inputs("Crashes")

    /// Each target has seeds (the captures and images `Fuzz/capture-seeds` and imgtool made).
    @Test(arguments: FuzzTarget.allCases)
    func everyTargetHasSeeds(target: FuzzTarget) {
        #expect(Self.seeds.filter { $0.target == target }.count >= 4, "\(target.rawValue) has too few seeds")
    }

    @Test(arguments: seeds)
    func seedKeepsItsInvariants(input: Input) throws {
        let data = try Data(contentsOf: Self.fuzzRoot.appendingPathComponent(input.path))
        #expect(input.target.run(Array(data)) == [])
    }

    @Test(arguments: crashes)
    func foundInputStaysFixed(input: Input) throws {
        let data = try Data(contentsOf: Self.fuzzRoot.appendingPathComponent(input.path))
        #expect(input.target.run(Array(data)) == [])
    }
}
