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
}

/// A failure to report as `Error: …` and exit 1 (ArgumentParser's ValidationError would also
/// print the usage, which is noise when the arguments were fine and a file was not).
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
