import ArgumentParser
import Foundation
import LifeboatHost

extension Bench {
    struct Soak: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Uploads back to back against the simulated board in this process and reports the resident set size.",
            discussion: """
                The simulator is meant to run for days; this checks that it stays flat in memory. \
                Each upload goes the way it goes under `lifeboat sim`: SMP client, console framing, \
                the board's serial console, the recovery server, the real NVMC driver over its \
                register model. Uploads alternate between two full-slot images, and each is checked \
                byte for byte in the primary slot. The first upload warms up buffers; the figure \
                that matters is the growth after it (goal: under 5 MB over 200 uploads). Prints RSS \
                per upload; --json prints one object instead. Exit 1 if an upload did not verify. \
                Use -c release for speed (a debug build is several times slower).
                """)

        @Option(help: "Number of uploads.")
        var uploads = 200

        @Option(help: "Board descriptor name.")
        var board = "nrf52840dk"

        @Option(help: "Layout name or file (default: the board's name).")
        var layout: String?

        @Option(help: "Image size in bytes (default: as large as the primary slot allows).")
        var size: Int?

        @Flag(help: "Print one JSON object: uploads, rss_start_bytes, rss_after_warmup_bytes, rss_end_bytes, growth_after_warmup_bytes, image_bytes, seconds, all_verified, samples.")
        var json = false

        func validate() throws {
            guard uploads >= 1 else { throw ValidationError("--uploads must be at least 1") }
        }

        func run() throws {
            let (boardDescription, layoutDescription) = try loadPair(board: board, layout: layout ?? board)
            var soak = SoakBenchmark(board: boardDescription, layout: layoutDescription, uploads: uploads)
            soak.imageSize = size
            let mb = { (bytes: Int) in String(format: "%.1f MB", Double(bytes) / 1_000_000) }
            if !json {
                print("soak: \(uploads) uploads on the simulated \(boardDescription.summary), layout \(layoutDescription.name)")
                print("upload       RSS   elapsed")
            }
            let result: SoakBenchmark.Result
            do {
                result = try soak.run { sample in
                    guard !json else { return }
                    print(String(format: "%6d", sample.upload) + mb(sample.rssBytes).leftPad(10) + String(format: "%8.1f s", sample.seconds))
                }
            } catch {
                throw CLIError("\(error)")
            }
            if json {
                let object: [String: Any] = [
                    "uploads": result.uploads, "image_bytes": result.imageBytes,
                    "rss_start_bytes": result.rssStart, "rss_after_warmup_bytes": result.rssAfterWarmUp,
                    "rss_end_bytes": result.rssEnd, "growth_after_warmup_bytes": result.growthAfterWarmUp,
                    "seconds": result.seconds, "all_verified": result.allVerified,
                    "samples": result.samples.map { ["upload": $0.upload, "rss_bytes": $0.rssBytes] },
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("image: \(result.imageBytes) bytes; \(result.uploads) uploads in " + String(format: "%.1f s", result.seconds)
                      + "; every upload verified: \(result.allVerified ? "yes" : "NO")")
                print("RSS: start \(mb(result.rssStart)), after the first upload \(mb(result.rssAfterWarmUp)), end \(mb(result.rssEnd)); "
                      + "growth after warm-up \(mb(result.growthAfterWarmUp)) (goal < 5 MB: \(result.growthAfterWarmUp < 5_000_000 ? "met" : "NOT met"))")
            }
            if !result.allVerified { throw ExitCode.failure }
        }
    }
}
