import ArgumentParser

@main
struct Lifeboat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lifeboat",
        abstract: "MCUboot-compatible serial recovery in Swift: simulator, demo and host tools.",
        discussion: """
            Boards are read from Boards/<name>/board.yml and layouts from Layouts/<name>.yml \
            (nRF Connect SDK pm_static.yml form), found from the working directory upwards or \
            from $LIFEBOAT_ROOT.
            """,
        subcommands: [Sim.self, Demo.self, Device.self, Flash.self, Image.self, Keys.self, Layout.self, Bench.self]
    )

    static func main() {
        main(helpRequestRouted(Array(CommandLine.arguments.dropFirst())))
    }

    /// `lifeboat device upload --help` would print `device`'s help, not `upload`'s: ArgumentParser
    /// stops at the parent when both levels declare the link options (so they may come before
    /// the subcommand). Such a request becomes `lifeboat help device upload`, which prints the
    /// subcommand's help.
    static func helpRequestRouted(_ arguments: [String]) -> [String] {
        guard arguments.first == "device", arguments.contains("--help") || arguments.contains("-h") else { return arguments }
        let names = Device.configuration.subcommands.compactMap { $0.configuration.commandName }
        guard let subcommand = arguments.dropFirst().first(where: names.contains) else { return arguments }
        return ["help", "device", subcommand]
    }
}

/// A failure to report as `Error: …` and exit 1 (ArgumentParser's ValidationError would also
/// print the usage, which is noise when the arguments were fine and a file was not).
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
