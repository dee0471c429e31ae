import FlashKit

/// Where a swap stands, as MCUboot's `boot_status` records it in a swap status area: which phase,
/// which sector step (`idx`, from 1) and which state of that step (from 1) comes *next*.
///
/// Swap using move has two phases: `move` (one state per step: the primary's sector `idx − 1`
/// moved up to `idx`, steps counted from the top) and `swap` (two states per step: secondary
/// sector `idx − 1` → primary, then the moved-up old sector → secondary). Swap using scratch has
/// only `swap`, with three states per step (primary → scratch, secondary → primary, scratch →
/// secondary).
public struct SwapProgress: Equatable, Sendable {
    public enum Phase: Equatable, Sendable { case move, swap }

    public var phase: Phase
    public var index: Int
    public var state: Int

    public init(phase: Phase, index: Int, state: Int) {
        self.phase = phase
        self.index = index
        self.state = state
    }

}

/// How a strategy numbers its status entries (MCUboot `boot_status_internal_off`).
public enum SwapStatusFormat: Equatable, Sendable {
    /// Swap using move: `statusSectors` one-state move entries, then two-state swap entries.
    case move
    /// Swap using scratch: three-state swap entries.
    case scratch

    /// Nothing done yet (`boot_status_is_reset`).
    public var start: SwapProgress {
        SwapProgress(phase: self == .move ? .move : .swap, index: 1, state: 1)
    }

    /// The entry that records `progress` (the step and state just completed).
    func entry(_ progress: SwapProgress, sectors: Int) -> Int {
        switch self {
        case .move:
            progress.phase == .move ? progress.index - 1 : sectors + (progress.index - 1) * 2 + (progress.state - 1)
        case .scratch:
            (progress.index - 1) * 3 + (progress.state - 1)
        }
    }

    /// The progress that follows entry `count − 1` (the last one written), `.start` for none.
    func progress(afterEntries count: Int, sectors: Int) -> SwapProgress {
        switch self {
        case .move:
            if count < sectors { return SwapProgress(phase: .move, index: count + 1, state: 1) }
            let k = count - sectors
            return SwapProgress(phase: .swap, index: k / 2 + 1, state: k % 2 + 1)
        case .scratch:
            return SwapProgress(phase: .swap, index: count / 3 + 1, state: count % 3 + 1)
        }
    }
}

/// The swap status area: one `writeSize` entry per (step, state), written once each, in order, as
/// a swap goes (inapp-dfu.md §2.1; MCUboot `boot_write_status`, `swap_read_status_bytes`).
extension TrailerLayout {
    /// Entries of the status area.
    public var statusEntries: Int { statusSectors * statusStates }

    /// Reads the progress recorded in `slot`'s status area: after the last entry that is not
    /// erased (MCUboot scans from the end, so a torn or stray earlier entry cannot move progress
    /// backwards). Nil when every entry is erased (no step was recorded).
    public func readProgress<Flash: NORFlash>(from slot: Flash, format: SwapStatusFormat) throws(FlashError) -> SwapProgress? {
        guard !overwriteOnly, statusEntries > 0 else { return nil }
        let erased = slot.erasedValue
        // Read the area in chunks, scanning each from its end.
        var chunk = InlineArray<256, UInt8>(repeating: 0)
        var end = statusEntries  // entries [0, end) still to scan
        while end > 0 {
            let perChunk = max(1, 256 / writeSize)
            let first = max(0, end - perChunk)
            let count = end - first
            if writeSize <= 256 {
                var span = chunk.mutableSpan
                try slot.read(at: statusOffset + first * writeSize, into: &span, count: count * writeSize)
                var i = count - 1
                while i >= 0 {
                    if chunk[i * writeSize] != erased {
                        return format.progress(afterEntries: first + i + 1, sectors: statusSectors)
                    }
                    i -= 1
                }
            } else {
                var one = InlineArray<1, UInt8>(repeating: 0)
                for i in stride(from: count - 1, through: 0, by: -1) {
                    var span = one.mutableSpan
                    try slot.read(at: statusOffset + (first + i) * writeSize, into: &span)
                    if one[0] != erased { return format.progress(afterEntries: first + i + 1, sectors: statusSectors) }
                }
            }
            end = first
        }
        return nil
    }

    /// Records that the step and state of `progress` are done: the state number, padded with the
    /// erased value to the write size (`boot_write_status`). One write.
    public func writeProgress<Flash: NORFlash>(_ progress: SwapProgress, to slot: Flash, format: SwapStatusFormat) throws(FlashError) {
        let entry = format.entry(progress, sectors: statusSectors)
        guard entry >= 0, entry < statusEntries else { throw .outOfBounds }
        var field = InlineArray<64, UInt8>(repeating: slot.erasedValue)
        field[0] = UInt8(truncatingIfNeeded: progress.state)
        let count = max(writeSize, slot.writeSize)
        guard count <= 64 else { throw .misaligned }
        try slot.write(at: statusOffset + entry * writeSize, field.span.extracting(0..<count))
    }
}
