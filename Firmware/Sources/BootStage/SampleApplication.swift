import FirmwareRuntime
import FlashKit
import MCUbootImage

/// What every board's sample application does: it says which version it is (from its own MCUboot
/// header, 0x200 bytes before its vector table, with `--pad-header --header-size 0x200`, so the
/// line always names the version the image was signed with), then echoes the console and answers
/// three keys at the start of a line, the three things an application does to its boot stage:
///
/// - `R`: reset into serial recovery (the retained boot mode 1, as `os reset` with `boot_mode` 1).
/// - `B`: a plain reset: the boot stage runs its boot flow (an unconfirmed test image reverts).
/// - `C`: confirm the running image (MCUboot's `boot_set_confirmed`: image_ok in the primary
///   slot's trailer when its magic is good and image_ok unset), so it stays after the next reset.
public enum SampleApplication {
    public static func announce<Console: ConsolePort>(on console: Console, board: StaticString) {
        let header = UnsafeRawPointer(bitPattern: UInt(lifeboat_vector_table() - 0x200))!
        console.text("sample-app: image version ")
        console.decimal(UInt32(header.load(fromByteOffset: 20, as: UInt8.self)))
        console.send(0x2E)
        console.decimal(UInt32(header.load(fromByteOffset: 21, as: UInt8.self)))
        console.send(0x2E)
        console.decimal(UInt32(header.loadUnaligned(fromByteOffset: 22, as: UInt16.self)))
        console.text(" running on ")
        console.text(board)
        console.send(0x0A)
    }

    /// Announces the image, then serves the console until `R` or `B` resets the board.
    /// - Parameters:
    ///   - primary: the primary slot the image runs from (its trailer is what `C` writes).
    ///   - requestRecovery: sets the board's retained boot mode to 1 (GPREGRET, or a retained word).
    ///   - reset: back into the boot stage.
    public static func run<Console: ConsolePort, Flash: NORFlash>(
        on console: Console, board: StaticString, primary: Flash,
        requestRecovery: () -> Void, reset: () -> Never
    ) -> Never {
        announce(on: console, board: board)
        console.line("sample-app: keys: R recovery, B reset, C confirm this image")
        // A key counts at the start of a line only: a client's SMP frame sent here by mistake
        // (its lines start with 06 09 or 04 14) is echoed whole, never read as keys.
        var atLineStart = true
        while true {
            guard let byte = console.receive() else { continue }
            switch byte {
            case 0x52 where atLineStart:  // "R"
                console.line("sample-app: reset into serial recovery")
                requestRecovery()
                reset()
            case 0x42 where atLineStart:  // "B"
                console.line("sample-app: reset")
                reset()
            case 0x43 where atLineStart:  // "C"
                confirm(primary, on: console)
            default:
                console.send(byte)
                atLineStart = byte == 0x0A || byte == 0x0D
            }
        }
    }

    /// `boot_set_confirmed`, with a line that says what it found and did.
    static func confirm<Console: ConsolePort, Flash: NORFlash>(_ primary: Flash, on console: Console) {
        let layout = TrailerLayout(slot: primary)
        do throws(FlashError) {
            let before = try ImageTrailer(reading: primary, layout: layout)
            switch (before.magic, before.imageOK) {
            case (.good, .unset):
                do throws(SetNextError) {
                    try layout.setNext(primary, image: 0, active: true, confirm: true)
                } catch {
                    return console.line("sample-app: confirm failed: the trailer could not be written")
                }
                console.line("sample-app: confirmed: image_ok written")
            case (.good, _):
                console.line("sample-app: already confirmed")
            case (.unset, _):
                console.line("sample-app: nothing to confirm: no trailer (a permanent image)")
            case (.bad, _):
                console.line("sample-app: confirm refused: the primary's trailer magic is bad")
            }
        } catch {
            console.line("sample-app: confirm failed: the trailer could not be read")
        }
    }
}
