import FlashKit
import Testing
@testable import Simulation

/// The same behaviour on 0xFF and 0x00 parts: only the value of an erased byte differs.
@Suite struct ErasedValueTests {
    @Test(arguments: bothErasedValues)
    func erasedValueIsHonoured(erased: UInt8) throws {
        let other: UInt8 = ~erased
        let flash = try NORFlashModel(size: 4096, eraseSize: 1024, writeSize: 4, erasedValue: erased)
        #expect(flash.snapshot().allSatisfy { $0 == erased })
        #expect(try flash.isErased(at: 0, count: 4096))

        // Any value can be programmed: the model does not simulate AND/OR cell physics.
        try flash.write(at: 1024, bytes: [other, 0x5A, 0xA5, erased])
        #expect(try flash.read(at: 1024, count: 4) == [other, 0x5A, 0xA5, erased])
        #expect(try !flash.isErased(at: 1024, count: 4))
        // ...but only once.
        #expect(throws: FlashError.notErased) { try flash.write(at: 1024, bytes: [erased, erased, erased, erased]) }

        try flash.erase(at: 1024, count: 1024)
        #expect(flash.bytes(in: 1024..<2048).allSatisfy { $0 == erased })
        #expect(try flash.isErased(at: 0, count: 4096))
    }

    @Test(arguments: bothErasedValues)
    func fileLoadTreatsNonErasedBytesAsProgrammed(erased: UInt8) throws {
        let path = temporaryPath("erased-\(erased)")
        defer { removeFile(path) }
        do {
            let flash = try NORFlashModel(size: 4096, eraseSize: 1024, writeSize: 4, erasedValue: erased, backingFile: path)
            try flash.write(at: 0, bytes: [~erased, erased, 0x42, erased])
        }
        let reopened = try NORFlashModel(size: 4096, eraseSize: 1024, writeSize: 4, erasedValue: erased, backingFile: path)
        #expect(reopened.bytes(in: 0..<4) == [~erased, erased, 0x42, erased])
        // Programmed-ness is not stored: a byte holding the erased value loads as erased.
        #expect(reopened.isProgrammed(0) && !reopened.isProgrammed(1) && reopened.isProgrammed(2) && !reopened.isProgrammed(3))
        #expect(throws: FlashError.notErased) { try reopened.write(at: 0, bytes: [1, 2, 3, 4]) }
        try reopened.write(at: 4, bytes: [1, 2, 3, 4])
    }
}
