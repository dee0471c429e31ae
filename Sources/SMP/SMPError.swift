/// What can be wrong with an SMP message at the header level.
public enum SMPError: Error, Equatable, Sendable {
    /// Fewer than ``SMPHeader/size`` bytes.
    case truncated
    /// The op field (bits 0–2 of the first byte) is 4…7, which no SMP version defines.
    case invalidOperation
}
