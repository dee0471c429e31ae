/// Simulated time, in nanoseconds. Peripheral models advance it by their datasheet timings (a
/// page erase, a word write, a UART byte), so a simulated run can say how long the same work
/// takes on the board, independently of how fast the host is.
public final class VirtualClock {
    public private(set) var nanoseconds: UInt64 = 0

    public init() {}

    public func advance(nanoseconds delta: UInt64) { nanoseconds &+= delta }
    public func advance(microseconds delta: Double) { nanoseconds &+= UInt64(max(0, delta * 1_000)) }

    /// Advances to `deadline` if it is in the future (a busy peripheral that the CPU waits for).
    public func advance(to deadline: UInt64) {
        if deadline > nanoseconds { nanoseconds = deadline }
    }

    public var seconds: Double { Double(nanoseconds) / 1e9 }
}
