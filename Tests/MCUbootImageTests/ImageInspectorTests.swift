import BootCrypto
import FlashKit
import MCUbootImage
import Testing

struct ValidCase: CustomTestStringConvertible, Sendable {
    var headerSize: UInt16
    var bodySize: Int
    var withProtected: Bool
    var erasedValue: UInt8
    var testDescription: String {
        "hdr \(headerSize) body \(bodySize) prot \(withProtected) erased \(erasedValue)"
    }
}

let validCases: [ValidCase] = [32, 0x200].flatMap { hdr in
    [0, 1, 255, 256, 257, 20480].flatMap { body in
        [false, true].flatMap { prot in
            [0xFF, 0x00].map { ValidCase(headerSize: hdr, bodySize: body, withProtected: prot, erasedValue: $0) }
        }
    }
}

@Suite struct ImageInspectorTests {
    @Test(arguments: validCases)
    func acceptsValidImage(_ c: ValidCase) throws {
        var image = TestImage()
        image.headerSize = c.headerSize
        image.body = (0..<c.bodySize).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }
        image.version = ImageVersion(major: 1, minor: 2, revision: 3, build: 4)
        if c.withProtected {
            image.protectedTLVs = [(0x50, le32(7)), (0x40, [1, 0, 0, 0] + [2, 0, 0, 0, 0, 0, 0, 0])]
        }
        image.tlvsBeforeHash = [(0xA0, [1, 2, 3])]  // vendor TLV: skipped
        image.tlvsAfterHash = [(0x01, [UInt8](repeating: 0x11, count: 32))]  // KEYHASH: skipped
        let built = image.build()
        let slot = try #require(inspect(built.bytes, erasedValue: c.erasedValue).image)
        #expect(slot.header.version == ImageVersion(major: 1, minor: 2, revision: 3, build: 4))
        #expect(slot.header.headerSize == c.headerSize)
        #expect(slot.header.imageSize == UInt32(c.bodySize))
        #expect(slot.hash == built.digest)
        #expect(slot.hash == Array(built.bytes[0..<built.hashedSize]).withUnsafeBytes { SHA256.hash($0) })
        #expect(slot.hashTLV == TLVEntry(type: .sha256, offset: built.hashDataOffset, length: 32, isProtected: false))
        #expect(slot.occupiedSize == built.bytes.count)
        #expect(slot.tlvs.protectedArea == built.protectedStart..<built.unprotectedStart)
        #expect(slot.tlvs.unprotectedArea == built.unprotectedStart..<built.bytes.count)
        #expect(slot.isBootable)
    }

    @Test(arguments: [0xFF, 0x00] as [UInt8])
    func erasedSlotIsNoImage(_ erased: UInt8) {
        let flash = MemoryFlash(size: testSlotSize, erasedValue: erased)
        #expect(inspectImage(in: flash).rejection == .noImage)
    }

    @Test func magicAloneErasedIsNoImage() {
        var bytes = TestImage().build().bytes
        bytes.patch([0xFF, 0xFF, 0xFF, 0xFF], at: 0)
        #expect(inspect(bytes).rejection == .noImage)
    }

    enum Region: String, CaseIterable, Sendable { case magic, loadAddress, version, headerPadding, body, protectedTLV, protectedInfo, hashTLV }

    /// One flipped bit anywhere in the hashed range, or in the hash itself, is caught; the reason
    /// depends on where it lands.
    @Test(arguments: Region.allCases, [0, 7])
    func flippedBitIsRejected(_ region: Region, _ bit: Int) {
        var image = TestImage()
        image.protectedTLVs = [(0x50, le32(3))]
        let built = image.build()
        let flash = MemoryFlash(holding: built.bytes, size: testSlotSize)
        let (offset, expected): (Int, ImageRejection) =
            switch region {
            case .magic: (1, .badMagic)
            case .loadAddress: (5, .hashMismatch)
            case .version: (20, .hashMismatch)
            case .headerPadding: (0x100, .hashMismatch)
            case .body: (0x200 + 500, .hashMismatch)
            case .protectedTLV: (built.protectedStart + 8, .hashMismatch)
            // The magic 0x6908 with a flipped bit is no protected area: the sizes disagree.
            case .protectedInfo: (built.protectedStart, .protectedSizeMismatch)
            case .hashTLV: (built.hashDataOffset + 31, .hashMismatch)
            }
        #expect(inspectImage(in: flash).image != nil)
        flash.flipBit(at: offset, bit: bit)
        #expect(inspectImage(in: flash).rejection == expected)
    }

    @Test func truncatedBySlot() {
        let built = TestImage().build()
        // The slot ends inside the body: the header already claims more than the slot holds.
        #expect(inspect(built.bytes, slotSize: 0x300).rejection == .imageExceedsSlot)
        // Hashed part exactly fills the slot (MCUboot requires strictly less).
        #expect(inspect(built.bytes, slotSize: built.hashedSize).rejection == .imageExceedsSlot)
        // Room for part of the TLV info only.
        #expect(inspect(built.bytes, slotSize: built.hashedSize + 2).rejection == .tlvOutOfBounds)
        // The TLV area runs one byte past the end of the slot.
        #expect(inspect(built.bytes, slotSize: built.bytes.count - 1).rejection == .tlvOutOfBounds)
        // Exactly fitting the whole image is fine.
        #expect(inspect(built.bytes, slotSize: built.bytes.count).image != nil)
    }

    @Test func slotSmallerThanHeader() {
        #expect(inspect([], slotSize: 16).rejection == .headerTruncated)
    }

    @Test(arguments: [
        (0xFFFF as UInt16, 0xFFFF_FFFF as UInt32, ImageRejection.sizesOverflow),
        (0x200, 0xFFFF_FE00, .sizesOverflow),
        (0x200, 0xFFFF_0000, .imageExceedsSlot),
        (0x200, UInt32(testSlotSize - 0x200), .imageExceedsSlot),  // exactly fills the slot
        (0x200, UInt32(testSlotSize - 0x200 - 1), .tlvOutOfBounds),  // one byte left: no room for the TLV info
    ])
    func hostileSizes(_ headerSize: UInt16, _ imageSize: UInt32, _ expected: ImageRejection) {
        var bytes = TestImage().build().bytes
        bytes.patch(le16(headerSize), at: 8)
        bytes.patch(le32(imageSize), at: 12)
        #expect(inspect(bytes).rejection == expected)
    }

    @Test(arguments: [
        (ImageFlags.encryptedAES128, ImageRejection?.some(.unsupportedFlags)),
        (.encryptedAES256, .unsupportedFlags),
        (.compressedLZMA1, .unsupportedFlags),
        (.compressedLZMA2, .unsupportedFlags),
        ([.compressedLZMA2, .compressedARMThumbFilter], .unsupportedFlags),
        (.nonBootable, nil),
        (.ramLoad, nil),
        (.romFixed, nil),
    ] as [(ImageFlags, ImageRejection?)])
    func flags(_ flags: ImageFlags, _ expected: ImageRejection?) {
        var image = TestImage()
        image.flags = flags
        let result = inspect(image.build().bytes)
        #expect(result.rejection == expected)
        if expected == nil { #expect(result.image?.isBootable == !flags.contains(.nonBootable)) }
    }

    @Test(arguments: [31, 33, 0, 64])
    func hashTLVWrongSize(_ length: Int) {
        var image = TestImage()
        image.hashLength = length
        #expect(inspect(image.build().bytes).rejection == .hashWrongSize)
    }

    @Test func duplicateHashTLV() {
        var image = TestImage()
        image.hashTLVCount = 2
        #expect(inspect(image.build().bytes).rejection == .duplicateHash)
    }

    @Test func duplicateHashTLVInProtectedArea() {
        var image = TestImage()
        image.protectedTLVs = [(0x10, [UInt8](repeating: 0, count: 32))]
        #expect(inspect(image.build().bytes).rejection == .duplicateHash)
    }

    @Test func missingHashTLV() {
        var image = TestImage()
        image.hashTLVCount = 0
        image.tlvsAfterHash = [(0x11, [UInt8](repeating: 0, count: 48))]  // SHA384 is not ours
        #expect(inspect(image.build().bytes).rejection == .missingHash)
    }

    @Test func emptyUnprotectedArea() {
        var image = TestImage()
        image.hashTLVCount = 0
        #expect(inspect(image.build().bytes).rejection == .missingHash)
    }

    @Test func badUnprotectedMagic() {
        let built = TestImage().build()
        var bytes = built.bytes
        bytes.patch(le16(0x6906), at: built.unprotectedStart)
        #expect(inspect(bytes).rejection == .badTLVInfoMagic)
    }

    enum TLVCorruption: String, CaseIterable, Sendable {
        case hashLengthHuge, hashLengthPastArea, areaTotalTooSmall, areaTotalBelowInfo, areaTotalTrailingBytes
        case areaTotalPastSlot, protectedEntryPastArea, protectedTrailingBytes
    }

    @Test(arguments: TLVCorruption.allCases)
    func tlvLengthsOutsideTheirArea(_ corruption: TLVCorruption) {
        var image = TestImage()
        image.protectedTLVs = [(0x50, le32(1))]
        let built = image.build()
        var bytes = built.bytes
        let unprot = built.unprotectedStart
        let hashLenAt = built.hashDataOffset - 2
        let total = bytes.count - unprot
        var slotSize = testSlotSize
        switch corruption {
        case .hashLengthHuge: bytes.patch(le16(0xFFFF), at: hashLenAt)
        case .hashLengthPastArea: bytes.patch(le16(33), at: hashLenAt); bytes += [0]  // data exists in the slot, not in the area
        case .areaTotalTooSmall: bytes.patch(le16(UInt16(total - 1)), at: unprot + 2)
        case .areaTotalBelowInfo: bytes.patch(le16(3), at: unprot + 2)
        case .areaTotalTrailingBytes: bytes.patch(le16(UInt16(total + 2)), at: unprot + 2); bytes += [0x10, 0x00]
        case .areaTotalPastSlot:
            bytes.patch(le16(0xFFFF), at: unprot + 2)
            slotSize = unprot + 0x1000
        case .protectedEntryPastArea: bytes.patch(le16(5), at: built.protectedStart + 6)
        case .protectedTrailingBytes:
            // The 4-byte SEC_CNT entry claims 2 bytes: the 2 left over cannot hold an entry header.
            bytes.patch(le16(2), at: built.protectedStart + 6)
        }
        #expect(inspect(bytes, slotSize: slotSize).rejection == .tlvOutOfBounds)
    }

    enum Mismatch: String, CaseIterable, Sendable { case headerZeroButPresent, headerLarger, headerSmaller, headerNonZeroButAbsent, infoTotalDiffers }

    @Test(arguments: Mismatch.allCases)
    func protectedSizeMismatch(_ mismatch: Mismatch) {
        var withProtected = TestImage()
        withProtected.protectedTLVs = [(0x50, le32(1))]
        let built = withProtected.build()
        var bytes = built.bytes
        let protSize = UInt16(built.unprotectedStart - built.protectedStart)
        switch mismatch {
        case .headerZeroButPresent: bytes.patch(le16(0), at: 10)
        case .headerLarger: bytes.patch(le16(protSize + 4), at: 10)
        case .headerSmaller: bytes.patch(le16(protSize - 4), at: 10)
        case .headerNonZeroButAbsent:
            bytes = TestImage().build().bytes
            bytes.patch(le16(8), at: 10)
        case .infoTotalDiffers: bytes.patch(le16(protSize + 4), at: built.protectedStart + 2)
        }
        #expect(inspect(bytes).rejection == .protectedSizeMismatch)
    }

    @Test func iteratorYieldsEntriesInOrder() throws {
        var image = TestImage()
        image.protectedTLVs = [(0x50, le32(9)), (0x74, [UInt8](repeating: 0xAB, count: 16))]
        image.tlvsBeforeHash = [(0xA5, [])]
        image.tlvsAfterHash = [(0x01, [UInt8](repeating: 1, count: 32)), (0x24, [UInt8](repeating: 2, count: 64))]
        let built = image.build()
        let flash = MemoryFlash(holding: built.bytes, size: testSlotSize)
        let header = try ImageInspector().readHeader(from: flash)
        let layout = try TLVLayout(reading: flash, header: header)
        var iterator = layout.entries(in: flash)
        var seen: [TLVEntry] = []
        while let entry = try iterator.next() { seen.append(entry) }
        let p = built.protectedStart, u = built.unprotectedStart
        #expect(seen == [
            TLVEntry(type: .securityCounter, offset: p + 8, length: 4, isProtected: true),
            TLVEntry(type: .uuidVendor, offset: p + 16, length: 16, isProtected: true),
            TLVEntry(type: TLVType(rawValue: 0xA5), offset: u + 8, length: 0, isProtected: false),
            TLVEntry(type: .sha256, offset: u + 12, length: 32, isProtected: false),
            TLVEntry(type: .keyHash, offset: u + 48, length: 32, isProtected: false),
            TLVEntry(type: .ed25519, offset: u + 84, length: 64, isProtected: false),
        ])
        #expect(try iterator.next() == nil)
    }

    @Test func iteratorStopsAfterError() throws {
        let built = TestImage().build()
        var bytes = built.bytes
        bytes.patch(le16(0xFFFF), at: built.hashDataOffset - 2)
        let flash = MemoryFlash(holding: bytes, size: testSlotSize)
        let header = try ImageInspector().readHeader(from: flash)
        var iterator = try TLVLayout(reading: flash, header: header).entries(in: flash)
        #expect(throws: ImageRejection.tlvOutOfBounds) { try iterator.next() }
        #expect(try iterator.next() == nil)
    }

    @Test func flashErrorIsReported() {
        let flash = MemoryFlash(holding: TestImage().build().bytes, size: testSlotSize)
        flash.failReads = .deviceFault
        #expect(inspectImage(in: flash).rejection == .flash(.deviceFault))
    }

    /// The inspector sees a partition exactly like a device: an image in the second slot of a
    /// larger flash, behind a FlashArea.
    @Test func inspectsThroughFlashArea() throws {
        let device = MemoryFlash(size: 0x20000, eraseSize: 0x1000)
        let built = TestImage().build()
        device.load(built.bytes, at: 0x10000)
        let secondary = try FlashArea(device: device, offset: 0x10000, size: 0x10000)
        let primary = try FlashArea(device: device, offset: 0, size: 0x10000)
        #expect(inspectImage(in: secondary).image?.hash == built.digest)
        #expect(inspectImage(in: primary).rejection == .noImage)
    }

    @Test func everyRejectionHasADescription() {
        let all: [ImageRejection] = [
            .noImage, .headerTruncated, .badMagic, .headerTooSmall, .sizesOverflow, .imageExceedsSlot,
            .unsupportedFlags, .badTLVInfoMagic, .protectedSizeMismatch, .tlvOutOfBounds, .missingHash,
            .hashWrongSize, .duplicateHash, .hashMismatch, .flash(.timeout),
        ]
        var texts = Set<String>()
        for r in all {
            let d = r.description
            #expect(d.utf8CodeUnitCount > 0)
            texts.insert(d.withUTF8Buffer { String(decoding: $0, as: UTF8.self) })
        }
        #expect(texts.count == all.count)
    }
}
