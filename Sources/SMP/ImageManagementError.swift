/// Image-group result codes for the SMP v2 error object `"err": {"group": 1, "rc": n}`.
///
/// Values from zephyr `include/zephyr/mgmt/mcumgr/grp/img_mgmt/img_mgmt.h`
/// `enum img_mgmt_err_code_t` (implicit enumerator numbering from `IMG_MGMT_ERR_OK = 0`; the older
/// spelling `enum img_mgmt_ret_code_t` / `IMG_MGMT_RET_RC_*` has the same values 0…29). MCUboot
/// itself never sends these (it answers every version with the legacy `"rc"`); they are here for
/// the host client and for servers that speak v2.
public enum ImageManagementError: UInt16, Error, Sendable {
    case ok = 0
    case unknown = 1
    case flashConfigQueryFail = 2
    case noImage = 3
    case noTLVs = 4
    case invalidTLV = 5
    case tlvMultipleHashesFound = 6
    case tlvInvalidSize = 7
    case hashNotFound = 8
    case noFreeSlot = 9
    case flashOpenFailed = 10
    case flashReadFailed = 11
    case flashWriteFailed = 12
    case flashEraseFailed = 13
    case invalidSlot = 14
    case noFreeMemory = 15
    case flashContextAlreadySet = 16
    case flashContextNotSet = 17
    case flashAreaDeviceNull = 18
    case invalidPageOffset = 19
    case invalidOffset = 20
    case invalidLength = 21
    case invalidImageHeader = 22
    case invalidImageHeaderMagic = 23
    case invalidHash = 24
    case invalidFlashAddress = 25
    case versionGetFailed = 26
    case currentVersionIsNewer = 27
    case imageAlreadyPending = 28
    case invalidImageVectorTable = 29
    case invalidImageTooLarge = 30
    case invalidImageDataOverrun = 31
    case imageConfirmationDenied = 32
    case imageSettingTestToActiveDenied = 33

    /// The Zephyr name without its `IMG_MGMT_ERR_` prefix, for logs.
    public var name: StaticString {
        switch self {
        case .ok: "OK"
        case .unknown: "UNKNOWN"
        case .flashConfigQueryFail: "FLASH_CONFIG_QUERY_FAIL"
        case .noImage: "NO_IMAGE"
        case .noTLVs: "NO_TLVS"
        case .invalidTLV: "INVALID_TLV"
        case .tlvMultipleHashesFound: "TLV_MULTIPLE_HASHES_FOUND"
        case .tlvInvalidSize: "TLV_INVALID_SIZE"
        case .hashNotFound: "HASH_NOT_FOUND"
        case .noFreeSlot: "NO_FREE_SLOT"
        case .flashOpenFailed: "FLASH_OPEN_FAILED"
        case .flashReadFailed: "FLASH_READ_FAILED"
        case .flashWriteFailed: "FLASH_WRITE_FAILED"
        case .flashEraseFailed: "FLASH_ERASE_FAILED"
        case .invalidSlot: "INVALID_SLOT"
        case .noFreeMemory: "NO_FREE_MEMORY"
        case .flashContextAlreadySet: "FLASH_CONTEXT_ALREADY_SET"
        case .flashContextNotSet: "FLASH_CONTEXT_NOT_SET"
        case .flashAreaDeviceNull: "FLASH_AREA_DEVICE_NULL"
        case .invalidPageOffset: "INVALID_PAGE_OFFSET"
        case .invalidOffset: "INVALID_OFFSET"
        case .invalidLength: "INVALID_LENGTH"
        case .invalidImageHeader: "INVALID_IMAGE_HEADER"
        case .invalidImageHeaderMagic: "INVALID_IMAGE_HEADER_MAGIC"
        case .invalidHash: "INVALID_HASH"
        case .invalidFlashAddress: "INVALID_FLASH_ADDRESS"
        case .versionGetFailed: "VERSION_GET_FAILED"
        case .currentVersionIsNewer: "CURRENT_VERSION_IS_NEWER"
        case .imageAlreadyPending: "IMAGE_ALREADY_PENDING"
        case .invalidImageVectorTable: "INVALID_IMAGE_VECTOR_TABLE"
        case .invalidImageTooLarge: "INVALID_IMAGE_TOO_LARGE"
        case .invalidImageDataOverrun: "INVALID_IMAGE_DATA_OVERRUN"
        case .imageConfirmationDenied: "IMAGE_CONFIRMATION_DENIED"
        case .imageSettingTestToActiveDenied: "IMAGE_SETTING_TEST_TO_ACTIVE_DENIED"
        }
    }
}
