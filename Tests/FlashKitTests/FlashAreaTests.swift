import FlashKit
import Simulation
import Testing

/// A 16 KiB device (4 KiB sectors, 4-byte writes) split into areas: [0, 4K) boot, [4K, 12K) slot,
/// [12K, 16K) scratch.
func makeDevice(erased: UInt8 = 0xFF) throws -> NORFlashModel {
    try NORFlashModel(size: 16384, eraseSize: 4096, writeSize: 4, erasedValue: erased)
}

func bytePattern(_ count: Int, seed: Int) -> [UInt8] {
    // Never 0x00 or 0xFF, so every byte counts as programmed on either kind of part.
    (0..<count).map { (UInt8(truncatingIfNeeded: $0 &* 13 &+ seed) & 0x7F) | 0x01 }
}

@Suite struct FlashAreaTests {
    @Test func areaRebasesOntoTheDevice() throws {
        let device = try makeDevice()
        let slot = try FlashArea(device: device, offset: 4096, size: 8192)
        #expect(slot.size == 8192 && slot.offset == 4096)
        #expect(slot.eraseSize == 4096 && slot.writeSize == 4 && slot.erasedValue == 0xFF)

        try slot.write(at: 0, bytes: [1, 2, 3, 4])
        try slot.write(at: 8188, bytes: [5, 6, 7, 8])
        #expect(device.bytes(in: 4096..<4100) == [1, 2, 3, 4])
        #expect(device.bytes(in: 12284..<12288) == [5, 6, 7, 8])
        #expect(device.trace == [.write(offset: 4096, count: 4), .write(offset: 12284, count: 4)])
        #expect(try slot.read(at: 1, count: 2) == [2, 3])

        try slot.erase(at: 4096, count: 4096)
        #expect(device.trace.last == .erase(offset: 8192, count: 4096))
        #expect(try device.isErased(at: 8192, count: 4096))
        #expect(device.bytes(in: 4096..<4100) == [1, 2, 3, 4])
    }

    /// Ranges that reach outside an 8 KiB area by as little as one byte, or overflow.
    static let outside: [(Int, Int)] = [
        (8192, 4), (8188, 8), (-4, 4), (-4096, 4096), (0, 8196), (8192, 4096), (4096, 8192),
        (Int.max - 3, 4), (4, Int.max - 3), (Int.max, Int.max), (Int.min, 8),
    ]

    @Test(arguments: outside)
    func areaCannotReachOutsideItself(offset: Int, count: Int) throws {
        let device = try makeDevice()
        try device.fill(from: bytePattern(16384, seed: 3))
        let slot = try FlashArea(device: device, offset: 4096, size: 8192)
        let before = device.snapshot()
        device.clearTrace()

        #expect(throws: FlashError.outOfBounds) { try slot.erase(at: offset, count: count) }
        #expect(throws: FlashError.outOfBounds) { try slot.checkBounds(offset: offset, count: count) }
        #expect(throws: FlashError.outOfBounds) { try slot.isErased(at: offset, count: count) }
        // Reads and writes carry a real buffer; keep the offset, clip the length to something we can build.
        let length = min(max(count, 4), 12288) & ~3
        var buffer = [UInt8](repeating: 0, count: length)
        var span = buffer.mutableSpan
        #expect(throws: FlashError.outOfBounds) { try slot.read(at: offset < 0 || offset > 4096 ? offset : 8192, into: &span) }
        _ = consume span
        #expect(throws: FlashError.outOfBounds) {
            try slot.write(at: offset < 0 || offset > 4096 ? offset : 8192, bytes: buffer)
        }
        // Nothing reached the device: no operation, no byte changed.
        #expect(device.trace.isEmpty)
        #expect(device.snapshot() == before)
    }

    @Test func lastByteOfTheAreaIsReachableAndTheNextIsNot() throws {
        let device = try makeDevice()
        let slot = try FlashArea(device: device, offset: 4096, size: 8192)
        _ = try slot.read(at: 8191, count: 1)
        #expect(throws: FlashError.outOfBounds) { _ = try slot.read(at: 8191, count: 2) }
        #expect(throws: FlashError.outOfBounds) { _ = try slot.read(at: 8192, count: 1) }
        _ = try slot.read(at: 8192, count: 0)
        try slot.write(at: 8188, bytes: [1, 2, 3, 4])
        #expect(throws: FlashError.outOfBounds) { try slot.write(at: 8192, bytes: [1, 2, 3, 4]) }
        #expect(device.bytes(in: 12288..<12292) == [0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test(arguments: [
        (4096, 8192, nil), (0, 16384, nil), (16384, 0, nil), (0, 0, nil),
        (2048, 4096, FlashError.misaligned), (4096, 100, .misaligned), (4096, 6144, .misaligned),
        (12288, 8192, .outOfBounds), (0, 20480, .outOfBounds), (-4096, 8192, .outOfBounds),
        (4096, -4096, .outOfBounds), (20480, 0, .outOfBounds), (Int.max, 4096, .outOfBounds),
        (4096, Int.max, .outOfBounds), (Int.min, 4096, .outOfBounds),
    ] as [(Int, Int, FlashError?)])
    func initValidatesPlacement(offset: Int, size: Int, expected: FlashError?) throws {
        let device = try makeDevice()
        if let expected {
            #expect(throws: expected) { try FlashArea(device: device, offset: offset, size: size) }
        } else {
            let area = try FlashArea(device: device, offset: offset, size: size)
            #expect(area.offset == offset && area.size == size)
        }
    }

    @Test(arguments: [UInt8(0xFF), 0x00])
    func eraseInOneAreaLeavesNeighboursUnchanged(erased: UInt8) throws {
        let device = try makeDevice(erased: erased)
        let image = bytePattern(16384, seed: 7)
        try device.fill(from: image)
        let boot = try FlashArea(device: device, offset: 0, size: 4096)
        let slot = try FlashArea(device: device, offset: 4096, size: 8192)
        let scratch = try FlashArea(device: device, offset: 12288, size: 4096)

        try slot.erase(at: 0, count: slot.size)
        #expect(try slot.isErased(at: 0, count: slot.size))
        #expect(device.bytes(in: 0..<4096) == Array(image[0..<4096]))
        #expect(device.bytes(in: 12288..<16384) == Array(image[12288..<16384]))
        #expect(try boot.read(at: 0, count: 4096) == Array(image[0..<4096]))
        #expect(try scratch.read(at: 0, count: 4096) == Array(image[12288..<16384]))
        #expect(try !boot.isErased(at: 4092, count: 4) && !scratch.isErased(at: 0, count: 1))
    }

    @Test func areasOfAnAreaNest() throws {
        let device = try makeDevice()
        let slot = try FlashArea(device: device, offset: 4096, size: 8192)
        let trailer = try FlashArea(device: slot, offset: 4096, size: 4096)
        try trailer.write(at: 4092, bytes: [9, 9, 9, 9])
        #expect(device.bytes(in: 12284..<12288) == [9, 9, 9, 9])
        #expect(throws: FlashError.outOfBounds) { try FlashArea(device: slot, offset: 4096, size: 8192) }
    }

    @Test func powerCutPassesThroughAnArea() throws {
        let device = try makeDevice()
        let slot = try FlashArea(device: device, offset: 4096, size: 8192)
        device.schedulePowerCut(afterOperations: 0)
        #expect(throws: FlashError.powerCut) { try slot.write(at: 0, bytes: [1, 2, 3, 4, 5, 6, 7, 8]) }
        #expect(throws: FlashError.powerCut) { _ = try slot.read(at: 0, count: 1) }
        #expect(device.bytes(in: 4096..<4104) == [1, 2, 3, 4, 0xFF, 0xFF, 0xFF, 0xFF])
    }
}
