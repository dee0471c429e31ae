// The nRF5340 DK sample application: prints the version from its own image header on UARTE0,
// then waits. Built and signed here; not run on hardware by this project.
#if hasFeature(Embedded)
import FirmwareRuntime
import NRF

/// One line of text, built in place (no String: it would cost ~19 KB of flash).
struct Line {
    var bytes = InlineArray<48, UInt8>(repeating: 0x20)
    var count = 0

    mutating func put(_ byte: UInt8) {
        guard count < 48 else { return }
        bytes[count] = byte
        count += 1
    }

    mutating func put(_ text: StaticString) {
        text.withUTF8Buffer { for b in $0 { put(b) } }
    }

    mutating func put(decimal value: UInt32) {
        var divisor: UInt32 = 1
        while value / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            put(UInt8(truncatingIfNeeded: (value / divisor) % 10) &+ 0x30)
            divisor /= 10
        }
    }
}

func run() -> Never {
    let uarte = UARTE(bus: VolatileBus(), base: 0x5000_8000)
    uarte.configure(tx: NRFPin(pin: 20), rx: NRFPin(pin: 22))
    let header = UnsafeRawPointer(bitPattern: UInt(lifeboat_vector_table() - 0x200))!  // its own MCUboot header
    var line = Line()
    line.put("sample-app: image version ")
    line.put(decimal: UInt32(header.load(fromByteOffset: 20, as: UInt8.self)))
    line.put(0x2E)
    line.put(decimal: UInt32(header.load(fromByteOffset: 21, as: UInt8.self)))
    line.put(0x2E)
    line.put(decimal: UInt32(header.loadUnaligned(fromByteOffset: 22, as: UInt16.self)))
    line.put(0x0A)
    let count = line.count
    var span = line.bytes.mutableSpan
    span.withUnsafeMutableBytes { _ = try? uarte.transmit(UnsafeMutableRawBufferPointer(rebasing: $0[0..<count])) }
    while true {}
}

run()
#endif
