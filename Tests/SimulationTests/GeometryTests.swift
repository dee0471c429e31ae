import FlashKit
import Testing
@testable import Simulation

@Suite struct GeometryTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let size: Int, eraseSize: Int, writeSize: Int
        let fragment: String
        var testDescription: String { "size \(size) erase \(eraseSize) write \(writeSize)" }
    }

    @Test(arguments: [
        Case(size: 4096, eraseSize: 1024, writeSize: 3, fragment: "write size 3"),
        Case(size: 4096, eraseSize: 1024, writeSize: 0, fragment: "write size 0"),
        Case(size: 4096, eraseSize: 1000, writeSize: 4, fragment: "erase size 1000"),
        Case(size: 4096, eraseSize: -4, writeSize: 4, fragment: "erase size -4"),
        Case(size: 4096, eraseSize: 4, writeSize: 8, fragment: "erase size 4 is not a multiple of write size 8"),
        Case(size: 4000, eraseSize: 1024, writeSize: 4, fragment: "size 4000"),
        Case(size: 0, eraseSize: 1024, writeSize: 4, fragment: "size 0"),
        Case(size: -1024, eraseSize: 1024, writeSize: 4, fragment: "size -1024"),
    ])
    func invalidGeometryIsRefusedWithAMessage(_ c: Case) {
        do {
            _ = try NORFlashModel(size: c.size, eraseSize: c.eraseSize, writeSize: c.writeSize)
            Issue.record("geometry \(c.testDescription) was accepted")
        } catch {
            guard case .invalidGeometry = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(error.description.contains(c.fragment), "\(error.description)")
        }
    }

    @Test func invalidErasedValueIsRefused() {
        #expect(throws: NORFlashModelError.invalidErasedValue(0xA5)) {
            try NORFlashModel(size: 4096, eraseSize: 1024, writeSize: 4, erasedValue: 0xA5)
        }
    }

    @Test(arguments: [(4096, 4096, 4096), (1 << 20, 4096, 4), (262_144, 2048, 4), (3 * 4096, 4096, 1), (65536, 4096, 256)])
    func validGeometryIsKept(size: Int, eraseSize: Int, writeSize: Int) throws {
        let flash = try NORFlashModel(size: size, eraseSize: eraseSize, writeSize: writeSize)
        #expect(flash.size == size)
        #expect(flash.eraseSize == eraseSize)
        #expect(flash.writeSize == writeSize)
        #expect(flash.erasedValue == 0xFF)
        #expect(flash.snapshot().allSatisfy { $0 == 0xFF })
        #expect(!flash.isProgrammed(0) && !flash.isProgrammed(size - 1))
    }
}
