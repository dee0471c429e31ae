/// `ih_ver`: the image version, 8 bytes little-endian inside the header.
///
/// ```
///  byte  0       1       2 ─── 3     4 ─────────── 7
///       ┌───────┬───────┬─────────┬───────────────┐
///       │ major │ minor │revision │  build number │
///       │  u8   │  u8   │ u16 LE  │    u32 LE     │
///       └───────┴───────┴─────────┴───────────────┘
/// ```
///
/// ## Ordering and the build number
///
/// `<` orders by major, minor, revision and then, only to break a tie, by build number, so that it
/// agrees with `==` (which compares all four fields). MCUboot's `boot_compare_version` ignores the
/// build number unless `MCUBOOT_VERSION_CMP_USE_BUILD_NUMBER` is set; downgrade checks that want
/// MCUboot's default use ``isLower(than:includingBuild:)`` with `includingBuild: false`.
public struct ImageVersion: Comparable, Hashable, Sendable {
    public var major: UInt8
    public var minor: UInt8
    public var revision: UInt16
    public var build: UInt32

    public init(major: UInt8, minor: UInt8, revision: UInt16, build: UInt32 = 0) {
        self.major = major
        self.minor = minor
        self.revision = revision
        self.build = build
    }

    /// Longest text ``format(into:)`` writes: "255.255.65535.4294967295".
    public static let maxFormattedLength = 24

    public static func < (lhs: ImageVersion, rhs: ImageVersion) -> Bool {
        if lhs.major != rhs.major { return lhs.major < rhs.major }
        if lhs.minor != rhs.minor { return lhs.minor < rhs.minor }
        if lhs.revision != rhs.revision { return lhs.revision < rhs.revision }
        return lhs.build < rhs.build
    }

    /// MCUboot's `boot_compare_version(self, other) < 0`: major, minor, revision, and the build
    /// number only when `includingBuild` (MCUBOOT_VERSION_CMP_USE_BUILD_NUMBER).
    public func isLower(than other: ImageVersion, includingBuild: Bool) -> Bool {
        if major != other.major { return major < other.major }
        if minor != other.minor { return minor < other.minor }
        if revision != other.revision { return revision < other.revision }
        return includingBuild && build < other.build
    }

    /// Bytes ``format(into:)`` writes for this version.
    public var formattedLength: Int {
        var n = Self.digitCount(UInt32(major)) + 1 + Self.digitCount(UInt32(minor)) + 1
            + Self.digitCount(UInt32(revision))
        if build != 0 { n += 1 + Self.digitCount(build) }
        return n
    }

    /// Writes the version as ASCII, "major.minor.revision", plus ".build" only when the build
    /// number is not 0 (the image list's rule in MCUboot `bs_list`), and returns the byte count.
    ///
    /// - Precondition: `buffer.count >= formattedLength` (``maxFormattedLength`` always suffices);
    ///   a smaller buffer is a programmer error.
    public func format(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(buffer.count >= formattedLength, "version buffer too small")
        var at = 0
        at = Self.writeDecimal(UInt32(major), into: buffer, at: at)
        buffer[at] = UInt8(ascii: "."); at += 1
        at = Self.writeDecimal(UInt32(minor), into: buffer, at: at)
        buffer[at] = UInt8(ascii: "."); at += 1
        at = Self.writeDecimal(UInt32(revision), into: buffer, at: at)
        if build != 0 {
            buffer[at] = UInt8(ascii: "."); at += 1
            at = Self.writeDecimal(build, into: buffer, at: at)
        }
        return at
    }

    private static func digitCount(_ value: UInt32) -> Int {
        var n = 1
        var v = value
        while v >= 10 { v /= 10; n += 1 }
        return n
    }

    private static func writeDecimal(_ value: UInt32, into buffer: UnsafeMutableRawBufferPointer, at start: Int) -> Int {
        let count = digitCount(value)
        var v = value
        var i = start + count - 1
        while i >= start {
            buffer[i] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v % 10)
            v /= 10
            i -= 1
        }
        return start + count
    }
}
