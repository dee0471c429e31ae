import ArgumentParser

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a complete recovery on the simulated nRF52840 DK and print the transcript.")
    func run() throws {}
}
