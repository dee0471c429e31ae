import FlashKit
import Testing
@testable import Simulation

/// Power cuts at every index of a fixed sequence, checked against an independent reference of the
/// documented torn state (see `NORFlashModel`).
@Suite struct PowerCutTests {
    static let size = 1024, eraseSize = 256, writeSize = 4

    enum Step: Sendable {
        case write(Int, [UInt8])
        case erase(Int, Int)

        var operation: FlashOperation {
            switch self {
            case .write(let o, let b): .write(offset: o, count: b.count)
            case .erase(let o, let c): .erase(offset: o, count: c)
            }
        }
    }

    /// Six mutating operations over sectors 0 and 1; sectors 2 and 3 are never touched.
    static func sequence(erased: UInt8) -> [Step] {
        [
            .erase(0, 512),                                      // 0: two sectors
            .write(0, pattern(16, seed: 10, avoiding: erased)),  // 1: 4 units → torn keeps 2
            .write(256, pattern(8, seed: 11, avoiding: erased)), // 2: 2 units → torn keeps 1
            .write(16, pattern(4, seed: 12, avoiding: erased)),  // 3: 1 unit  → torn keeps 0
            .erase(256, 256),                                    // 4: one sector → first 128 bytes
            .write(256, pattern(12, seed: 13, avoiding: erased)),// 5: 3 units → torn keeps 1
        ]
    }

    /// The contents every run starts from: all four sectors programmed with a pattern.
    static func initial(erased: UInt8) -> [UInt8] { pattern(size, seed: 1, avoiding: erased) }

    /// An independent reference: plain arrays, the documented rules, nothing shared with the model.
    struct Reference {
        var bytes: [UInt8]
        var programmed: [Bool]
        let erased: UInt8

        mutating func apply(_ step: Step, torn: Bool) {
            switch step {
            case .write(let offset, let data):
                let keep = torn ? (data.count / writeSize / 2) * writeSize : data.count
                for i in 0..<keep {
                    bytes[offset + i] = data[i]
                    programmed[offset + i] = true
                }
            case .erase(let offset, let count):
                for sector in stride(from: offset, to: offset + count, by: eraseSize) {
                    let keep = torn ? eraseSize / 2 : eraseSize
                    for i in sector..<(sector + keep) {
                        bytes[i] = erased
                        programmed[i] = false
                    }
                }
            }
        }
    }

    func run(_ step: Step, on flash: NORFlashModel) throws(FlashError) {
        switch step {
        case .write(let o, let b): try flash.write(at: o, bytes: b)
        case .erase(let o, let c): try flash.erase(at: o, count: c)
        }
    }

    func makeFlash(erased: UInt8) throws -> NORFlashModel {
        let flash = try NORFlashModel(size: Self.size, eraseSize: Self.eraseSize, writeSize: Self.writeSize, erasedValue: erased)
        try flash.fill(from: Self.initial(erased: erased))
        return flash
    }

    @Test(arguments: bothErasedValues)
    func cleanRunMeasuresSixOperations(erased: UInt8) throws {
        let flash = try makeFlash(erased: erased)
        var reference = Reference(bytes: Self.initial(erased: erased), programmed: Array(repeating: true, count: Self.size), erased: erased)
        for step in Self.sequence(erased: erased) {
            try run(step, on: flash)
            reference.apply(step, torn: false)
        }
        #expect(flash.mutatingOperationCount == 6)
        #expect(firstMismatch(flash.snapshot(), reference.bytes) == nil)
        #expect(flash.isPowered && flash.lastCut == nil)
    }

    @Test(arguments: 0..<6, bothErasedValues)
    func cutAtEveryOperation(index: Int, erased: UInt8) throws {
        let steps = Self.sequence(erased: erased)
        let flash = try makeFlash(erased: erased)
        var reference = Reference(bytes: Self.initial(erased: erased), programmed: Array(repeating: true, count: Self.size), erased: erased)
        flash.schedulePowerCut(afterOperations: index)

        for (i, step) in steps.enumerated() {
            if i < index {
                try run(step, on: flash)  // completes normally
                // Reads between operations do not count toward the cut.
                _ = try flash.read(at: 0, count: 4)
                reference.apply(step, torn: false)
            } else if i == index {
                #expect(throws: FlashError.powerCut) { try run(step, on: flash) }
                reference.apply(step, torn: true)
            } else {
                let before = flash.snapshot()
                #expect(throws: FlashError.powerCut) { try run(step, on: flash) }
                #expect(flash.snapshot() == before)
            }
        }

        #expect(!flash.isPowered)
        #expect(flash.lastCut == steps[index].operation)
        #expect(flash.mutatingOperationCount == index + 1)
        #expect(flash.trace.filter(\.isMutating) == steps[0...index].map(\.operation))
        #expect(throws: FlashError.powerCut) { _ = try flash.read(at: 0, count: 1) }
        #expect(throws: FlashError.powerCut) { _ = try flash.read(at: 512, count: 0) }
        // Set-up helpers see the surviving bytes even with the power off.
        #expect(firstMismatch(flash.snapshot(), reference.bytes) == nil)

        flash.restorePower()
        #expect(flash.isPowered)
        #expect(flash.lastCut == steps[index].operation)
        #expect(try firstMismatch(flash.read(at: 0, count: Self.size), reference.bytes) == nil)
        #expect(firstMismatch((0..<Self.size).map(flash.isProgrammed), reference.programmed) == nil)
        // Sectors 2 and 3 were never part of an operation.
        #expect(flash.bytes(in: 512..<1024) == Array(Self.initial(erased: erased)[512..<1024]))
        // The cut is not re-armed.
        try flash.erase(at: 512, count: 256)
        #expect(flash.isPowered)
    }

    /// The torn states spelled out for two operations, independent of the reference above.
    @Test func tornWriteAndEraseByHand() throws {
        let flash = try NORFlashModel(size: 1024, eraseSize: 256, writeSize: 4)
        flash.schedulePowerCut(afterOperations: 0)
        #expect(throws: FlashError.powerCut) { try flash.write(at: 8, bytes: Array(1...16)) }
        #expect(flash.bytes(in: 4..<28) == [0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8]
            + [UInt8](repeating: 0xFF, count: 12))
        #expect(flash.isProgrammed(15) && !flash.isProgrammed(16))
        #expect(flash.bytesWritten == 8)
        flash.restorePower()
        // The unwritten half is still erased and can be written now.
        try flash.write(at: 16, bytes: Array(9...16))
        #expect(flash.bytes(in: 8..<24) == Array(1...16))

        try flash.fill(from: [UInt8](repeating: 0x00, count: 1024))
        flash.schedulePowerCut(afterOperations: 1)
        try flash.erase(at: 768, count: 256)
        #expect(throws: FlashError.powerCut) { try flash.erase(at: 0, count: 512) }
        #expect(flash.lastCut == .erase(offset: 0, count: 512))
        let after = flash.snapshot()
        #expect(after[0..<128].allSatisfy { $0 == 0xFF } && after[128..<256].allSatisfy { $0 == 0x00 })
        #expect(after[256..<384].allSatisfy { $0 == 0xFF } && after[384..<512].allSatisfy { $0 == 0x00 })
        #expect(after[512..<768].allSatisfy { $0 == 0x00 } && after[768..<1024].allSatisfy { $0 == 0xFF })
    }

    @Test func oneUnitWriteAndOneUnitSectorTearToNothing() throws {
        let flash = try NORFlashModel(size: 64, eraseSize: 4, writeSize: 4, erasedValue: 0x00)
        try flash.write(at: 0, bytes: [1, 2, 3, 4])
        flash.schedulePowerCut(afterOperations: 0)
        #expect(throws: FlashError.powerCut) { try flash.write(at: 4, bytes: [5, 6, 7, 8]) }
        flash.restorePower()
        flash.schedulePowerCut(afterOperations: 0)
        // eraseSize == writeSize: half a sector rounds down to no write unit, so nothing is erased.
        #expect(throws: FlashError.powerCut) { try flash.erase(at: 0, count: 4) }
        flash.restorePower()
        #expect(flash.bytes(in: 0..<8) == [1, 2, 3, 4, 0, 0, 0, 0])
        #expect(flash.isProgrammed(0) && !flash.isProgrammed(4))
    }

    @Test func refusedOperationsDoNotCountTowardTheCut() throws {
        let flash = try NORFlashModel(size: 1024, eraseSize: 256, writeSize: 4)
        flash.schedulePowerCut(afterOperations: 1)
        #expect(throws: FlashError.misaligned) { try flash.write(at: 2, bytes: [1, 2, 3, 4]) }
        #expect(throws: FlashError.outOfBounds) { try flash.erase(at: 1024, count: 256) }
        try flash.write(at: 0, bytes: [1, 2, 3, 4])
        #expect(throws: FlashError.notErased) { try flash.write(at: 0, bytes: [1, 2, 3, 4]) }
        #expect(flash.operationsUntilPowerCut == 0)
        #expect(throws: FlashError.powerCut) { try flash.write(at: 4, bytes: [5, 6, 7, 8, 9, 10, 11, 12]) }
        #expect(flash.bytes(in: 0..<12) == [1, 2, 3, 4, 5, 6, 7, 8, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test func cancelAndCutBetweenOperations() throws {
        let flash = try NORFlashModel(size: 1024, eraseSize: 256, writeSize: 4)
        flash.schedulePowerCut(afterOperations: 0)
        flash.cancelPowerCut()
        try flash.write(at: 0, bytes: [1, 2, 3, 4])
        #expect(flash.isPowered && flash.lastCut == nil)

        flash.cutPower()
        #expect(!flash.isPowered && flash.lastCut == nil)
        let before = flash.snapshot()
        #expect(throws: FlashError.powerCut) { try flash.write(at: 4, bytes: [1, 2, 3, 4]) }
        #expect(throws: FlashError.powerCut) { try flash.erase(at: 0, count: 256) }
        #expect(throws: FlashError.powerCut) { _ = try flash.read(at: 0, count: 4) }
        #expect(flash.snapshot() == before)
        #expect(flash.mutatingOperationCount == 1)
        flash.restorePower()
        #expect(try flash.read(at: 0, count: 4) == [1, 2, 3, 4])
    }
}
