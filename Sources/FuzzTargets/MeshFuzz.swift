import DFUTarget
import FlashKit
import Foundation
import MCUbootImage
import MeshDFU
import Simulation

/// The Mesh DFU Target (Firmware Update Server + BLOB Transfer Server over the DFU-target core)
/// over a strict NOR model: a sequence of access-layer messages and events.
///
/// Input: records of a 2-byte big-endian opcode, a 2-byte big-endian length and that many payload
/// bytes.
/// Opcodes 0xFFF0…0xFFF3 are events instead: the BLOB receive timeout, a reboot (the node comes
/// back from its persisted record), the apply after its status, the new image's report.
///
/// After every record: nothing outside the secondary slot changed (the primary, the boot stage's
/// area and the rest are the Target's to leave alone), a Firmware Update Get is answered with a
/// status whose phase is one the server enters, and a reply never exceeds its buffer.
enum MeshFuzz {
    static let deviceSize = 0x12000
    static let sectorSize = 0x1000
    static let primary = 0x1000..<0x9000
    static let secondary = 0x9000..<0x11000
    static let maxRecords = 96
    /// The device's contents before each run (ServerFuzz's noise): any stray erase or write shows.
    static let junk = ServerFuzz.noise(count: deviceSize)

    static func run(_ input: UnsafeRawBufferPointer, _ v: inout FuzzViolations) {
        guard let flash = try? NORFlashModel(size: deviceSize, eraseSize: sectorSize, writeSize: 4, erasedValue: 0xFF) else {
            return v.check(false, "cannot build the flash model")
        }
        flash.traceEnabled = false
        try? flash.load(junk, at: 0)
        let slots = ServerFuzz.Slots(areas: [[
            try! FlashArea(device: flash, offset: primary.lowerBound, size: primary.count),
            try! FlashArea(device: flash, offset: secondary.lowerBound, size: secondary.count),
        ]])
        let target = SlotUpdateTarget(core: DFUCore(slots: slots), policy: ImagePolicy())
        var node = MeshDFUNode(target: target)
        var persisted: MeshUpdateState?
        var persistedBLOB: [UInt8] = []
        let outside = ServerFuzz.complement(of: [secondary], in: 0..<deviceSize)
        var buffer = [UInt8](repeating: 0, count: 380)
        var p = 0, count = 0
        while p + 4 <= input.count && count < maxRecords {
            let opcode = UInt16(input[p]) << 8 | UInt16(input[p + 1])
            let length = Int(input[p + 2]) << 8 | Int(input[p + 3])
            p += 4
            let end = min(p + length, input.count)
            let payload = Array(input[p..<end])
            p = end
            count += 1
            switch opcode {
            case 0xFFF0: node.receiveTimeout()
            case 0xFFF1: node = MeshDFUNode(target: target, restoring: persisted, blobRecord: persistedBLOB)
            case 0xFFF2: _ = node.update.completeApply()
            case 0xFFF3: node.update.applied()
            default:
                let reply = payload.withUnsafeBytes { pl in buffer.withUnsafeMutableBytes { node.handle(opcode: opcode, payload: pl, reply: $0) } }
                if let reply { v.check(reply.count <= buffer.count, "record \(count): reply of \(reply.count) B") }
            }
            persisted = node.update.update
            persistedBLOB = node.blobRecord
            for range in outside where !ServerFuzz.same(flash.bytes(in: range), junk, at: range.lowerBound) {
                v.check(false, "record \(count): flash at 0x\(String(range.lowerBound, radix: 16))..<0x\(String(range.upperBound, radix: 16)) changed outside the secondary slot")
            }
            let status = [UInt8]().withUnsafeBytes { pl in buffer.withUnsafeMutableBytes { node.handle(opcode: MeshDFUOpcode.get.rawValue, payload: pl, reply: $0) } }
            let phase = MeshDFUPhase(rawValue: buffer[0] >> 5)
            v.check(status != nil && phase != nil && phase!.rawValue <= MeshDFUPhase.applying.rawValue,
                    "record \(count): Get answered \(String(describing: status)) with phase \(buffer[0] >> 5)")
            if !v.messages.isEmpty { return }
        }
    }
}
