/// Comparisons whose running time does not depend on the contents of the data.
///
/// A bootloader compares a hash it computed with one an attacker supplied; an early-exit compare
/// leaks, through timing or a glitched branch, how many leading bytes matched.
public enum ConstantTime {
    /// True when `a` and `b` hold the same bytes. The lengths are compared first and are public
    /// (different lengths return false at once); the contents are compared without an early exit,
    /// by folding the XOR of every byte pair into one accumulator.
    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count {
            difference |= a[i] ^ b[i]
        }
        return difference == 0
    }
}
