import FlashKit
import Foundation
import Testing
@testable import Simulation

@Suite struct FileBackingTests {
    @Test func absentFileIsCreatedErased() throws {
        let path = temporaryPath("create")
        defer { removeFile(path) }
        let flash = try NORFlashModel(size: 8192, eraseSize: 4096, writeSize: 4, erasedValue: 0x00, backingFile: path)
        #expect(flash.backingFilePath == path)
        let onDisk = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(onDisk.count == 8192)
        #expect(onDisk.allSatisfy { $0 == 0x00 })
    }

    @Test func contentsSurviveAnotherModelOverTheSameFile() throws {
        let path = temporaryPath("survive")
        defer { removeFile(path) }
        let data = pattern(256, seed: 4, avoiding: 0xFF)
        let first = try NORFlashModel(size: 16384, eraseSize: 4096, writeSize: 8, backingFile: path)
        try first.fill(from: pattern(16384, seed: 5, avoiding: 0xFF))
        try first.erase(at: 4096, count: 4096)
        try first.write(at: 4096 + 64, bytes: data)
        try first.sync()

        // A second model (as after a restart of the simulator) while the first still exists.
        let second = try NORFlashModel(size: 16384, eraseSize: 4096, writeSize: 8, backingFile: path)
        #expect(second.snapshot() == first.snapshot())
        #expect(try second.read(at: 4096 + 64, count: 256) == data)
        #expect(try second.isErased(at: 4096, count: 64))
        #expect(try second.isErased(at: 4096 + 320, count: 4096 - 320))
        let onDisk = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect([UInt8](onDisk) == first.snapshot())
    }

    @Test func tornStateIsWrittenThrough() throws {
        let path = temporaryPath("torn")
        defer { removeFile(path) }
        let flash = try NORFlashModel(size: 8192, eraseSize: 4096, writeSize: 4, backingFile: path)
        flash.schedulePowerCut(afterOperations: 0)
        #expect(throws: FlashError.powerCut) { try flash.write(at: 0, bytes: [1, 2, 3, 4, 5, 6, 7, 8]) }
        let reopened = try NORFlashModel(size: 8192, eraseSize: 4096, writeSize: 4, backingFile: path)
        #expect(reopened.bytes(in: 0..<8) == [1, 2, 3, 4, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test(arguments: [0, 4096, 8191, 8193, 16384])
    func sizeMismatchIsRefusedNamingThePath(actual: Int) throws {
        let path = temporaryPath("mismatch")
        defer { removeFile(path) }
        try Data(repeating: 0xFF, count: actual).write(to: URL(fileURLWithPath: path))
        do {
            _ = try NORFlashModel(size: 8192, eraseSize: 4096, writeSize: 4, backingFile: path)
            Issue.record("a \(actual)-byte file was accepted for an 8192-byte device")
        } catch {
            #expect(error == .backingFileSizeMismatch(path: path, expected: 8192, actual: actual))
            #expect(error.description.contains(path))
            #expect(error.description.contains("8192"))
            #expect(error.description.contains("\(actual)"))
        }
        // The file is left alone.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == actual)
    }

    @Test func unopenablePathIsAnIOErrorNamingThePath() {
        let path = "/nonexistent-dir-\(UUID().uuidString)/flash.bin"
        do {
            _ = try NORFlashModel(size: 4096, eraseSize: 4096, writeSize: 4, backingFile: path)
            Issue.record("created a file under a missing directory")
        } catch {
            guard case .backingFileIO(let p, _, let code) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(p == path)
            #expect(code == ENOENT)
            #expect(error.description.contains(path))
        }
    }

    @Test func geometryIsCheckedBeforeTheFileIsTouched() {
        let path = temporaryPath("geometry")
        #expect(throws: NORFlashModelError.self) {
            try NORFlashModel(size: 4096, eraseSize: 1000, writeSize: 4, backingFile: path)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
