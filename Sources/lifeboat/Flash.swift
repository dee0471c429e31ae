import ArgumentParser
import FlashKit
import Foundation
import LifeboatHost

/// `lifeboat flash`: an external SPI-NOR chip (a secondary slot on the DK's MX25R6435F) straight
/// through an FTDI adapter's MPSSE engine, without the target.
struct Flash: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read, erase and write an external SPI-NOR chip (MX25R6435F) over an FTDI MPSSE adapter.",
        discussion: """
            Wiring (FT2232H/FT232H channel A): ADBUS0 SCK, ADBUS1 MOSI → SI, ADBUS2 MISO ← SO, \
            ADBUS3 → CS#, GND, and the chip's VCC at the adapter's I/O level (3.3 V); hold the \
            target in reset (or unpowered) so its QSPI controller leaves the bus alone. The \
            commands check the JEDEC id first. `write` programs page by page (no page wraps) \
            into erased flash; erase first, or give --erase. Addresses take 0x…; exit codes as \
            `lifeboat device` (6: adapter or chip errors).
            """,
        subcommands: [FlashID.self, FlashRead.self, FlashErase.self, FlashWrite.self])
}

struct FlashOptions: ParsableArguments {
    @Option(help: "The FTDI adapter: VID:PID[:SERIAL] in hex (an FT2232H is 0403:6010, an FT232H 0403:6014).")
    var ftdi: String

    @Option(help: "SPI clock in Hz.") var clock = 1_000_000

    func programmer(progress: Bool) throws -> SPINORProgrammer {
        try runFlash { () throws(TransportError) in
            let driver = try LibFTDI()
            try driver.open(try FTDISelector(parsing: ftdi))
            var programmer = SPINORProgrammer(bus: try MPSSESPIBus(driver: driver, clockHz: clock))
            if progress, isatty(2) != 0 {
                programmer.progress = { done, total in
                    FileHandle.standardError.write(Data(String(format: "\r\u{1B}[K%d/%d bytes", done, total).utf8 + (done == total ? [0x0A] : [])))
                }
            }
            _ = try programmer.checkID()
            return programmer
        }
    }
}

func parseAddress(_ text: String) throws -> Int {
    let t = text.lowercased()
    guard let v = t.hasPrefix("0x") ? Int(t.dropFirst(2), radix: 16) : Int(t), v >= 0 else {
        throw ValidationError("'\(text)' is not an address or length (decimal or 0x…)")
    }
    return v
}

/// Runs `body`; an adapter or chip error becomes `Error: …` and the transport exit code.
func runFlash<T>(_ body: () throws(TransportError) -> T) throws -> T {
    do { return try body() } catch {
        FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
        throw ExitCode(DeviceFailure.Kind.transport.exitCode)
    }
}

struct FlashID: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "id", abstract: "Read the JEDEC id and check it is the chip expected.")
    @OptionGroup var options: FlashOptions
    func run() throws {
        let p = try options.programmer(progress: false)
        try runFlash { () throws(TransportError) in
            let id = try p.readID()
            print(String(format: "JEDEC id %02x %02x %02x: %@, %d bytes", id.manufacturer, id.memoryType, id.capacity, "\(p.chip.name)", p.chip.size))
        }
    }
}

struct FlashRead: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "read", abstract: "Read a range to a file.")
    @OptionGroup var options: FlashOptions
    @Option(help: "Start address.") var address = "0"
    @Option(help: "Bytes to read.") var length: String
    @Option(name: .shortAndLong, help: "Output file.") var output: String
    func run() throws {
        let p = try options.programmer(progress: true)
        let (a, n) = (try parseAddress(address), try parseAddress(length))
        try runFlash { () throws(TransportError) in
            let bytes = try p.read(address: a, count: n)
            do { try Data(bytes).write(to: URL(fileURLWithPath: output)) } catch { throw TransportError("cannot write \(output): \(error)") }
            print("read \(n) bytes at \(String(format: "0x%x", a)) into \(output)")
        }
    }
}

struct FlashErase: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "erase", abstract: "Erase a sector-aligned range (64 KiB blocks where aligned).")
    @OptionGroup var options: FlashOptions
    @Option(help: "Start address (4 KiB aligned).") var address = "0"
    @Option(help: "Bytes to erase (a multiple of 4 KiB).") var length: String
    func run() throws {
        let p = try options.programmer(progress: true)
        let (a, n) = (try parseAddress(address), try parseAddress(length))
        try runFlash { () throws(TransportError) in
            try p.erase(address: a, count: n)
            print("erased \(n) bytes at \(String(format: "0x%x", a))")
        }
    }
}

struct FlashWrite: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "write", abstract: "Program a file at an address (into erased flash), then read it back.")
    @OptionGroup var options: FlashOptions
    @Option(help: "Start address.") var address = "0"
    @Flag(help: "Erase the sectors the file covers first.") var erase = false
    @Argument(help: "File to program (e.g. a signed image for the secondary slot).") var file: String
    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        let p = try options.programmer(progress: true)
        let a = try parseAddress(address)
        let bytes = Array(data)
        try runFlash { () throws(TransportError) in
            if erase {
                let start = a - a % p.chip.sectorSize
                let end = (a + bytes.count + p.chip.sectorSize - 1) / p.chip.sectorSize * p.chip.sectorSize
                try p.erase(address: start, count: end - start)
            }
            try p.write(address: a, bytes)
            guard try p.read(address: a, count: bytes.count) == bytes else {
                throw TransportError("read-back differs: was the range erased first (--erase)?")
            }
            print("wrote \(bytes.count) bytes at \(String(format: "0x%x", a)), read back and compared")
        }
    }
}
