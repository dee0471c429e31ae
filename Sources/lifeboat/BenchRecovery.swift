import ArgumentParser
import Foundation
import LifeboatHost
import SMP

extension Bench {
    struct Recovery: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A whole serial recovery on a simulated board, timed on the virtual clock: KiB/s beside the physical limit.",
            discussion: """
                Signs a --size-byte application for the layout's slot, then runs MCUmgr params, \
                the upload and an image state read through Lifeboat's client and the board's \
                recovery server, in the chosen framing. Each request costs its bytes on the link \
                (UART: 10 bits a byte at the baud; USB CDC-ACM: 1 ms frame latency per direction, \
                then 330 kB/s, Zephyr's measured ceiling), the board's flash work for it (the real \
                drivers on the peripheral models' datasheet timings), and its answer on the link, \
                one after the other. Not modelled yet: CPU time for base64/CRC/SHA, host turnaround, \
                and overlap of reception with flash work. The limit is the slower of the slot's \
                flash (a sector erased and written through the same model) and the link carrying \
                full-size upload requests in this framing.
                """)

        @Option(help: "Board descriptor name.") var board = "nrf52840dk"
        @Option(help: "Layout name or file (default: the board's).") var layout: String?
        @Option(help: "uart:BAUD (8N1) or usb (CDC-ACM).") var link = "uart:115200"
        @Option(help: "console, raw or cobs.") var framing: SerialFraming = .console
        @Option(help: "Application bytes before signing.") var size = 64 * 1024
        @Flag(help: "Upload into image 0's secondary slot (slot-mapping policy), e.g. on external flash.") var secondary = false
        @Flag(help: "Print one JSON object: kib_per_s, seconds, limit_kib_per_s, requests, wire_bytes, …") var json = false

        func validate() throws {
            guard BenchLink(parsing: link) != nil else { throw ValidationError("--link is uart:BAUD (e.g. uart:115200) or usb") }
            guard framing != .auto else { throw ValidationError("--framing is console, raw or cobs (auto is for servers)") }
            guard size > 0 else { throw ValidationError("--size must be at least 1 byte") }
        }

        func run() throws {
            let (boardDescription, partitionLayout) = try loadPair(board: board, layout: layout ?? board)
            var bench = RecoveryBench(
                board: boardDescription, layout: partitionLayout, link: BenchLink(parsing: link)!, framing: framing, applicationSize: size)
            bench.secondary = secondary
            let r: RecoveryBench.Result
            do { r = try bench.run() } catch { throw CLIError("\(error)") }
            if json {
                printJSON([
                    "board": .string(board), "layout": .string(partitionLayout.name), "link": .string(link),
                    "framing": .string(framing.rawValue), "slot": .string(secondary ? "secondary" : "primary"),
                    "kib_per_s": .number(r.kibPerSecond), "seconds": .number(r.seconds),
                    "limit_kib_per_s": .number(r.limitKiBPerSecond), "flash_limit_kib_per_s": .number(r.flashLimitKiBPerSecond),
                    "link_limit_kib_per_s": .number(r.linkLimitKiBPerSecond), "link_seconds": .number(r.linkSeconds),
                    "flash_seconds": .number(r.flashSeconds), "requests": .number(Double(r.requests)),
                    "upload_requests": .number(Double(r.uploadRequests)), "wire_bytes": .number(Double(r.wireBytes)),
                    "image_bytes": .number(Double(r.imageBytes)), "message_size": .number(Double(r.messageSize)),
                    "verified": .bool(r.verified),
                ])
            } else {
                print("\(boardDescription.summary), layout \(partitionLayout.name), \(secondary ? "secondary" : "primary") slot; \(BenchLink(parsing: link)!), \(framing.rawValue) framing")
                print("image: \(r.imageBytes) bytes in \(r.uploadRequests) upload requests of ≤ \(r.messageSize)-byte messages (\(r.requests) requests in all)")
                print(String(format: "time: %.2f s on the board = %.2f s on the link (%d bytes) + %.2f s of flash work",
                             r.seconds, r.linkSeconds, r.wireBytes, r.flashSeconds))
                print(String(format: "throughput: %.2f KiB/s; limit %.2f KiB/s (flash %.2f, link %.2f): %.0f %% of it",
                             r.kibPerSecond, r.limitKiBPerSecond, r.flashLimitKiBPerSecond, r.linkLimitKiBPerSecond,
                             100 * r.kibPerSecond / r.limitKiBPerSecond))
                print("check: the slot holds the image byte for byte: \(r.verified ? "yes" : "NO")")
            }
            if !r.verified { throw ExitCode(1) }
        }
    }
}
