import ArgumentParser
import Foundation
import LifeboatHost
import Simulation

struct Layout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check and draw partition layouts (nRF Connect SDK pm_static.yml form).",
        subcommands: [Check.self, Show.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a layout against a board: exit 0 when it has no errors.",
            discussion: """
                Checks: every partition on a flash device of the board and inside it; no overlaps \
                (except Partition Manager spans); slots, scratch, bootloader and storage aligned to \
                their device's erase size; primary and secondary slots compatible in size; MCUboot's \
                trailer fits; the bootloader partition at 0 and big enough. Each problem is named \
                with its partition.
                """)

        @Argument(help: "Layout name (Layouts/<name>.yml) or file.")
        var layout: String

        @Option(help: "Board descriptor name.")
        var board: String = "nrf52840dk"

        func run() throws {
            let (boardDescription, layoutDescription) = try loadPair(board: board, layout: layout)
            let problems = LayoutChecker(board: boardDescription, layout: layoutDescription).check()
            for problem in problems { print(problem) }
            let errors = problems.filter { $0.severity == .error }.count
            let warnings = problems.count - errors
            print("\(layoutDescription.name) on \(boardDescription.name): \(errors == 0 ? "ok" : "\(errors) error(s)")" + (warnings > 0 ? ", \(warnings) warning(s)" : ""))
            if errors > 0 { throw ExitCode.failure }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Draw a layout's partitions per flash device.")

        @Argument(help: "Layout name (Layouts/<name>.yml) or file.")
        var layout: String

        @Option(help: "Board descriptor name (for device names and sizes).")
        var board: String = "nrf52840dk"

        func run() throws {
            let (boardDescription, layoutDescription) = try loadPair(board: board, layout: layout)
            print(LayoutChecker(board: boardDescription, layout: layoutDescription).render(), terminator: "")
        }
    }
}

func loadPair(board: String, layout: String) throws -> (Simulation.BoardDescription, Simulation.PartitionLayout) {
    guard let loader = DescriptorLoader.locate() else {
        throw CLIError("cannot find the Boards/ folder: run from the Lifeboat checkout or set LIFEBOAT_ROOT")
    }
    do {
        return (try loader.loadBoard(board), try loader.loadLayout(layout))
    } catch {
        throw CLIError(error.description)
    }
}
