import ArgumentParser
import Foundation
import LifeboatHost
import SMP

extension Bench {
    struct Recovery: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A whole serial recovery on a simulated board, timed on the virtual clock: KiB/s beside the physical limit.",
            discussion: """
                Signs a --size-byte application for the layout's slot (which holds an older image \
                of the same size unless --erased-slot), then runs MCUmgr params, the upload and \
                an image state read through the client and the board's recovery server, in the \
                chosen framing, on virtual time. Each request takes the uplink (UART: 10 bits a \
                byte at the baud; USB CDC-ACM: 330 kB/s, Zephyr's measured ceiling, plus a 1 ms \
                frame), a receive buffer of the board, the board (the real drivers' flash work on \
                the peripheral models' datasheet timings, and its CPU time for decoding and the \
                final hash from the boot stage's instruction counts at the board's cpu-clock-hz) \
                and the downlink for its answer. With \
                --receive-buffers 2 (Lifeboat's default: the UARTE's EasyDMA keeps receiving while \
                the NVMC stalls the CPU) the board reports buf_count 2 and Lifeboat's client keeps \
                two requests in flight, so the link carries the next request during the flash \
                work of the last. --client mcuboot-defaults models MCUboot's documented figures: \
                buf_count 1, whole-slot erase at off 0, and the mcumgr Go client (newtmgr's serial \
                transport): messages of mtu·3/4−13 bytes (--mcumgr-mtu, 512 by default), \
                124-character lines with a 20 ms sleep before each continuation line, one request \
                at a time. Not modelled: host turnaround. The limit is the slower of the \
                slot's flash (its largest erase unit, a 64 KiB block on external SPI NOR, erased \
                and written through the same model) and the uplink carrying full-size upload \
                requests in this framing.
                """)

        @Option(help: "Board descriptor name.") var board = "nrf52840dk"
        @Option(help: "Layout name or file (default: the board's).") var layout: String?
        @Option(help: "uart:BAUD (8N1) or usb (CDC-ACM).") var link = "uart:115200"
        @Option(help: "console, raw or cobs.") var framing: SerialFraming = .console
        @Option(help: "Application bytes before signing.") var size = 64 * 1024
        @Flag(help: "Upload into image 0's secondary slot (slot-mapping policy), e.g. on external flash.") var secondary = false
        @Option(help: "lifeboat (Lifeboat's client and server) or mcuboot-defaults (MCUboot's settings, mcumgr's client).")
        var client: BenchClient = .lifeboat
        @Option(help: "The board's receive buffers, reported as buf_count (default: 2 for lifeboat, 1 for mcuboot-defaults).")
        var receiveBuffers: Int?
        @Flag(help: "Start with the slot erased (a new board) instead of holding an older image.") var erasedSlot = false
        @Option(help: "With --client mcuboot-defaults: mcumgr's mtu=, 512 by default (messages of mtu·3/4−13 bytes; \(RecoveryBench.mcumgrMTUs.lowerBound)…\(RecoveryBench.mcumgrMTUs.upperBound)).")
        var mcumgrMTU: Int?
        @Flag(help: "Print one JSON object: kib_per_s, seconds, limit_kib_per_s, requests, wire_bytes, …") var json = false

        func validate() throws {
            guard BenchLink(parsing: link) != nil else { throw ValidationError("--link is uart:BAUD (e.g. uart:115200) or usb") }
            guard framing != .auto else { throw ValidationError("--framing is console, raw or cobs (auto is for servers)") }
            guard size > 0 else { throw ValidationError("--size must be at least 1 byte") }
            if let receiveBuffers, !(1...SMPClient.maxWindow).contains(receiveBuffers) {
                throw ValidationError("--receive-buffers is 1 to \(SMPClient.maxWindow)")
            }
            guard let mcumgrMTU else { return }
            guard client == .mcubootDefaults else { throw ValidationError("--mcumgr-mtu is for --client mcuboot-defaults") }
            guard RecoveryBench.mcumgrMTUs.contains(mcumgrMTU) else {
                throw ValidationError("--mcumgr-mtu is \(RecoveryBench.mcumgrMTUs.lowerBound)…\(RecoveryBench.mcumgrMTUs.upperBound) (103 gives the smallest message, 64 bytes; 2742 the largest the server's 2 KiB buffer takes)")
            }
        }

        func run() throws {
            let (boardDescription, partitionLayout) = try loadPair(board: board, layout: layout ?? board)
            var bench = RecoveryBench(
                board: boardDescription, layout: partitionLayout, link: BenchLink(parsing: link)!, framing: framing, applicationSize: size)
            bench.secondary = secondary
            bench.client = client
            bench.receiveBuffers = receiveBuffers
            bench.erasedSlot = erasedSlot
            if let mcumgrMTU { bench.mcumgrMTU = mcumgrMTU }
            let r: RecoveryBench.Result
            do { r = try bench.run() } catch { throw CLIError("\(error)") }
            if json {
                printJSON([
                    "board": .string(board), "layout": .string(partitionLayout.name), "link": .string(link),
                    "framing": .string(framing.rawValue), "slot": .string(secondary ? "secondary" : "primary"),
                    "kib_per_s": .number(r.kibPerSecond), "seconds": .number(r.seconds),
                    "limit_kib_per_s": .number(r.limitKiBPerSecond), "flash_limit_kib_per_s": .number(r.flashLimitKiBPerSecond),
                    "link_limit_kib_per_s": .number(r.linkLimitKiBPerSecond), "link_seconds": .number(r.linkSeconds),
                    "flash_seconds": .number(r.flashSeconds), "cpu_seconds": .number(r.cpuSeconds), "requests": .number(Double(r.requests)),
                    "upload_requests": .number(Double(r.uploadRequests)), "wire_bytes": .number(Double(r.wireBytes)),
                    "image_bytes": .number(Double(r.imageBytes)), "message_size": .number(Double(r.messageSize)),
                    "client": .string(client.rawValue), "window": .number(Double(r.window)), "overruns": .number(Double(r.overruns)),
                    "slot_start": .string(erasedSlot ? "erased" : "old-image"), "verified": .bool(r.verified),
                ])
            } else {
                print("\(boardDescription.summary), layout \(partitionLayout.name), \(secondary ? "secondary" : "primary") slot; \(BenchLink(parsing: link)!), \(framing.rawValue) framing")
                print("client: \(client.rawValue), \(r.window) request\(r.window == 1 ? "" : "s") in flight; slot \(erasedSlot ? "erased" : "holding an older image") at the start")
                print("image: \(r.imageBytes) bytes in \(r.uploadRequests) upload requests of ≤ \(r.messageSize)-byte messages (\(r.requests) requests in all)")
                let parts = r.linkSeconds + r.flashSeconds + r.cpuSeconds
                print(String(format: "time: %.2f s on the board; the link busy %.2f s (%d bytes), the flash %.2f s, the CPU %.2f s%@",
                             r.seconds, r.linkSeconds, r.wireBytes, r.flashSeconds, r.cpuSeconds,
                             parts > r.seconds + 1e-6 ? String(format: " (%.2f s of them overlapped)", parts - r.seconds) : ""))
                let flashLimit = r.flashLimitKiBPerSecond.isFinite
                    ? String(format: "%.2f", r.flashLimitKiBPerSecond) : "none (the board's flash has no timings)"
                print(String(format: "throughput: %.2f KiB/s; limit %.2f KiB/s (flash %@, link %.2f): %.0f %% of it",
                             r.kibPerSecond, r.limitKiBPerSecond, flashLimit, r.linkLimitKiBPerSecond,
                             100 * r.kibPerSecond / r.limitKiBPerSecond))
                if r.overruns > 0 { print("overruns: \(r.overruns) requests arrived with every receive buffer busy") }
                print("check: the slot holds the image byte for byte: \(r.verified ? "yes" : "NO")")
            }
            if !r.verified { throw ExitCode(1) }
        }
    }
}

extension BenchClient: ExpressibleByArgument {}
