/// OS-group result codes for the SMP v2 error object `"err": {"group": 0, "rc": n}`.
///
/// Values from zephyr `include/zephyr/mgmt/mcumgr/grp/os_mgmt/os_mgmt.h` `enum os_mgmt_err_code_t`
/// (implicit numbering from `OS_MGMT_ERR_OK = 0`). Bootloader info answers an unknown query with
/// ``queryYieldsNoAnswer`` (3).
public enum OSManagementError: UInt16, Error, Sendable {
    case ok = 0
    case unknown = 1
    case invalidFormat = 2
    case queryYieldsNoAnswer = 3
    case rtcNotSet = 4
    case rtcCommandFailed = 5
    case queryResponseValueNotValid = 6
    case heapStatsFetchFailed = 7

    /// The Zephyr name without its `OS_MGMT_ERR_` prefix, for logs.
    public var name: StaticString {
        switch self {
        case .ok: "OK"
        case .unknown: "UNKNOWN"
        case .invalidFormat: "INVALID_FORMAT"
        case .queryYieldsNoAnswer: "QUERY_YIELDS_NO_ANSWER"
        case .rtcNotSet: "RTC_NOT_SET"
        case .rtcCommandFailed: "RTC_COMMAND_FAILED"
        case .queryResponseValueNotValid: "QUERY_RESPONSE_VALUE_NOT_VALID"
        case .heapStatsFetchFailed: "HEAP_STATS_FETCH_FAILED"
        }
    }
}
