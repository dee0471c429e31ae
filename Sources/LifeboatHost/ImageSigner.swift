import BootCrypto
import MCUbootImage

/// What `imgtool sign` is asked to do, with imgtool's defaults.
public struct SigningOptions: Sendable {
    public var version: ImageVersion
    /// `--header-size`: bytes reserved for the header (0x200 in nRF Connect SDK).
    public var headerSize = 0x200
    /// `--pad-header`: prepend `headerSize` erased bytes; without it the input must begin with
    /// `headerSize` zero bytes that the header overwrites.
    public var padHeader = false
    /// `--slot-size`: the image plus its trailer must fit.
    public var slotSize: Int
    /// `--align`: the flash write size (sizes the trailer's status area).
    public var align = 1
    /// `--pad`: pad to the slot size and write the trailer magic (marks the image for a swap).
    public var pad = false
    /// `--confirm`: also set `image_ok` (implies `pad`).
    public var confirm = false
    /// `--security-counter`: a protected SEC_CNT TLV.
    public var securityCounter: UInt32?
    /// `--erased-val`.
    public var erasedValue: UInt8 = 0xFF
    /// `--max-sectors` (trailer status area), `--max-align` (trailer field alignment).
    public var maxSectors = 128
    public var maxAlign: Int?
    /// `--overwrite-only`: the trailer has no status area.
    public var overwriteOnly = false
    /// `--load-addr` (sets the RAM-load flag).
    public var loadAddress: UInt32 = 0
    /// `--public-key-format full`: a PUBKEY TLV instead of KEYHASH.
    public var fullPublicKey = false

    public init(version: ImageVersion, slotSize: Int) {
        self.version = version
        self.slotSize = slotSize
    }

    var effectiveMaxAlign: Int { maxAlign ?? max(8, align) }
    var padsToSlot: Bool { pad || confirm }
}

/// Why an image could not be signed.
public struct SigningError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Builds MCUboot images exactly as imgtool 2.x lays them out:
///
/// ```
/// [header (32 B) + padding to headerSize][body][protected TLVs: 0x6908 + SEC_CNT]
/// [unprotected TLVs: 0x6907 + SHA256 + KEYHASH|PUBKEY + signature][padding + trailer if --pad]
/// ```
///
/// Unsigned (hash-only) and Ed25519 images are byte-identical to imgtool's for the same input,
/// options and key; ECDSA and RSA-PSS signatures are randomised, so only their layout matches.
public struct ImageSigner {
    public var options: SigningOptions
    public var key: SigningKey?

    public init(options: SigningOptions, key: SigningKey? = nil) {
        self.options = options
        self.key = key
    }

    public func sign(_ input: [UInt8]) throws -> [UInt8] {
        let o = options
        guard o.headerSize >= ImageHeader.size, o.headerSize <= Int(UInt16.max) else {
            throw SigningError("header size \(o.headerSize) must be between 32 and 65535")
        }
        var payload: [UInt8]
        if o.padHeader {
            payload = [UInt8](repeating: o.erasedValue, count: o.headerSize) + input
        } else {
            guard input.count >= o.headerSize, input[0..<o.headerSize].allSatisfy({ $0 == 0 }) else {
                throw SigningError("header padding was not requested (--pad-header) and the image does not start with \(o.headerSize) zero bytes")
            }
            payload = input
        }

        var protected: [UInt8] = []
        if let counter = o.securityCounter {
            protected = Self.tlv(TLVType.securityCounter, Self.le32(counter))
            protected = Self.le16(TLVInfo.protectedMagic) + Self.le16(UInt16(TLVInfo.size + protected.count)) + protected
        }
        var flags: ImageFlags = []
        if o.loadAddress != 0 { flags.insert(.ramLoad) }
        let header = ImageHeader(
            loadAddress: o.loadAddress, headerSize: UInt16(o.headerSize), protectedTLVSize: UInt16(protected.count),
            imageSize: UInt32(payload.count - o.headerSize), flags: flags, version: o.version)
        payload.withUnsafeMutableBytes { header.encode(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<ImageHeader.size])) }
        payload += protected

        let digest = payload.withUnsafeBytes { SHA256.hash($0) }.withUnsafeBytes { Array($0) }
        var tlvs = Self.tlv(TLVType.sha256, digest)
        if let key {
            let publicKey = key.publicKey
            tlvs += o.fullPublicKey
                ? Self.tlv(TLVType.publicKey, publicKey.mcubootBytes)
                : Self.tlv(TLVType.keyHash, publicKey.keyHash)
            let signatureType: TLVType = switch key.type {
            case .ecdsaP256: .ecdsaSignature
            case .ed25519: .ed25519
            case .rsa2048: .rsa2048PSS
            case .rsa3072: .rsa3072PSS
            }
            tlvs += Self.tlv(signatureType, try key.signature(payload: payload, digest: digest))
        }
        payload += Self.le16(TLVInfo.unprotectedMagic) + Self.le16(UInt16(TLVInfo.size + tlvs.count)) + tlvs

        let trailer = trailerSize
        if o.slotSize > 0 && payload.count + trailer > o.slotSize {
            throw SigningError("image size (\(payload.count)) + trailer (\(trailer)) exceeds the slot size (\(o.slotSize))")
        }
        if o.padsToSlot {
            let layout = trailerLayout
            let magic = layout.magic
            payload += [UInt8](repeating: o.erasedValue, count: o.slotSize - payload.count - 16)
            payload += (0..<16).map { magic[$0] }
            if o.confirm && !o.overwriteOnly {
                payload[layout.imageOKOffset] = 0x01  // image_ok
            }
        }
        return payload
    }

    /// The trailer imgtool's options describe (MCUboot's `boot_trailer_sz` without encryption keys).
    public var trailerLayout: TrailerLayout {
        let o = options
        return TrailerLayout(slotSize: o.slotSize, writeSize: o.align, maxAlign: o.effectiveMaxAlign,
                             statusSectors: o.maxSectors, overwriteOnly: o.overwriteOnly)
    }

    /// imgtool's `_trailer_size`.
    public var trailerSize: Int { trailerLayout.trailerSize }

    static func tlv(_ type: TLVType, _ value: [UInt8]) -> [UInt8] { le16(type.rawValue) + le16(UInt16(value.count)) + value }
    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { le16(UInt16(truncatingIfNeeded: v)) + le16(UInt16(truncatingIfNeeded: v >> 16)) }
}

extension ImageVersion {
    /// Parses imgtool's version syntax: `major[.minor[.revision]][+build]`.
    public init?(parsing text: String) {
        let parts = text.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false)
        let numbers = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(numbers.count), let major = UInt8(numbers[0]) else { return nil }
        let minor = numbers.count > 1 ? UInt8(numbers[1]) : 0
        let revision = numbers.count > 2 ? UInt16(numbers[2]) : 0
        let build = parts.count > 1 ? UInt32(parts[1]) : 0
        guard let minor, let revision, let build else { return nil }
        self.init(major: major, minor: minor, revision: revision, build: build)
    }
}
