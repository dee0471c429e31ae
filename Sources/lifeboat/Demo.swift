import ArgumentParser
import Foundation
import LifeboatHost

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a complete serial recovery on the simulated nRF52840 DK and print the transcript.",
        discussion: """
            In one process: builds a test image (SHA-256 TLV, version 1.2.3), then drives the \
            simulated board's recovery server with Lifeboat's SMP client over the console framing: \
            MCUmgr params, image state read, upload with progress, image state read, reset, and \
            the boot stage that the reset runs. Each step shows its wall time and what it would \
            take on the board (UART at the console baud, flash at datasheet timings). Exits 0 when \
            the primary slot holds the image byte for byte and the boot stage boots it.
            """
    )

    @Option(help: "Board descriptor name.")
    var board = "nrf52840dk"

    @Option(help: "Layout name or file (default: the board's name).")
    var layout: String?

    @Option(help: "Upload policy: primary-only or slot-mapping.")
    var policy: PolicyOption = .primaryOnly

    @Option(help: "Size of the generated application in bytes.")
    var size = 64 * 1024

    func run() throws {
        let (boardDescription, layoutDescription) = try loadPair(board: board, layout: layout ?? board)
        var demo = RecoveryDemo(board: boardDescription, layout: layoutDescription)
        demo.policy = policy.policy
        demo.applicationSize = size
        let result = try demo.run { print($0) }
        if !result.primaryMatches || result.statesAfter.isEmpty || result.boot != .boot(version: demo.version) { throw ExitCode.failure }
    }
}
