/// The libFuzzer targets, as plain functions: `tools/fuzz` links them into an instrumented binary
/// (`Fuzz/`, `-sanitize=fuzzer,address`), and the test suite runs the seed corpora and every
/// checked-in crash through the same functions.
///
/// A target takes one input and returns the invariants it broke (empty: fine). The libFuzzer
/// entry point turns a non-empty list into a crash, so a broken invariant is found and minimised
/// like a trap. Traps in the code under test are crashes by themselves.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `ConsoleFrameDecoder` on a raw console byte stream; every delivered packet re-encodes and
    /// decodes to itself.
    case console
    /// ``SMP/SerialFrameDecoder`` in each framing (console, raw, COBS, auto) with quiet-line
    /// timeouts; every delivered packet fits its buffer and survives re-framing.
    case framing
    /// `CBORReader`: skipping, typed reads, the map scanner and the request-body check agree.
    case cbor
    /// `SMPHeader` parsing, request checks, encoding round trip.
    case smpHeader = "smp-header"
    /// The whole recovery server behind the console link over a strict NOR model: a sequence of
    /// SMP messages; after each, no byte outside the policy's slots changed and echo still answers.
    case server
    /// Image header, TLV walk and `ImageValidator` (hash only and with trusted keys); an accepted
    /// image's hash is recomputed with swift-crypto.
    case image
    /// Layout YAML through the loader and `LayoutChecker`; a layout the checker passes must build
    /// a simulated board.
    case layout
    /// The Mesh DFU Target (Firmware Update + BLOB Transfer servers over the DFU-target core)
    /// over a strict NOR model: messages, timeouts and reboots; nothing outside the secondary slot
    /// changes and Get still answers.
    case mesh

    /// Runs one input.
    public func run(_ input: UnsafeRawBufferPointer) -> [String] {
        var violations = FuzzViolations()
        switch self {
        case .console: ConsoleFuzz.run(input, &violations)
        case .framing: FramingFuzz.run(input, &violations)
        case .cbor: CBORFuzz.run(input, &violations)
        case .smpHeader: SMPHeaderFuzz.run(input, &violations)
        case .server: ServerFuzz.run(input, &violations)
        case .image: ImageFuzz.run(input, &violations)
        case .layout: LayoutFuzz.run(input, &violations)
        case .mesh: MeshFuzz.run(input, &violations)
        }
        return violations.messages
    }

    public func run(_ input: [UInt8]) -> [String] {
        input.withUnsafeBytes { run($0) }
    }
}

/// Broken invariants of one run.
struct FuzzViolations {
    var messages: [String] = []
    mutating func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        if !condition() { messages.append(message()) }
    }
}
