import FlashKit

/// Array conveniences for host code (tests, the CLI, simulated boards). Firmware reads into
/// caller-lent spans instead; these allocate.
extension NORFlash {
    /// Reads `count` bytes at `offset` into a new array.
    public func read(at offset: Int, count: Int) throws(FlashError) -> [UInt8] {
        guard count >= 0 else { throw .outOfBounds }
        try checkBounds(offset: offset, count: count)
        var bytes = [UInt8](repeating: erasedValue, count: count)
        var span = bytes.mutableSpan
        try read(at: offset, into: &span)
        return bytes
    }

    /// Programs `bytes` at `offset` (same rules as `write(at:_:)`).
    public func write(at offset: Int, bytes: [UInt8]) throws(FlashError) {
        try write(at: offset, bytes.span)
    }
}
