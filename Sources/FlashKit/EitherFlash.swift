/// One of two flash types behind the same protocol, without an existential: how a slot table
/// holds a slot on internal flash and one on an external QSPI chip side by side.
public enum EitherFlash<First: NORFlash, Second: NORFlash>: NORFlash {
    case first(First)
    case second(Second)

    public var size: Int {
        switch self { case .first(let f): f.size; case .second(let s): s.size }
    }
    public var eraseSize: Int {
        switch self { case .first(let f): f.eraseSize; case .second(let s): s.eraseSize }
    }
    public var writeSize: Int {
        switch self { case .first(let f): f.writeSize; case .second(let s): s.writeSize }
    }
    public var erasedValue: UInt8 {
        switch self { case .first(let f): f.erasedValue; case .second(let s): s.erasedValue }
    }
    public var blockEraseSize: Int {
        switch self { case .first(let f): f.blockEraseSize; case .second(let s): s.blockEraseSize }
    }
    public func read(at offset: Int, into buffer: inout MutableSpan<UInt8>) throws(FlashError) {
        switch self {
        case .first(let f): try f.read(at: offset, into: &buffer)
        case .second(let s): try s.read(at: offset, into: &buffer)
        }
    }
    public func write(at offset: Int, _ bytes: Span<UInt8>) throws(FlashError) {
        switch self {
        case .first(let f): try f.write(at: offset, bytes)
        case .second(let s): try s.write(at: offset, bytes)
        }
    }
    public func erase(at offset: Int, count: Int) throws(FlashError) {
        switch self {
        case .first(let f): try f.erase(at: offset, count: count)
        case .second(let s): try s.erase(at: offset, count: count)
        }
    }
}
