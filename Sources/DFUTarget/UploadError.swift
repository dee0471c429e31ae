import FlashKit

/// Why an upload chunk was refused. Each maps to one `rc` (SMP v1) or one image-group error
/// (SMP v2) in ``RecoveryServer``; the upload state is unchanged by a refused chunk except where
/// noted.
public enum UploadError: Error, Equatable, Sendable {
    /// `off` is 0 but `len` is absent (MCUboot treats it as SIZE_MAX and fails the size check).
    case missingLength
    /// `len` is 0.
    case emptyImage
    /// `len` is larger than the target slot.
    case lengthExceedsSlot
    /// The `image` number names no slot under the active policy and layout.
    case imageOutOfRange
    /// `off + data` runs past `len` (MCUboot skips this check for the first chunk; Lifeboat does not).
    case dataPastEnd
    /// `sha` is longer than 32 bytes (Zephyr's `IMG_MGMT_DATA_SHA_LEN`).
    case hashTooLong
    /// A chunk after the first names (with `image`) another slot than the upload in progress:
    /// typically a second client interleaving its upload. Nothing is written; the session is kept.
    case imageMismatch
    /// The slot's write size is larger than the padding buffer (a layout problem, not input).
    case unsupportedWriteSize
    /// Erasing the next sector failed. The session is abandoned: the client must restart at 0.
    case eraseFailed(FlashError)
    /// Programming the chunk failed. The session is abandoned: the client must restart at 0.
    case writeFailed(FlashError)
    /// Reading the slot back for the final hash check failed (the image is written; the
    /// client learns nothing about it and should read the image state).
    case readFailed(FlashError)

    public var description: StaticString {
        switch self {
        case .missingLength: "upload starts without len"
        case .emptyImage: "len is 0"
        case .lengthExceedsSlot: "len is larger than the slot"
        case .imageOutOfRange: "image number names no slot for this policy"
        case .dataPastEnd: "data runs past len"
        case .hashTooLong: "sha is longer than 32 bytes"
        case .imageMismatch: "chunk names another image than the upload in progress"
        case .unsupportedWriteSize: "slot write size not supported"
        case .eraseFailed: "flash erase failed"
        case .writeFailed: "flash write failed"
        case .readFailed: "flash read failed"
        }
    }
}
