import FlashKit
import Simulation
import Testing

/// The internal/external pairing of a slot table: internal flash (4 KiB sectors, 4-byte writes,
/// 0xFF) next to a QSPI-like chip (here 0x00-erased, 8 KiB sectors, 1-byte writes, to tell them apart).
@Suite struct EitherFlashTests {
    typealias Slot = EitherFlash<FlashArea<NORFlashModel>, FlashArea<NORFlashModel>>

    @Test func dispatchesToTheCaseItHolds() throws {
        let internalFlash = try NORFlashModel(size: 16384, eraseSize: 4096, writeSize: 4)
        let external = try NORFlashModel(size: 32768, eraseSize: 8192, writeSize: 1, erasedValue: 0x00)
        let primary: Slot = .first(try FlashArea(device: internalFlash, offset: 4096, size: 8192))
        let secondary: Slot = .second(try FlashArea(device: external, offset: 8192, size: 16384))

        #expect(primary.size == 8192 && primary.eraseSize == 4096 && primary.writeSize == 4 && primary.erasedValue == 0xFF)
        #expect(secondary.size == 16384 && secondary.eraseSize == 8192 && secondary.writeSize == 1 && secondary.erasedValue == 0x00)

        try primary.write(at: 0, bytes: [1, 2, 3, 4])
        try secondary.write(at: 3, bytes: [5])
        #expect(internalFlash.trace == [.write(offset: 4096, count: 4)])
        #expect(external.trace == [.write(offset: 8195, count: 1)])
        #expect(try primary.read(at: 0, count: 4) == [1, 2, 3, 4])
        #expect(try secondary.read(at: 2, count: 3) == [0, 5, 0])

        try secondary.erase(at: 0, count: 8192)
        #expect(external.trace.last == .erase(offset: 8192, count: 8192))
        #expect(internalFlash.bytes(in: 4096..<4100) == [1, 2, 3, 4])
        #expect(try primary.isErased(at: 4, count: 8188))
        #expect(throws: FlashError.misaligned) { try primary.write(at: 1, bytes: [1, 2, 3, 4]) }
        #expect(throws: FlashError.outOfBounds) { try secondary.write(at: 16384, bytes: [1]) }
        #expect(throws: FlashError.notErased) { try primary.write(at: 0, bytes: [1, 2, 3, 4]) }
    }
}
