import FlashKit
import MCUbootImage
import Testing

/// MCUboot's trailer: offsets, sizes and the bytes each write leaves (inapp-dfu.md §2.1,
/// mcuboot-serial-recovery.md §6.1), read back byte by byte.
@Suite struct ImageTrailerTests {
    /// The seed's 472 KiB slot (S = 0x76000, 4 KiB sectors, 4-byte words).
    static let slotSize = 0x76000

    @Test func offsetsOfTheNRF52840Slot() {
        let t = TrailerLayout(slotSize: Self.slotSize, eraseSize: 0x1000, writeSize: 4)
        #expect(t.maxAlign == 8)
        #expect(t.magicOffset == 0x75FF0)
        #expect(t.imageOKOffset == 0x75FE8)
        #expect(t.copyDoneOffset == 0x75FE0)
        #expect(t.swapInfoOffset == 0x75FD8)
        #expect(t.swapSizeOffset == 0x75FD0)
        // Auto sector count: 118 sectors × 3 states × 4 bytes + 4 × 8 + 16.
        #expect(t.statusSectors == 118)
        #expect(t.trailerSize == 118 * 12 + 48)
        #expect(t.statusOffset == Self.slotSize - t.trailerSize)
        #expect(t.statusEntryOffset(sector: 1, state: 2) == t.statusOffset + 5 * 4)
    }

    /// imgtool's `_trailer_size` for its defaults and options (the figures its `--pad` uses).
    @Test(arguments: [
        (4, 128, nil, false, 1584),  // the reference's example: 1536 + 48
        (1, 128, nil, false, 384 + 48),
        (8, 64, nil, false, 1536 + 48),
        (16, 128, nil, false, 6144 + 64 + 16),  // BOOT_MAX_ALIGN follows the write size
        (4, 128, 32, false, 1536 + 128 + 32),
        (4, 128, nil, true, 16 + 16),  // overwrite-only: image_ok, copy_done, magic
    ] as [(Int, Int, Int?, Bool, Int)])
    func imgtoolTrailerSizes(writeSize: Int, sectors: Int, maxAlign: Int?, overwriteOnly: Bool, expected: Int) {
        let t = TrailerLayout(slotSize: 0x40000, writeSize: writeSize, maxAlign: maxAlign, statusSectors: sectors, overwriteOnly: overwriteOnly)
        #expect(t.trailerSize == expected)
    }

    @Test func bothMagicForms() {
        let narrow = TrailerLayout(slotSize: 0x1000, writeSize: 4, statusSectors: 1).magic
        #expect((0..<16).map { narrow[$0] } == [0x77, 0xC2, 0x95, 0xF3, 0x60, 0xD2, 0xEF, 0x7F, 0x35, 0x52, 0x50, 0x0F, 0x2C, 0xB6, 0x79, 0x80])
        let wide = TrailerLayout(slotSize: 0x1000, writeSize: 16, statusSectors: 1)
        let magic = wide.magic
        #expect((0..<16).map { magic[$0] } == [0x10, 0x00, 0x2D, 0xE1, 0x5D, 0x29, 0x41, 0x0B, 0x8D, 0x77, 0x67, 0x9C, 0x11, 0x0F, 0x1F, 0x8A])
        #expect((0..<16).map { magic[$0] }.withUnsafeBytes { ImageTrailer.magicAlign($0) } == 16)
        let standard = (0..<16).map { ImageTrailer.standardMagic[$0] }
        #expect(standard.withUnsafeBytes { ImageTrailer.magicAlign($0) } == 8)
        var torn = standard
        torn[15] = 0xFF
        #expect(torn.withUnsafeBytes { ImageTrailer.magicAlign($0) } == nil)
    }

    /// `boot_set_pending(0)` (test) on an erased secondary: magic, then swap_info 0x02, each padded
    /// to the 4-byte word with the erased value; image_ok stays erased.
    @Test(arguments: [UInt8(0xFF), 0x00])
    func setPendingTestWritesMagicAndSwapInfo(erased: UInt8) throws {
        let slot = MemoryFlash(size: Self.slotSize, eraseSize: 0x1000, writeSize: 4, erasedValue: erased)
        let t = TrailerLayout(slot: slot)
        #expect(try ImageTrailer(reading: slot, layout: t) == ImageTrailer(magic: .unset, imageOK: .unset, copyDone: .unset))
        try t.writeMagic(to: slot)
        try t.writeSwapInfo(.test, image: 0, to: slot)
        #expect(Array(slot.bytes[0x75FF0..<0x76000]) == (0..<16).map { ImageTrailer.standardMagic[$0] })
        #expect(Array(slot.bytes[0x75FD8..<0x75FE0]) == [0x02, erased, erased, erased, erased, erased, erased, erased])
        #expect(slot.bytes[0x75FE0..<0x75FF0].allSatisfy { $0 == erased })
        #expect(slot.bytes[0..<0x75FD8].allSatisfy { $0 == erased })
        let read = try ImageTrailer(reading: slot, layout: t)
        #expect(read == ImageTrailer(magic: .good, imageOK: .unset, copyDone: .unset, swapType: .test, swapImage: 0))
    }

    /// `boot_set_pending_multi(1, permanent)`: magic, image_ok 0x01, swap_info 0x13.
    @Test func setPendingPermanentForImage1() throws {
        let slot = MemoryFlash(size: 0x20000, eraseSize: 0x1000, writeSize: 4)
        let t = TrailerLayout(slot: slot)
        try t.writeMagic(to: slot)
        try t.writeImageOK(to: slot)
        try t.writeSwapInfo(.permanent, image: 1, to: slot)
        #expect(Array(slot.bytes[0x1FFE8..<0x1FFEC]) == [0x01, 0xFF, 0xFF, 0xFF])
        #expect(Array(slot.bytes[0x1FFD8..<0x1FFDC]) == [0x13, 0xFF, 0xFF, 0xFF])
        let read = try ImageTrailer(reading: slot, layout: t)
        #expect(read == ImageTrailer(magic: .good, imageOK: .set, copyDone: .unset, swapType: .permanent, swapImage: 1))
    }

    @Test func copyDoneAndSwapSizeRoundTrip() throws {
        let slot = MemoryFlash(size: 0x8000, eraseSize: 0x1000, writeSize: 8)
        let t = TrailerLayout(slot: slot)
        try t.writeCopyDone(to: slot)
        try t.writeSwapSize(0x0001_2345, to: slot)
        #expect(Array(slot.bytes[t.swapSizeOffset..<(t.swapSizeOffset + 8)]) == [0x45, 0x23, 0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF])
        let read = try ImageTrailer(reading: slot, layout: t)
        #expect(read.copyDone == .set && read.swapSize == 0x12345 && read.magic == .unset)
    }

    /// Garbage decodes to defined states: a non-magic is BAD, a flag neither erased nor 0x01 is
    /// BAD, a swap type beyond REVERT reads as NONE.
    @Test func garbageDecodesToDefinedStates() throws {
        let slot = MemoryFlash(size: 0x4000, eraseSize: 0x1000, writeSize: 1)
        let t = TrailerLayout(slot: slot)
        for i in (0x4000 - 64)..<0x4000 { slot.bytes[i] = 0xA7 }
        let read = try ImageTrailer(reading: slot, layout: t)
        #expect(read.magic == .bad && read.imageOK == .bad && read.copyDone == .bad)
        #expect(read.swapType == .none && read.swapImage == 0xA)
        slot.bytes[t.swapInfoOffset] = 0x14
        #expect(try ImageTrailer(reading: slot, layout: t).swapType == .revert)
        #expect(try ImageTrailer(reading: slot, layout: t).swapImage == 1)
    }

    /// The trailer writes refuse to write over what is there (NOR write-once), so a stale field is
    /// an error, never a silently merged byte.
    @Test func rewritingAFieldIsRefused() throws {
        let slot = MemoryFlash(size: 0x4000, eraseSize: 0x1000, writeSize: 4)
        let t = TrailerLayout(slot: slot)
        try t.writeImageOK(to: slot)
        #expect(throws: FlashError.notErased) { try t.writeImageOK(to: slot) }
    }

    // MARK: boot_set_next

    /// Test, permanent and confirm, byte by byte on the 472 KiB slot (inapp-dfu.md §2.1).
    @Test func setNextWritesWhatMCUbootWrites() throws {
        let secondary = MemoryFlash(size: Self.slotSize, eraseSize: 0x1000, writeSize: 4)
        let t = TrailerLayout(slot: secondary)
        // Test: magic + swap_info TEST.
        try t.setNext(secondary, image: 0, active: false, confirm: false)
        #expect(Array(secondary.bytes[0x75FD8..<0x76000]) == [0x02, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0xFF, count: 20)
                + (0..<16).map { ImageTrailer.standardMagic[$0] })
        // Magic GOOD, not active: a second request (test or permanent) writes nothing.
        let before = secondary.bytes
        try t.setNext(secondary, image: 0, active: false, confirm: true)
        #expect(secondary.bytes == before)

        // Permanent for image 1: magic + image_ok + swap_info 0x13.
        let other = MemoryFlash(size: Self.slotSize, eraseSize: 0x1000, writeSize: 4)
        try t.setNext(other, image: 1, active: false, confirm: true)
        #expect(try ImageTrailer(reading: other, layout: t)
                == ImageTrailer(magic: .good, imageOK: .set, copyDone: .unset, swapType: .permanent, swapImage: 1))
        #expect(Array(other.bytes[0x75FE8..<0x75FEC]) == [0x01, 0xFF, 0xFF, 0xFF])

        // Confirm of the active (swapped-in) primary: image_ok only, once.
        let primary = MemoryFlash(size: Self.slotSize, eraseSize: 0x1000, writeSize: 4)
        try t.writeMagic(to: primary)
        try t.writeCopyDone(to: primary)
        try t.setNext(primary, image: 0, active: true, confirm: false)
        #expect(try ImageTrailer(reading: primary, layout: t).imageOK == .set)
        let confirmed = primary.bytes
        try t.setNext(primary, image: 0, active: true, confirm: true)
        #expect(primary.bytes == confirmed)

        // A factory image without a trailer: confirming it writes nothing.
        let factory = MemoryFlash(size: Self.slotSize, eraseSize: 0x1000, writeSize: 4)
        try t.setNext(factory, image: 0, active: true, confirm: true)
        #expect(factory.bytes.allSatisfy { $0 == 0xFF })
    }

    @Test func setNextRefusesABadMagic() throws {
        let slot = MemoryFlash(size: 0x4000, eraseSize: 0x1000, writeSize: 4)
        slot.bytes[0x4000 - 3] = 0x00
        let t = TrailerLayout(slot: slot)
        #expect(throws: SetNextError.badMagic(active: false)) { try t.setNext(slot, image: 0, active: false, confirm: false) }
        #expect(throws: SetNextError.badMagic(active: true)) { try t.setNext(slot, image: 0, active: true, confirm: true) }
    }
}
