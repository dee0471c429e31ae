/// The generic SMP result code, sent as `"rc"` (SMP v1, and all MCUboot replies).
///
/// Values and names from zephyr `include/zephyr/mgmt/mcumgr/mgmt/mgmt_defines.h`
/// `enum mcumgr_err_t`. MCUboot's `boot_serial_priv.h` defines only 0–3, 5, 8 and 10, but clients
/// (smpmgr, mcumgr) know the whole table, so Lifeboat may use any of them.
public enum MGMTError: UInt16, Error, Sendable {
    case ok = 0
    case unknown = 1
    case noMemory = 2
    case invalid = 3
    case timeout = 4
    case notFound = 5
    case badState = 6
    case messageSize = 7
    case notSupported = 8
    case corrupt = 9
    case busy = 10
    case accessDenied = 11
    case unsupportedTooOld = 12
    case unsupportedTooNew = 13

    /// `MGMT_ERR_EPERUSER`: codes from here up belong to user-defined groups.
    public static let perUserBase: UInt16 = 256

    /// The Zephyr name without its `MGMT_ERR_` prefix, for logs.
    public var name: StaticString {
        switch self {
        case .ok: "EOK"
        case .unknown: "EUNKNOWN"
        case .noMemory: "ENOMEM"
        case .invalid: "EINVAL"
        case .timeout: "ETIMEOUT"
        case .notFound: "ENOENT"
        case .badState: "EBADSTATE"
        case .messageSize: "EMSGSIZE"
        case .notSupported: "ENOTSUP"
        case .corrupt: "ECORRUPT"
        case .busy: "EBUSY"
        case .accessDenied: "EACCESSDENIED"
        case .unsupportedTooOld: "UNSUPPORTED_TOO_OLD"
        case .unsupportedTooNew: "UNSUPPORTED_TOO_NEW"
        }
    }
}
