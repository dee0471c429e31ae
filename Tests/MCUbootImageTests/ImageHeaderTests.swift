import MCUbootImage
import Testing

@Suite struct ImageHeaderTests {
    /// The header bytes imgtool 2.5.0 wrote for `--header-size 0x200 --version 1.2.3` over a 20 KiB
    /// payload (host-clients.md §1).
    static let imgtoolHeader: [UInt8] = [
        0x3d, 0xb8, 0xf3, 0x96, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x50, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]

    @Test func parsesImgtoolHeader() throws {
        let header = try Self.imgtoolHeader.withUnsafeBytes { raw throws(ImageRejection) in try ImageHeader(parsing: raw) }
        #expect(header.loadAddress == 0)
        #expect(header.headerSize == 0x200)
        #expect(header.protectedTLVSize == 0)
        #expect(header.imageSize == 0x5000)
        #expect(header.flags == [])
        #expect(header.version == ImageVersion(major: 1, minor: 2, revision: 3, build: 0))
        #expect(header.protectedTLVOffset == 0x5200)
        #expect(header.hashedSize == 0x5200)
    }

    @Test func encodeParseRoundTrip() throws {
        let header = ImageHeader(
            loadAddress: 0x2000_0000, headerSize: 0x20, protectedTLVSize: 12, imageSize: 0x1234,
            flags: [.nonBootable, .ramLoad], version: ImageVersion(major: 9, minor: 8, revision: 0x1234, build: 0xDEAD_BEEF))
        var raw = [UInt8](repeating: 0xAA, count: 40)
        raw.withUnsafeMutableBytes { header.encode(into: $0) }
        #expect(raw[28..<32] == [0, 0, 0, 0])
        #expect(raw[32...] == ArraySlice(repeating: 0xAA, count: 8))
        let parsed = try raw.withUnsafeBytes { raw throws(ImageRejection) in try ImageHeader(parsing: raw) }
        #expect(parsed == header)
    }

    @Test(arguments: [
        (0xffff_ffff as UInt32, ImageRejection.noImage),
        (0x96f3_b83c, .badMagic),  // IMAGE_MAGIC_V1, legacy
        (0x0000_0000, .badMagic),
        (0x3db8_f396, .badMagic),  // big-endian magic
    ])
    func rejectsMagic(_ magic: UInt32, _ expected: ImageRejection) {
        var raw = Self.imgtoolHeader
        raw.patch(le32(magic), at: 0)
        #expect(throws: expected) { try raw.withUnsafeBytes { raw throws(ImageRejection) in try ImageHeader(parsing: raw) } }
    }

    @Test(arguments: [
        (0xFFFF as UInt16, 0xFFFF_FFFF as UInt32, 0 as UInt16, ImageRejection.sizesOverflow),
        (0x200, 0xFFFF_FE00, 0, .sizesOverflow),
        (0x200, 0xFFFF_FD00, 0x100, .sizesOverflow),
        (0x10, 0x100, 0, .headerTooSmall),
        (0, 0x100, 0, .headerTooSmall),
    ])
    func rejectsSizes(_ headerSize: UInt16, _ imageSize: UInt32, _ protectedSize: UInt16, _ expected: ImageRejection) {
        var raw = Self.imgtoolHeader
        raw.patch(le16(headerSize) + le16(protectedSize) + le32(imageSize), at: 8)
        #expect(throws: expected) { try raw.withUnsafeBytes { raw throws(ImageRejection) in try ImageHeader(parsing: raw) } }
    }

    @Test(arguments: [0, 1, 31])
    func rejectsShortBuffer(_ count: Int) {
        let raw = Array(Self.imgtoolHeader[0..<count])
        #expect(throws: ImageRejection.headerTruncated) {
            try raw.withUnsafeBytes { raw throws(ImageRejection) in try ImageHeader(parsing: raw) }
        }
    }

    @Test func largestNonOverflowingSizesParse() throws {
        var raw = Self.imgtoolHeader
        raw.patch(le16(0x20) + le16(0) + le32(0xFFFF_FFDF), at: 8)
        let header = try raw.withUnsafeBytes { raw throws(ImageRejection) in try ImageHeader(parsing: raw) }
        #expect(header.hashedSize == 0xFFFF_FFFF)
    }

    @Test func flagValuesMatchMCUboot() {
        #expect(ImageFlags.pic.rawValue == 0x01)
        #expect(ImageFlags.encryptedAES128.rawValue == 0x04)
        #expect(ImageFlags.encryptedAES256.rawValue == 0x08)
        #expect(ImageFlags.nonBootable.rawValue == 0x10)
        #expect(ImageFlags.ramLoad.rawValue == 0x20)
        #expect(ImageFlags.romFixed.rawValue == 0x100)
        #expect(ImageFlags.compressedLZMA1.rawValue == 0x200)
        #expect(ImageFlags.compressedLZMA2.rawValue == 0x400)
        #expect(ImageFlags.compressedARMThumbFilter.rawValue == 0x800)
    }

    @Test func tlvTypeValuesMatchMCUboot() {
        let expected: [(TLVType, UInt16)] = [
            (.keyHash, 0x01), (.publicKey, 0x02), (.sha256, 0x10), (.sha384, 0x11), (.sha512, 0x12),
            (.rsa2048PSS, 0x20), (.ecdsaSignature, 0x22), (.rsa3072PSS, 0x23), (.ed25519, 0x24),
            (.signaturePure, 0x25), (.encryptedRSA2048, 0x30), (.encryptedKW, 0x31), (.encryptedEC256, 0x32),
            (.encryptedX25519, 0x33), (.encryptedX25519SHA512, 0x34), (.dependency, 0x40),
            (.securityCounter, 0x50), (.bootRecord, 0x60), (.decompressedSize, 0x70), (.decompressedSHA, 0x71),
            (.decompressedSignature, 0x72), (.compressionDecryptedSize, 0x73), (.uuidVendor, 0x74), (.uuidClass, 0x75),
        ]
        for (type, value) in expected { #expect(type.rawValue == value) }
    }
}

@Suite struct ImageVersionTests {
    static func formatted(_ v: ImageVersion) -> String {
        var buffer = [UInt8](repeating: 0, count: ImageVersion.maxFormattedLength)
        let n = buffer.withUnsafeMutableBytes { v.format(into: $0) }
        #expect(n == v.formattedLength)
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    @Test(arguments: [
        (ImageVersion(major: 1, minor: 2, revision: 3), "1.2.3"),
        (ImageVersion(major: 1, minor: 2, revision: 3, build: 4), "1.2.3.4"),
        (ImageVersion(major: 0, minor: 0, revision: 0), "0.0.0"),
        (ImageVersion(major: 10, minor: 0, revision: 100, build: 0), "10.0.100"),
        (ImageVersion(major: 255, minor: 255, revision: 65535, build: 4_294_967_295), "255.255.65535.4294967295"),
    ])
    func format(_ version: ImageVersion, _ text: String) {
        #expect(Self.formatted(version) == text)
    }

    @Test func formatFitsExactBuffer() {
        let v = ImageVersion(major: 1, minor: 22, revision: 333, build: 4444)
        var buffer = [UInt8](repeating: 0, count: v.formattedLength)
        let n = buffer.withUnsafeMutableBytes { v.format(into: $0) }
        #expect(String(decoding: buffer[0..<n], as: UTF8.self) == "1.22.333.4444")
    }

    @Test func ordering() {
        let a = ImageVersion(major: 1, minor: 2, revision: 3)
        #expect(a < ImageVersion(major: 1, minor: 2, revision: 4))
        #expect(a < ImageVersion(major: 1, minor: 3, revision: 0))
        #expect(a < ImageVersion(major: 2, minor: 0, revision: 0))
        #expect(ImageVersion(major: 1, minor: 2, revision: 0x100) > ImageVersion(major: 1, minor: 2, revision: 0xFF))
        // The build number only breaks ties for `<`, and MCUboot's compare ignores it by default.
        let built = ImageVersion(major: 1, minor: 2, revision: 3, build: 9)
        #expect(a < built)
        #expect(a != built)
        #expect(!a.isLower(than: built, includingBuild: false))
        #expect(a.isLower(than: built, includingBuild: true))
        #expect(!built.isLower(than: ImageVersion(major: 1, minor: 2, revision: 2, build: 100), includingBuild: true))
    }
}
