import DFUTarget
import MCUbootImage

/// The access-layer opcodes of the Firmware Update models (two-byte SIG opcodes 0x83 0x08 …
/// 0x83 0x10; inapp-dfu.md §3.3).
public enum MeshDFUOpcode: UInt16, Equatable, Sendable {
    case infoGet = 0x8308
    case infoStatus = 0x8309
    case metadataCheck = 0x830A
    case metadataStatus = 0x830B
    case get = 0x830C
    case start = 0x830D
    case cancel = 0x830E
    case apply = 0x830F
    case status = 0x8310
}

/// The phase of a firmware update on the Target (`enum bt_mesh_dfu_phase`).
public enum MeshDFUPhase: UInt8, Equatable, Sendable {
    case idle = 0
    case transferError = 1
    case transferActive = 2
    case verify = 3
    case verifyOK = 4
    case verifyFail = 5
    case applying = 6
    /// Defined by the specification; the server never enters it (a Cancel goes to idle).
    case transferCanceled = 7
    case applySuccess = 8
    case applyFail = 9
    /// The Distributor's "no answer yet"; never a Target's phase.
    case unknown = 10

    /// Whether a new update may start (Zephyr's `bt_mesh_dfu_srv_is_busy` negated).
    public var acceptsNewUpdate: Bool { self == .idle || self == .transferError || self == .verifyFail }

    /// The phase after a reboot in this one: an apply survives (the new image reports back), an
    /// interrupted transfer becomes resumable, and a verification result is not trusted across a
    /// reboot (the slot may have been touched): verify again by a new Start.
    public var afterReboot: MeshDFUPhase {
        switch self {
        case .transferActive: .transferError
        case .verify, .verifyOK: .verifyFail
        default: self
        }
    }
}

/// What applying the update does to the node (`enum bt_mesh_dfu_effect`).
public enum MeshDFUEffect: UInt8, Equatable, Sendable {
    /// The node stays provisioned; its Composition Data does not change.
    case none = 0
    /// Composition Data changes and the node has no Remote Provisioning.
    case compositionChangeNoRemoteProvisioning = 1
    /// Composition Data changes; Remote Provisioning is supported.
    case compositionChange = 2
    /// The node is unprovisioned after the update.
    case unprovision = 3
}

/// Little-endian reads from an access-layer payload; every read is bounds-checked and a short
/// payload is nil, never a trap.
struct PayloadReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - position }

    mutating func u8() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func le(_ count: Int) -> UInt64? {
        guard count <= 8, remaining >= count else { return nil }
        var value: UInt64 = 0
        for i in 0..<count { value |= UInt64(bytes[position + i]) << UInt64(8 * i) }
        position += count
        return value
    }

    /// The BLOB id of a BLOB transfer record (bytes 1…8), without moving; nil when too short.
    var peekID: UInt64? {
        guard bytes.count >= 9 else { return nil }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[1 + i]) << UInt64(8 * i) }
        return value
    }

    /// The rest of the payload.
    mutating func rest() -> UnsafeRawBufferPointer {
        defer { position = bytes.count }
        return UnsafeRawBufferPointer(rebasing: bytes[position...])
    }
}

/// Little-endian writes into a reply buffer the caller lends; `fits` turns false (and nothing
/// more is written) once a write would run past its end.
public struct PayloadWriter {
    let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written.
    public private(set) var count = 0
    public private(set) var fits = true

    public init(_ buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }

    mutating func u8(_ value: UInt8) { le(UInt64(value), 1) }

    mutating func le(_ value: UInt64, _ width: Int) {
        guard fits, count + width <= buffer.count else { fits = false; return }
        for i in 0..<width { buffer[count + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i)) }
        count += width
    }

    mutating func bytes(_ source: UnsafeRawBufferPointer) {
        guard fits, count + source.count <= buffer.count else { fits = false; return }
        for i in 0..<source.count { buffer[count + i] = source[i] }
        count += source.count
    }
}

/// The firmware metadata a Distributor sends with Metadata Check and Start (Zephyr's
/// `bt_mesh_dfu_metadata`, inapp-dfu.md §3.1): version, size and core type always; the
/// Composition Data hash and element count when the image is for the application core.
public struct MeshDFUMetadata: Equatable, Sendable {
    public struct CoreType: OptionSet, Equatable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let application = CoreType(rawValue: 0x01)
        public static let network = CoreType(rawValue: 0x02)
        public static let applicationSpecificBLOB = CoreType(rawValue: 0x04)
    }

    public var version: ImageVersion
    /// Image size in bytes (24 bits on the air).
    public var size: Int
    public var coreType: CoreType
    /// Low four bytes of the AES-CMAC over the new Composition Data (application core only).
    public var compositionHash: UInt32?
    /// Elements of the new Composition Data (application core only).
    public var elements: UInt16?
    /// Bytes of vendor user data after the fields above.
    public var userDataCount: Int

    public init(version: ImageVersion, size: Int, coreType: CoreType, compositionHash: UInt32? = nil, elements: UInt16? = nil, userDataCount: Int = 0) {
        self.version = version
        self.size = size
        self.coreType = coreType
        self.compositionHash = compositionHash
        self.elements = elements
        self.userDataCount = userDataCount
    }

    /// Decodes metadata; nil when it is shorter than its fields.
    public init?(decoding bytes: UnsafeRawBufferPointer) {
        var reader = PayloadReader(bytes)
        guard let major = reader.u8(), let minor = reader.u8(), let revision = reader.le(2), let build = reader.le(4),
            let size = reader.le(3), let core = reader.u8()
        else { return nil }
        version = ImageVersion(major: major, minor: minor, revision: UInt16(revision), build: UInt32(build))
        self.size = Int(size)
        coreType = CoreType(rawValue: core)
        if coreType.contains(.application) {
            guard let hash = reader.le(4), let elements = reader.le(2) else { return nil }
            compositionHash = UInt32(hash)
            self.elements = UInt16(elements)
        }
        userDataCount = reader.remaining
    }

    /// The encoding `init(decoding:)` reads (without user data).
    public func encode(into writer: inout PayloadWriter) {
        writer.u8(version.major)
        writer.u8(version.minor)
        writer.le(UInt64(version.revision), 2)
        writer.le(UInt64(version.build), 4)
        writer.le(UInt64(size), 3)
        writer.u8(coreType.rawValue)
        if coreType.contains(.application) {
            writer.le(UInt64(compositionHash ?? 0), 4)
            writer.le(UInt64(elements ?? 0), 2)
        }
    }
}

/// A firmware ID in the form of nRF Connect SDK's Mesh DFU sample (10 bytes): company id le16,
/// then the MCUboot header's version (major, minor, revision le16, build le32). A Target builds
/// it from the primary slot's header, so it changes exactly when another image runs.
public struct MeshFirmwareID: Equatable, Sendable {
    public static let byteCount = 10
    public var companyID: UInt16
    public var version: ImageVersion

    public init(companyID: UInt16, version: ImageVersion) {
        self.companyID = companyID
        self.version = version
    }

    public init?(decoding bytes: UnsafeRawBufferPointer) {
        var reader = PayloadReader(bytes)
        guard bytes.count == Self.byteCount, let company = reader.le(2), let major = reader.u8(), let minor = reader.u8(),
            let revision = reader.le(2), let build = reader.le(4)
        else { return nil }
        companyID = UInt16(company)
        version = ImageVersion(major: major, minor: minor, revision: UInt16(revision), build: UInt32(build))
    }

    public func encode(into writer: inout PayloadWriter) {
        writer.le(UInt64(companyID), 2)
        writer.u8(version.major)
        writer.u8(version.minor)
        writer.le(UInt64(version.revision), 2)
        writer.le(UInt64(version.build), 4)
    }
}

/// Fletcher-16 (RFC 1146) over the metadata of a Start: how the server tells a repeated Start of
/// the same update from a new one without keeping the metadata.
public func fletcher16(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
    var sum1: UInt32 = 0, sum2: UInt32 = 0
    for byte in bytes {
        sum1 = (sum1 + UInt32(byte)) % 255
        sum2 = (sum2 + sum1) % 255
    }
    return UInt16(sum2 << 8 | sum1)
}
