import FlashKit
@testable import Simulation

/// A deterministic byte pattern that never contains `avoiding` (so every byte of it counts as
/// programmed when loaded).
func pattern(_ count: Int, seed: Int, avoiding erased: UInt8) -> [UInt8] {
    (0..<count).map { i in
        let v = UInt8(truncatingIfNeeded: i &* 31 &+ seed &* 17 &+ 5)
        return v == erased ? 0x5A : v
    }
}

let bothErasedValues: [UInt8] = [0xFF, 0x00]

import Foundation

/// A fresh path in the temporary directory (the file does not exist).
func temporaryPath(_ tag: String) -> String {
    let dir = FileManager.default.temporaryDirectory.path
    return "\(dir)/lifeboat-nor-\(tag)-\(UUID().uuidString).bin"
}

func removeFile(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// The first offset where two images differ, described, or nil when they are equal: keeps a
/// failing comparison of kilobyte images readable.
func firstMismatch<T: Equatable>(_ actual: [T], _ expected: [T]) -> String? {
    guard actual.count == expected.count else { return "count \(actual.count), expected \(expected.count)" }
    guard let i = actual.indices.first(where: { actual[$0] != expected[$0] }) else { return nil }
    return "offset \(i): \(actual[i]), expected \(expected[i])"
}
