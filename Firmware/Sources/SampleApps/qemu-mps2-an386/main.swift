// The sample application of `qemu-mps2-an386`: what a user's firmware is to the boot stage. It
// runs in place in the primary slot, reads the version from its own MCUboot header (so the line
// it prints always names the version it was signed with), then echoes the console. `R` asks for
// serial recovery the way an application's `os reset` with `boot_mode` 1 does: the retained boot
// mode word, then a reset into the boot stage.
#if hasFeature(Embedded)
import FirmwareRuntime
import _Volatile

@inline(__always) func register(_ address: UInt) -> VolatileMappedRegister<UInt32> {
    unsafe VolatileMappedRegister<UInt32>(unsafeBitPattern: address)
}

let uart: UInt = 0x4000_4000

func startUART() {
    register(uart + 0x10).store(16)
    register(uart + 0x08).store(3)
}

func send(_ byte: UInt8) {
    while register(uart + 0x04).load() & 1 != 0 {}
    register(uart).store(UInt32(byte))
}

func text(_ s: StaticString) { s.withUTF8Buffer { for b in $0 { send(b) } } }

func decimal(_ value: UInt32) {
    var divisor: UInt32 = 1
    while value / divisor >= 10 { divisor *= 10 }
    while divisor > 0 {
        send(UInt8(truncatingIfNeeded: (value / divisor) % 10) &+ 0x30)
        divisor /= 10
    }
}

/// Prints the version line, then echoes (a function: Swift 6 forbids shared mutable globals).
func run() -> Never {
    startUART()
    // The image header sits 0x200 bytes before this image's vector table, at the slot's start.
    let header = UnsafeRawPointer(bitPattern: UInt(lifeboat_vector_table() - 0x200))!
    let major = header.load(fromByteOffset: 20, as: UInt8.self)
    let minor = header.load(fromByteOffset: 21, as: UInt8.self)
    let revision = header.loadUnaligned(fromByteOffset: 22, as: UInt16.self)
    text("sample-app: image version ")
    decimal(UInt32(major)); send(0x2E); decimal(UInt32(minor)); send(0x2E); decimal(UInt32(revision))
    text(" running on qemu-mps2-an386\n")

    while true {
        guard register(uart + 0x04).load() & 2 != 0 else { continue }
        let byte = UInt8(truncatingIfNeeded: register(uart).load())
        if byte == 0x52 {  // "R"
            text("sample-app: reset into serial recovery\n")
            lifeboat_set_boot_mode(1)
            lifeboat_start_image(0)
        }
        send(byte)
    }
}

run()
#endif
