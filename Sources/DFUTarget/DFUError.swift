import FlashKit
import SMP

/// The DFU target's one error enum: why an upload chunk, a state write or an erase was refused.
/// Every front end maps it to its protocol here and nowhere else: SMP v2 image-group codes
/// (``imageManagementError``), MCUboot recovery's SMP v1 `rc` (``mgmtError``), and the
/// application's v1 translation (``zephyrMGMTError``, Zephyr's `img_mgmt_translate_error_code`).
/// A refused request leaves the upload state unchanged except where noted.
public enum DFUError: Error, Equatable, Sendable {
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

    // State write (test / confirm) and erase.
    /// A state write without a hash that is not a confirm, or a hash that is not 32 bytes.
    case invalidHash
    /// No slot holds an image whose SHA-256 TLV is the hash given.
    case hashNotFound
    /// A confirm of an image that is not running (only the active slot can be confirmed).
    case confirmationDenied
    /// A test of the image that is running (it is already in the primary).
    case testToActiveDenied
    /// Another swap is already scheduled, or the running test image must be confirmed (or
    /// reverted) first.
    case alreadyPending
    /// The slot is in use: the running image, or the revert target of an unconfirmed test image.
    case noFreeSlot
    /// The slot's trailer magic is neither erased nor good (MCUboot `BOOT_EBADVECT` for the
    /// active slot, `BOOT_EBADIMAGE` otherwise): a torn or stale trailer, erase the slot first.
    case badTrailer(active: Bool)
    /// Writing the trailer failed.
    case trailerWriteFailed(FlashError)
    /// `upgrade: true` and the image is not newer than the running one.
    case currentVersionIsNewer
    /// The first chunk is too short for an image header, or its magic is not an image's.
    case invalidImageHeader

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
        case .invalidHash: "hash missing or not 32 bytes"
        case .hashNotFound: "no slot holds an image with that hash"
        case .confirmationDenied: "only the running image can be confirmed"
        case .testToActiveDenied: "that image is already the running one"
        case .alreadyPending: "a swap is already scheduled (or the running test image is unconfirmed)"
        case .noFreeSlot: "the slot is in use (running image, or the revert target)"
        case .badTrailer: "the slot's trailer is damaged: erase the slot first"
        case .trailerWriteFailed: "trailer write failed"
        case .currentVersionIsNewer: "the running image is not older than this one"
        case .invalidImageHeader: "the first chunk does not start with an image header"
        }
    }
}

/// Source compatibility: the upload core's errors are the DFU target's.
public typealias UploadError = DFUError

extension DFUError {
    /// The image-group error an SMP v2 client gets (Zephyr's `img_mgmt_err_code_t`).
    public var imageManagementError: ImageManagementError {
        switch self {
        case .missingLength, .emptyImage: .invalidLength
        case .lengthExceedsSlot: .invalidImageTooLarge
        case .imageOutOfRange: .invalidSlot
        case .dataPastEnd: .invalidImageDataOverrun
        case .hashTooLong, .invalidHash: .invalidHash
        case .imageMismatch: .flashContextAlreadySet
        case .unsupportedWriteSize: .flashConfigQueryFail
        case .eraseFailed: .flashEraseFailed
        case .writeFailed, .trailerWriteFailed: .flashWriteFailed
        case .readFailed: .flashReadFailed
        case .hashNotFound: .hashNotFound
        case .confirmationDenied: .imageConfirmationDenied
        case .testToActiveDenied: .imageSettingTestToActiveDenied
        case .alreadyPending: .imageAlreadyPending
        case .noFreeSlot: .noFreeSlot
        case .badTrailer(let active): active ? .invalidImageVectorTable : .invalidImageHeaderMagic
        case .currentVersionIsNewer: .currentVersionIsNewer
        case .invalidImageHeader: .invalidImageHeader
        }
    }

    /// The `rc` an SMP v1 client of serial recovery gets: EINVAL, as MCUboot answers every upload
    /// refusal, except a chunk of another image than the upload in progress (EBADSTATE: the
    /// request is fine, the device is busy); for state writes MCUboot's `bs_set` codes (ENOENT
    /// for an unknown hash) and EBADSTATE for what the slots' state forbids.
    public var mgmtError: MGMTError {
        switch self {
        case .imageMismatch, .alreadyPending, .noFreeSlot, .confirmationDenied, .testToActiveDenied, .badTrailer: .badState
        case .hashNotFound: .notFound
        case .trailerWriteFailed: .unknown
        default: .invalid
        }
    }

    /// The `rc` an SMP v1 client of the application gets: Zephyr's
    /// `img_mgmt_translate_error_code` applied to ``imageManagementError``.
    public var zephyrMGMTError: MGMTError {
        switch imageManagementError {
        case .noImage, .noTLVs: .notFound
        case .noFreeSlot, .currentVersionIsNewer, .imageAlreadyPending: .badState
        case .invalidSlot, .invalidPageOffset, .invalidOffset, .invalidLength, .invalidImageHeader, .invalidHash, .invalidFlashAddress: .invalid
        case .noFreeMemory: .noMemory
        default: .unknown
        }
    }
}

/// The status codes of the Bluetooth Mesh Firmware Update Server (`enum bt_mesh_dfu_status`,
/// Mesh DFU specification §8.4.1.1): what a Distributor reads in the low three bits of a Firmware
/// Update Status or Firmware Update Firmware Metadata Status.
public enum MeshDFUStatus: UInt8, Equatable, Sendable {
    case success = 0
    /// The image does not fit, or the device lacks what the update needs.
    case insufficientResources = 1
    /// The request is not valid in the current phase.
    case wrongPhase = 2
    /// An internal error (flash failure, an unexpected refusal of the storage).
    case internalError = 3
    /// The firmware image index names no image.
    case wrongFirmwareIndex = 4
    /// The metadata check refused the update.
    case metadataCheckFailed = 5
    /// The server cannot start a transfer now; retry later.
    case temporarilyUnavailable = 6
    /// Another BLOB transfer is in progress.
    case blobTransferBusy = 7
}

extension DFUError {
    /// The status a Mesh Distributor gets when the DFU target refuses a Start or a metadata check
    /// for this reason (inapp-dfu.md §3.3: `-ENOMEM` → insufficient resources, `-EBUSY` →
    /// temporarily unavailable, anything else → internal; a refused version or image → metadata).
    public var meshStatus: MeshDFUStatus {
        switch self {
        case .lengthExceedsSlot, .emptyImage, .missingLength: .insufficientResources
        case .imageOutOfRange: .wrongFirmwareIndex
        case .currentVersionIsNewer, .invalidImageHeader: .metadataCheckFailed
        case .alreadyPending, .noFreeSlot, .imageMismatch: .temporarilyUnavailable
        default: .internalError
        }
    }
}
