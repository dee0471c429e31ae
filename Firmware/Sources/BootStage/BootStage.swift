import Bootloader
import DFUTarget
import FirmwareRuntime
import FlashKit
import MCUbootImage
import Recovery
import SMP

/// A board's console UART, polled: the boot stage has no interrupts.
public protocol ConsolePort {
    func send(_ byte: UInt8)
    /// The next received byte, or nil when none is waiting.
    func receive() -> UInt8?
}

extension ConsolePort {
    /// Sends a plain-text line (clients skip lines that are not SMP frames).
    public func line(_ text: StaticString) {
        text.withUTF8Buffer { for byte in $0 { send(byte) } }
        send(0x0A)
    }

    public func text(_ text: StaticString) {
        text.withUTF8Buffer { for byte in $0 { send(byte) } }
    }

    public func decimal(_ value: UInt32) {
        var digits = InlineArray<10, UInt8>(repeating: 0)
        var n = value
        var count = 0
        repeat {
            digits[count] = UInt8(truncatingIfNeeded: n % 10) &+ 0x30
            n /= 10
            count += 1
        } while n > 0
        while count > 0 {
            count -= 1
            send(digits[count])
        }
    }

    public func version(_ v: ImageVersion) {
        decimal(UInt32(v.major)); send(0x2E)
        decimal(UInt32(v.minor)); send(0x2E)
        decimal(UInt32(v.revision))
        if v.build != 0 { send(0x2B); decimal(v.build) }
    }
}

/// Image 0's two slots (and no scratch), as the firmware's generated layout constants give them.
public struct FirmwareSlots<Device: NORFlash>: SlotMap {
    public let primary: FlashArea<Device>
    public let secondary: FlashArea<Device>?

    public init(primary: FlashArea<Device>, secondary: FlashArea<Device>?) {
        self.primary = primary
        self.secondary = secondary
    }

    public var imageCount: Int { 1 }

    public func area(image: Int, slot: Int) -> FlashArea<Device>? {
        guard image == 0 else { return nil }
        switch slot {
        case 0: return primary
        case 1: return secondary
        default: return nil
        }
    }
}

/// What every board's boot stage does after its startup: MCUboot's decision (``Bootloader``),
/// then the handover to the validated primary image, or serial recovery on the console.
public enum BootStage {
    /// Runs the boot stage; never returns (the image starts, or recovery resets the board).
    ///
    /// - Parameters:
    ///   - primaryAddress: bus address of the primary slot (where the image runs in place).
    ///   - bootMode: the retained boot mode, already read and cleared by the board.
    public static func run<Device: NORFlash, Console: ConsolePort, Features: RecoveryFeatureSet>(
        slots: FirmwareSlots<Device>, primaryAddress: UInt32, console: Console,
        boot: BootConfiguration, recovery: RecoveryConfiguration, recoveryFeatures: Features.Type,
        recoveryButton: Bool, bootMode: UInt8,
        reset: () -> Never
    ) -> Never {
        let outcome = decide(slots: slots, console: console, boot: boot, recoveryButton: recoveryButton, bootMode: bootMode)
        switch outcome {
        case .boot(let version):
            if let header = try? ImageInspector().readHeader(from: slots.primary) {
                console.text("lifeboat: booting image 0 version ")
                console.version(version)
                console.send(0x0A)
                lifeboat_start_image(primaryAddress &+ UInt32(header.headerSize))
            }
            console.line("lifeboat: the primary image cannot be read")
        case .recovery(.button):
            console.line("lifeboat: recovery button held")
        case .recovery(.retainedBootMode):
            console.line("lifeboat: the application asked for serial recovery")
        case .recovery(.noBootableImage(.noImage)):
            console.line("lifeboat: the primary slot is empty")
        case .recovery(.noBootableImage(.hashMismatch)):
            console.line("lifeboat: no bootable image: the primary's SHA-256 does not match")
        case .recovery(.noBootableImage(.signatureInvalid)), .recovery(.noBootableImage(.signatureMissing)):
            console.line("lifeboat: no bootable image: no valid signature by a trusted key")
        case .recovery(.noBootableImage):
            console.line("lifeboat: no bootable image: the primary does not validate")
        case .halted:
            console.line("lifeboat: flash failed during the boot")
        }
        serveRecovery(slots: slots, console: console, configuration: recovery, features: recoveryFeatures, reset: reset)
    }

    /// MCUboot's decision (swap, revert, validation) in a frame of its own: its buffers are
    /// gone from the stack before recovery starts, which never returns (the boot flow's frame
    /// and the recovery server's deepest request otherwise add up: on qemu-microbit's 16 KiB of
    /// RAM, an image state read overflowed the stack).
    @inline(never)
    static func decide<Device: NORFlash, Console: ConsolePort>(
        slots: FirmwareSlots<Device>, console: Console, boot: BootConfiguration, recoveryButton: Bool, bootMode: UInt8
    ) -> BootOutcome {
        // Swap using move is the only strategy the boot stages are configured with: the others'
        // code is left out (4.2 KB of the nRF52840 image).
        Bootloader(slots: slots, configuration: boot).boot(
            BootInputs(recoveryButton: recoveryButton, retainedBootMode: bootMode), strategies: SwapUsingMoveOnly.self
        ) { event in
            switch event {
            case .swapStarted: console.line("lifeboat: swap started")
            case .swapResumed: console.line("lifeboat: interrupted swap resumed")
            case .swapCompleted: console.line("lifeboat: swap complete")
            case .secondaryScrambled: console.line("lifeboat: secondary image refused and erased")
            default: break
            }
        }
    }

    /// MCUboot serial recovery on the console until a client resets the board.
    public static func serveRecovery<Device: NORFlash, Console: ConsolePort, Features: RecoveryFeatureSet>(
        slots: FirmwareSlots<Device>, console: Console, configuration: RecoveryConfiguration, features: Features.Type,
        reset: () -> Never
    ) -> Never {
        console.line("lifeboat: serial recovery")
        var link = ConsoleRecoveryLink(server: RecoveryServer(slots: slots, configuration: configuration, features: features))
        // The response buffer lives in this frame, which never returns: no heap.
        var responseStorage = InlineArray<2044, UInt8>(repeating: 0)
        var storage = responseStorage.mutableSpan
        storage.withUnsafeMutableBytes { response in
            while true {
                guard let byte = console.receive() else { continue }
                var one = byte
                let action = withUnsafeBytes(of: &one) { bytes in
                    link.receive(bytes, response: response, transmit: { line in for b in line { console.send(b) } })
                }
                if action == .reset { reset() }
            }
        }
        reset()
    }
}
