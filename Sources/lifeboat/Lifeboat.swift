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
        subcommands: [Sim.self, Demo.self, Image.self, Keys.self, Layout.self, Bench.self]
    )
}
