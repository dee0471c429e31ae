import FlashKit
import Simulation
import Testing

@Suite struct NORFlashExtensionTests {
    @Test(arguments: [UInt8(0xFF), 0x00])
    func isErasedSeesOneProgrammedByteAnywhere(erased: UInt8) throws {
        let device = try makeDevice(erased: erased)
        #expect(try device.isErased(at: 0, count: 16384))
        #expect(try device.isErased(at: 5, count: 0))
        // Beyond the 64-byte chunk the helper reads through, and at chunk boundaries.
        for offset in [0, 63, 64, 65, 127, 200, 16383] {
            let flash = try makeDevice(erased: erased)
            try flash.load([~erased], at: offset)
            #expect(try !flash.isErased(at: 0, count: 16384), "byte at \(offset)")
            #expect(try flash.isErased(at: 0, count: offset), "before \(offset)")
            #expect(try flash.isErased(at: offset + 1, count: 16383 - offset), "after \(offset)")
        }
        #expect(throws: FlashError.outOfBounds) { try device.isErased(at: 16380, count: 5) }
        #expect(throws: FlashError.outOfBounds) { try device.isErased(at: 1, count: Int.max) }
    }

    @Test func isErasedIsAboutValuesNotProgrammedFlags() throws {
        // A byte programmed with the erased value reads as erased; isErased is a read-back check.
        let device = try makeDevice()
        try device.write(at: 0, bytes: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try device.isErased(at: 0, count: 4))
        #expect(device.isProgrammed(0))
    }

    @Test(arguments: [
        (0, 1, 0, 4096), (4095, 2, 0, 8192), (4096, 4096, 4096, 4096), (100, 8000, 0, 8192),
        (16383, 1, 12288, 4096), (1, 16383, 0, 16384),
    ])
    func eraseSectorsCoversEveryOverlappingSector(offset: Int, count: Int, start: Int, length: Int) throws {
        let device = try makeDevice()
        let image = bytePattern(16384, seed: 5)
        try device.fill(from: image)
        device.clearTrace()
        try device.eraseSectors(covering: offset, count: count)
        #expect(device.trace == [.erase(offset: start, count: length)])
        let after = device.snapshot()
        #expect(after[start..<(start + length)].allSatisfy { $0 == 0xFF })
        #expect(Array(after[0..<start]) == Array(image[0..<start]))
        #expect(Array(after[(start + length)...]) == Array(image[(start + length)...]))
    }

    @Test func eraseSectorsEdgeCases() throws {
        let device = try makeDevice()
        try device.eraseSectors(covering: 4097, count: 0)
        #expect(device.trace.isEmpty)
        #expect(throws: FlashError.outOfBounds) { try device.eraseSectors(covering: 16383, count: 2) }
        #expect(throws: FlashError.outOfBounds) { try device.eraseSectors(covering: 4, count: Int.max) }
        #expect(throws: FlashError.outOfBounds) { try device.eraseSectors(covering: -1, count: 2) }
        #expect(device.trace.isEmpty)
        let slot = try FlashArea(device: device, offset: 4096, size: 8192)
        try slot.eraseSectors(covering: 4000, count: 200)
        #expect(device.trace == [.erase(offset: 4096, count: 8192)])
    }

    @Test(arguments: [
        (0, 4, nil), (16380, 4, nil), (8, 0, nil), (16384, 0, nil),
        (2, 4, FlashError.misaligned), (4, 6, .misaligned), (16380, 8, .outOfBounds),
        (16384, 4, .outOfBounds), (-4, 4, .outOfBounds), (4, Int.max - 3, .outOfBounds), (Int.max, 1, .outOfBounds),
    ] as [(Int, Int, FlashError?)])
    func checkWrite(offset: Int, count: Int, expected: FlashError?) throws {
        let device = try makeDevice()
        if let expected {
            #expect(throws: expected) { try device.checkWrite(offset: offset, count: count) }
        } else {
            try device.checkWrite(offset: offset, count: count)
        }
    }

    @Test(arguments: [
        (0, 4096, nil), (12288, 4096, nil), (0, 16384, nil), (4096, 0, nil),
        (4, 4096, FlashError.misaligned), (0, 4092, .misaligned), (0, 100, .misaligned),
        (12288, 8192, .outOfBounds), (-4096, 4096, .outOfBounds), (4096, Int.max, .outOfBounds),
    ] as [(Int, Int, FlashError?)])
    func checkErase(offset: Int, count: Int, expected: FlashError?) throws {
        let device = try makeDevice()
        if let expected {
            #expect(throws: expected) { try device.checkErase(offset: offset, count: count) }
        } else {
            try device.checkErase(offset: offset, count: count)
        }
    }

    @Test(arguments: [(0, 0), (1, 8), (7, 8), (8, 8), (9, 16), (4095, 4096)])
    func alignUpToWrite(value: Int, expected: Int) throws {
        let device = try NORFlashModel(size: 16384, eraseSize: 4096, writeSize: 8)
        #expect(device.alignUpToWrite(value) == expected)
    }

    @Test func sectorStartAndPartialRead() throws {
        let device = try makeDevice()
        #expect(device.sectorStart(containing: 0) == 0)
        #expect(device.sectorStart(containing: 4095) == 0)
        #expect(device.sectorStart(containing: 4096) == 4096)
        #expect(device.sectorStart(containing: 16383) == 12288)

        try device.write(at: 0, bytes: [1, 2, 3, 4])
        var buffer = [UInt8](repeating: 0xEE, count: 8)
        var span = buffer.mutableSpan
        try device.read(at: 1, into: &span, count: 3)
        #expect(throws: FlashError.outOfBounds) { try device.read(at: 0, into: &span, count: 9) }
        #expect(throws: FlashError.outOfBounds) { try device.read(at: 0, into: &span, count: -1) }
        _ = consume span
        #expect(buffer == [2, 3, 4, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE])
    }
}
