import DFUTarget
import FlashKit
import MCUbootImage
import SMP

/// Request decoding and response writing that serial recovery and an application's MCUmgr
/// server (the simulator's application stage) answer alike: one copy, two servers.
public enum SMPBodies {
    /// The text under `key` in a request map (`os echo`'s `d`, bootloader info's `query`); nil
    /// when absent. A wrong type or a duplicate key throws.
    public static func text(_ key: StaticString, in payload: UnsafeRawBufferPointer) throws(CBORError) -> UnsafeRawBufferPointer? {
        guard !payload.isEmpty else { return nil }
        var reader = CBORReader(payload)
        var scan = try CBORMapScanner(&reader, keys: [key])
        var text: UnsafeRawBufferPointer?
        while let found = try scan.next(&reader) {
            if found == 0 { text = try reader.readText() }
        }
        return text
    }

    /// `"version": "maj.min.rev[.build]"`.
    public static func writeVersion(_ version: ImageVersion, to writer: inout CBORWriter) {
        writer.key("version")
        var text = InlineArray<24, UInt8>(repeating: 0)
        var span = text.mutableSpan
        span.withUnsafeMutableBytes { buffer in
            let n = version.format(into: buffer)
            writer.text(bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// Slot info: `{"images": [{"image": i, "slots": [{"slot": s, "size": n, "upload_image_id": u?}, …]}]}`,
    /// with `uploadImageID` giving the `image` value that reaches each slot (nil: none).
    public static func writeSlotInfo<Slots: SlotMap>(_ slots: Slots, to writer: inout CBORWriter, uploadImageID: (SlotAddress) -> Int?) {
        writer.beginMap()
        writer.key("images")
        writer.beginArray()
        for image in 0..<slots.imageCount {
            writer.beginMap()
            writer.key("image")
            writer.unsigned(UInt64(image))
            writer.key("slots")
            writer.beginArray()
            for slot in 0..<2 {
                guard let area = slots.area(image: image, slot: slot) else { continue }
                writer.beginMap()
                writer.key("slot")
                writer.unsigned(UInt64(slot))
                writer.key("size")
                writer.unsigned(UInt64(area.size))
                if let id = uploadImageID(SlotAddress(image: image, slot: slot)) {
                    writer.key("upload_image_id")
                    writer.unsigned(UInt64(id))
                }
                writer.end()
            }
            writer.end()
            writer.end()
        }
        writer.end()
        writer.end()
    }

    /// The `{"off": next[, "match": m]}` answer to an upload chunk; MCUboot's `"rc": 0` first
    /// when `legacyRC`.
    public static func writeUploadReply(_ outcome: UploadOutcome, legacyRC: Bool, to writer: inout CBORWriter) {
        writer.beginMap()
        if legacyRC {
            writer.key("rc")
            writer.unsigned(0)
        }
        writer.key("off")
        writer.unsigned(UInt64(outcome.replyOffset))
        if case .completed(_, let match?) = outcome {
            // Zephyr's final-chunk image check; MCUboot sends none. Clients that see it check it.
            writer.key("match")
            writer.bool(match)
        }
        writer.end()
    }
}

extension RecoveryEvent {
    /// What an upload chunk's outcome is worth logging (nil for an offset mismatch).
    public static func upload(_ outcome: UploadOutcome, session: UploadSession) -> RecoveryEvent? {
        guard let target = session.target else { return nil }
        switch outcome {
        case .started: return .uploadStarted(target, size: session.imageSize)
        case .written(let next): return .uploadProgress(target, offset: next, size: session.imageSize)
        case .completed(let size, _): return .uploadCompleted(target, size: size)
        case .resumed(let at): return .uploadResumed(target, offset: at, size: session.imageSize)
        case .mismatch: return nil
        }
    }
}
