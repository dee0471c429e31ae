/// A board's supply, shared by its flash devices: one countdown over the mutating operations of
/// every device on it, and one cut that takes them all down (a board loses power as a whole, so a
/// cut during a write to the internal flash also stops the external chip).
///
/// A ``NORFlashModel`` with a ``NORFlashModel/rail`` counts its writes and erases here instead of
/// in its own countdown; the operation that a scheduled cut falls on is torn as the model defines,
/// and every later operation on any device of the rail throws `FlashError.powerCut` until
/// ``restore()``.
public final class PowerRail {
    /// Writes and erases on all devices of the rail that passed validation.
    public private(set) var operationCount = 0
    public private(set) var isPowered = true
    /// Operations still to complete before the scheduled cut; nil when none is scheduled.
    public private(set) var operationsUntilCut: Int?

    public init() {}

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
