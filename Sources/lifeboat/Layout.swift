import ArgumentParser
import Foundation
import LifeboatHost
import Simulation

struct Layout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check and draw partition layouts (nRF Connect SDK pm_static.yml form).",
        subcommands: [Check.self, Show.self, Firmware.self]
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

extension Layout {
    struct Firmware: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate the firmware's board constants and linker memory maps from a board and a layout.",
            discussion: """
                Writes BoardConfig.swift and boot.ld into DIR/Sources/Boards/<board>/, and app.ld                 into DIR/Sources/SampleApps/<board>/ (DIR: the Firmware package). Without --write,                 prints them. The generated files are checked in; tools/gen-firmware-config                 rewrites them, and a test fails when they drift from Boards/ and Layouts/.
                """)

        @Argument(help: "Layout name (Layouts/<name>.yml) or file (default: the board's name).")
        var layout: String?

        @Option(help: "Board descriptor name.")
        var board: String = "nrf52840dk"

        @Option(help: "The Firmware package folder to write into.")
        var write: String?

        func run() throws {
            let (boardDescription, layoutDescription) = try loadPair(board: board, layout: layout ?? board)
            let config: FirmwareConfig
            do {
                config = try FirmwareConfig(board: boardDescription, layout: layoutDescription)
            } catch {
                throw CLIError("\(error)")
            }
            let files = [
                ("Sources/Boards/\(board)/BoardConfig.swift", config.swiftConstants),
                ("Sources/Boards/\(board)/boot.ld", config.bootLinkerScript),
                ("Sources/SampleApps/\(board)/app.ld", config.appLinkerScript),
            ]
            for (path, text) in files {
                if let write {
                    let url = URL(fileURLWithPath: write).appendingPathComponent(path)
                    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try text.write(to: url, atomically: true, encoding: .utf8)
                    print("wrote \(url.path)")
                } else {
                    print("==> \(path)\n\(text)")
                }
            }
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
