/// What can go wrong with a flash operation. Small and payload-free so it costs nothing on a
/// microcontroller; the layers above map it to their own errors (and, at the SMP boundary, to `rc`).
public enum FlashError: Error, Equatable, Sendable {
    /// The range is not inside the device or partition (or its end overflows).
    case outOfBounds
    /// A write is not aligned to `writeSize`, or an erase does not cover whole sectors.
    case misaligned
    /// A write touched a byte that was already written since its last erase. NOR flash can only
    /// move bits away from the erased value: a second write silently ANDs into the cell on a
    /// 0xFF-erased part (ORs on a 0x00-erased one), so the strict model refuses it.
    case notErased
    /// The power was cut during (or before) this operation; nothing works until power returns.
    case powerCut
    /// The device did not become ready in the bounded wait (a busy bit that never clears).
    case timeout
    /// The device reported a fault or answered with the wrong identity.
    case deviceFault
}
