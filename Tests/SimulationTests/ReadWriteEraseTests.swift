import FlashKit
import Testing
@testable import Simulation

@Suite struct ReadWriteEraseTests {
    @Test(arguments: bothErasedValues)
    func roundTrip(erased: UInt8) throws {
        let flash = try NORFlashModel(size: 8192, eraseSize: 4096, writeSize: 4, erasedValue: erased)
        #expect(flash.erasedValue == erased)
        #expect(try flash.read(at: 0, count: 8192) == [UInt8](repeating: erased, count: 8192))

        let data = pattern(64, seed: 1, avoiding: erased)
        try flash.write(at: 4096 + 128, bytes: data)
        #expect(try flash.read(at: 4096 + 128, count: 64) == data)
        // Unaligned reads are allowed.
        #expect(try flash.read(at: 4096 + 129, count: 3) == Array(data[1..<4]))
        #expect(try flash.read(at: 4096 + 127, count: 1) == [erased])
        #expect(flash.isProgrammed(4096 + 128) && flash.isProgrammed(4096 + 191))
        #expect(!flash.isProgrammed(4096 + 127) && !flash.isProgrammed(4096 + 192))

        try flash.erase(at: 4096, count: 4096)
        #expect(try flash.read(at: 4096, count: 4096) == [UInt8](repeating: erased, count: 4096))
        #expect(!flash.isProgrammed(4096 + 128))
        // Erased again: the same bytes may be written a second time.
        try flash.write(at: 4096 + 128, bytes: data.reversed())
        #expect(try flash.read(at: 4096 + 128, count: 64) == data.reversed())
    }

    @Test(arguments: bothErasedValues)
    func writingTheErasedValueStillProgramsTheByte(erased: UInt8) throws {
        let flash = try NORFlashModel(size: 4096, eraseSize: 4096, writeSize: 4, erasedValue: erased)
        try flash.write(at: 0, bytes: [erased, erased, 0x12, erased])
        #expect(flash.bytes(in: 0..<4) == [erased, erased, 0x12, erased])
        #expect((0..<4).allSatisfy(flash.isProgrammed))
        #expect(throws: FlashError.notErased) { try flash.write(at: 0, bytes: [erased, erased, 0x12, erased]) }
    }

    @Test func emptyOperationsAreValidAndChangeNothing() throws {
        let flash = try NORFlashModel(size: 4096, eraseSize: 1024, writeSize: 4)
        try flash.write(at: 4096, bytes: [])
        try flash.erase(at: 0, count: 0)
        #expect(try flash.read(at: 4096, count: 0) == [])
        #expect(flash.snapshot() == [UInt8](repeating: 0xFF, count: 4096))
        #expect(flash.trace == [.write(offset: 4096, count: 0), .erase(offset: 0, count: 0), .read(offset: 4096, count: 0)])
    }

    @Test func eraseOnlyTouchesItsSectors() throws {
        let flash = try NORFlashModel(size: 4 * 1024, eraseSize: 1024, writeSize: 8)
        let image = pattern(4096, seed: 9, avoiding: 0xFF)
        try flash.fill(from: image)
        try flash.erase(at: 1024, count: 2048)
        let after = flash.snapshot()
        #expect(Array(after[0..<1024]) == Array(image[0..<1024]))
        #expect(after[1024..<3072].allSatisfy { $0 == 0xFF })
        #expect(Array(after[3072..<4096]) == Array(image[3072..<4096]))
        #expect(flash.isProgrammed(1023) && !flash.isProgrammed(1024) && !flash.isProgrammed(3071) && flash.isProgrammed(3072))
    }

    /// A full program of a 1 MiB part: exercises the bulk paths (no timing assertion; run
    /// `swift test --filter oneMebibyte` to see its duration).
    @Test func oneMebibyteProgramEraseCycle() throws {
        let size = 1 << 20
        let flash = try NORFlashModel(size: size, eraseSize: 4096, writeSize: 4)
        let image = pattern(size, seed: 3, avoiding: 0xFF)
        try flash.write(at: 0, bytes: image)
        #expect(flash.bytesWritten == size)
        #expect(try flash.read(at: 0, count: size) == image)
        #expect(throws: FlashError.notErased) { try flash.write(at: size - 4, bytes: [1, 2, 3, 4]) }
        try flash.erase(at: 0, count: size)
        #expect(try flash.isErased(at: 0, count: size))
        // The set-up path (bypassing write-once) over the whole part.
        try flash.fill(from: image)
        #expect(flash.snapshot() == image)
        #expect(flash.isProgrammed(0) && flash.isProgrammed(size - 1))
    }
}
