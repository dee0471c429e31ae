import FlashKit

/// A board's supply, shared by its flash devices: one countdown over the mutating operations of
/// every device on it, and one cut that takes them all down (a board loses power as a whole, so a
/// cut during a write to the internal flash also stops the external chip).
///
/// A ``NORFlashModel`` with a ``NORFlashModel/rail`` counts its writes and erases here instead of
/// in its own countdown; the operation that a scheduled cut falls on is torn as the model defines,
/// and every later operation on any device of the rail throws `FlashError.powerCut` until
/// ``restore()``.
///
/// While ``isRecording``, the rail also keeps every such operation with its data
/// (``recorded``), so that a power-cut sweep can replay a clean run one operation at a time
/// (``replay(_:tearing:)``) instead of running it again up to each cut: the code under test
/// cannot know that a cut is coming, so the flash up to the cut is the clean run's.
public final class PowerRail {
    /// Writes and erases on all devices of the rail that passed validation.
    public private(set) var operationCount = 0
    public private(set) var isPowered = true
    /// Operations still to complete before the scheduled cut; nil when none is scheduled.
    public private(set) var operationsUntilCut: Int?

    public init() {}

    /// One write or erase that a device of the rail did, with what it needs to do it again.
    public struct Operation {
        public enum Kind: Equatable {
            case write(offset: Int, bytes: [UInt8])
            case erase(offset: Int, count: Int)
        }
        public let device: NORFlashModel
        public let kind: Kind
    }

    /// True between ``startRecording()`` and ``stopRecording()``.
    public private(set) var isRecording = false
    /// The operations since ``startRecording()``, in order.
    public private(set) var recorded: [Operation] = []

    /// Forgets what was recorded and records from now on.
    public func startRecording() {
        recorded.removeAll()
        isRecording = true
    }

    /// Stops recording; returns what was recorded.
    @discardableResult
    public func stopRecording() -> [Operation] {
        isRecording = false
        return recorded
    }

    func record(_ operation: Operation) {
        recorded.append(operation)
    }

    /// Does `operation` again on its device, counted like any other; with `tearing` it is the
    /// cut one (torn as the model defines, the rail off until ``restore()``). Returns the
    /// device's error: `.powerCut` for a torn replay, nil for a complete one, anything else
    /// means the flash is not in the state the operation was recorded in.
    public func replay(_ operation: Operation, tearing: Bool) -> FlashError? {
        if tearing { scheduleCut(afterOperations: 0) }
        defer { cancelCut() }
        do throws(FlashError) {
            switch operation.kind {
            case .write(let offset, let bytes):
                try operation.device.write(at: offset, bytes.span)
            case .erase(let offset, let count):
                try operation.device.erase(at: offset, count: count)
            }
            return nil
        } catch {
            return error
        }
    }

    /// `n` more operations (on any device of the rail) complete, the `(n+1)`-th is torn.
    public func scheduleCut(afterOperations n: Int) {
        precondition(n >= 0, "scheduleCut(afterOperations:) needs n >= 0")
        operationsUntilCut = n
    }

    public func cancelCut() { operationsUntilCut = nil }

    /// Cuts the power now, between operations (nothing torn).
    public func cut() {
        operationsUntilCut = nil
        isPowered = false
    }

    /// Powers the board again; flash contents (torn bytes included) are kept.
    public func restore() { isPowered = true }

    /// Counts one mutating operation; true when it is the one to be cut (the rail is then off).
    func consume() -> Bool {
        operationCount += 1
        guard let remaining = operationsUntilCut else { return false }
        if remaining == 0 {
            operationsUntilCut = nil
            isPowered = false
            return true
        }
        operationsUntilCut = remaining - 1
        return false
    }
}
