/// One flash operation as seen by a ``NORFlashModel``: what its trace records and what
/// ``NORFlashModel/lastCut`` names. Offsets and counts are device bytes.
public enum FlashOperation: Equatable, Hashable, Sendable, CustomStringConvertible {
    case read(offset: Int, count: Int)
    case write(offset: Int, count: Int)
    case erase(offset: Int, count: Int)

    /// True for writes and erases: the operations a power-cut countdown counts.
    public var isMutating: Bool {
        if case .read = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .read(let o, let c): "read(0x\(String(o, radix: 16)), \(c))"
        case .write(let o, let c): "write(0x\(String(o, radix: 16)), \(c))"
        case .erase(let o, let c): "erase(0x\(String(o, radix: 16)), \(c))"
        }
    }
}
