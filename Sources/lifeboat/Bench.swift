import ArgumentParser
import Foundation
import LifeboatHost

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (build with -c release: `swift run -c release lifeboat bench crypto`).",
        subcommands: [Crypto.self, Soak.self, Recovery.self]
    )

    struct Crypto: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "SHA-256 throughput and signature verifications per second: Lifeboat's portable code beside swift-crypto.",
            discussion: """
                Both run in this process on the same inputs. The ratio is Lifeboat / swift-crypto \
                (BoringSSL on Linux). The project's goals: every verification at least 1/4 of \
                swift-crypto's rate, SHA-256 at least 300 MB/s. Debug builds are far slower: use \
                -c release for figures worth quoting.
                """)

        @Option(help: "Seconds of measurement per figure and implementation.")
        var seconds = 1.0

        func run() throws {
            #if DEBUG
            print("note: this is a debug build; run `swift run -c release lifeboat bench crypto` for real figures")
            #endif
            let rows = try CryptoBenchmark(seconds: seconds).run { FileHandle.standardError.write(Data("measuring \($0)…\n".utf8)) }
            print("benchmark".padding(toLength: 22, withPad: " ", startingAt: 0) + "unit".padding(toLength: 10, withPad: " ", startingAt: 0)
                  + "Lifeboat".leftPad(12) + "swift-crypto".leftPad(14) + "ratio".leftPad(8) + "  goal")
            for row in rows {
                let goal = !row.portable ? "host only (the sweep's engine)"
                    : row.unit == "MB/s" ? (row.lifeboat >= 300 ? "≥ 300 MB/s: met" : "≥ 300 MB/s: NOT met")
                                              : (row.ratio >= 0.25 ? "≥ 1/4: met" : "≥ 1/4: NOT met")
                print(row.name.padding(toLength: 22, withPad: " ", startingAt: 0) + row.unit.padding(toLength: 10, withPad: " ", startingAt: 0)
                      + String(format: "%.0f", row.lifeboat).leftPad(12) + String(format: "%.0f", row.swiftCrypto).leftPad(14)
                      + String(format: "%.2f", row.ratio).leftPad(8) + "  " + goal)
            }
        }
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
