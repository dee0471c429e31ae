import FirmwareRuntime

/// What every board's sample application says when it starts: the version from its own MCUboot
/// header (0x200 bytes before its vector table, with `--pad-header --header-size 0x200`), so the
/// line always names the version the image was signed with.
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
}
