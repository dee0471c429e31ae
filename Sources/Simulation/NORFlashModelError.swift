import Foundation

/// Why a ``NORFlashModel`` could not be created or its backing file could not be used. These are
/// host-side set-up errors (bad geometry in a board file, a stale image on disk), distinct from
/// FlashKit's `FlashError`, which is what the flash device itself reports.
public enum NORFlashModelError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The geometry breaks the `NORFlash` contract; the message says which rule.
    case invalidGeometry(String)
    /// The erased value is neither 0xFF nor 0x00.
    case invalidErasedValue(UInt8)
    /// An existing backing file does not hold exactly `size` bytes.
    case backingFileSizeMismatch(path: String, expected: Int, actual: Int)
    /// A system call on the backing file failed (`operation` is e.g. "open", "pwrite", "fsync").
    case backingFileIO(path: String, operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .invalidGeometry(let why):
            return "invalid NOR flash geometry: \(why)"
        case .invalidErasedValue(let v):
            return "invalid NOR flash erased value 0x\(String(v, radix: 16)): must be 0xFF or 0x00"
        case .backingFileSizeMismatch(let path, let expected, let actual):
            return "flash backing file '\(path)' has \(actual) bytes but the device is \(expected) bytes;"
                + " delete it or fix the device size"
        case .backingFileIO(let path, let operation, let code):
            return "flash backing file '\(path)': \(operation) failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }

    public var errorDescription: String? { description }
}
