import DFUTarget
import FlashKit
import MCUbootImage
import SMP

/// MCUboot-compatible serial recovery: answers one SMP request at a time.
///
/// The server is a plain value: the slots it may write, its configuration, the upload in progress
/// and counters. It takes a whole SMP message (header + CBOR, as the console framing delivers it)
/// and writes the whole response message into a caller-lent buffer, so the same code runs behind
/// the simulator's pty, an in-process test link, and the firmware's UART.
///
/// Dispatch (mcuboot-serial-recovery.md §2.3): os echo / console-echo control / reset / MCUmgr
/// params / bootloader info; image state read / state write / upload / erase / slot info. Anything else is
/// `rc` 8 (ENOTSUP). Errors follow the request's SMP version: v1 gets MCUboot's `{"rc": n}`; v2
/// gets Zephyr's group error `{"err": {"group": g, "rc": n}}` for command failures, while
/// SMP-layer errors (unknown command, undecodable request) stay `{"rc": n}`.
///
/// `Features` is the set of commands beyond MCUboot's fixed ones that this build answers
/// (``RecoveryFeatureSet``); `RecoveryServer(slots:configuration:)` has them all.
public struct RecoveryServer<Slots: SlotMap, Features: RecoveryFeatureSet> {
    public let slots: Slots
    public var configuration: RecoveryConfiguration
    /// The upload in progress.
    public var upload = UploadSession()
    public internal(set) var statistics = RecoveryStatistics()

    /// A server that answers the commands of `features` (and MCUboot's fixed set).
    public init(slots: Slots, configuration: RecoveryConfiguration, features: Features.Type) {
        self.slots = slots
        self.configuration = configuration
    }

    /// Handles one SMP message and writes the response message into `response`.
    ///
    /// Returns the response length (0: send nothing, the request was not a valid SMP request) and
    /// what the caller must do after sending it.
    public mutating func handle(
        request message: UnsafeRawBufferPointer, response: UnsafeMutableRawBufferPointer
    ) -> RecoveryReply {
        guard let header = SMPHeader.parseRequest(message), response.count > SMPHeader.size else {
            statistics.malformedRequests &+= 1
            return RecoveryReply(length: 0)
        }
        statistics.requests &+= 1
        let payload = UnsafeRawBufferPointer(rebasing: message[SMPHeader.size...])
        var exchange = Exchange(
            header: header, payload: payload,
            writer: CBORWriter(UnsafeMutableRawBufferPointer(rebasing: response[SMPHeader.size...])))
        if header.version > 1 {
            exchange.fail(.unsupportedTooNew)
        } else if (try? CBORReader.checkRequestBody(payload)) == nil {
            // One well-formed map and nothing after it, checked once for every command, so no
            // handler acts on a request whose tail (or whose skipped keys) it never read.
            statistics.malformedBodies &+= 1
            exchange.fail(.invalid)
        } else {
            dispatch(&exchange)
        }
        if exchange.writer.overflowed {
            // The response did not fit: say so in a response that does.
            exchange.writer = CBORWriter(UnsafeMutableRawBufferPointer(rebasing: response[SMPHeader.size...]))
            exchange.fail(.noMemory)
        }
        let length = exchange.writer.count
        header.response(payloadLength: length).encode(into: response)
        if exchange.failed { statistics.errorResponses &+= 1 }
        return RecoveryReply(length: SMPHeader.size + length, action: exchange.action, event: exchange.event)
    }

    /// Every handler is `@inline(never)`: inlined here, their locals shared one frame that stayed
    /// on the stack under the deepest one (an image state read's signature check), 1.4 KB more
    /// on armv6m than the handler itself needs.
    private mutating func dispatch(_ x: inout Exchange) {
        switch (x.header.group, x.header.command) {
        case (SMPGroup.os, OSCommand.echo) where Features.echo && configuration.echo: echo(&x)
        case (SMPGroup.os, OSCommand.consoleEchoControl): x.succeed()
        case (SMPGroup.os, OSCommand.reset): reset(&x)
        case (SMPGroup.os, OSCommand.mcumgrParams) where Features.mcumgrParams: mcumgrParams(&x)
        case (SMPGroup.os, OSCommand.bootloaderInfo) where Features.bootloaderInfo: bootloaderInfo(&x)
        case (SMPGroup.image, ImageCommand.state) where x.header.operation == .read: imageStateRead(&x)
        case (SMPGroup.image, ImageCommand.state) where x.header.operation == .write && Features.imageStateWrite:
            if imageStateWrite(&x) { imageStateRead(&x) }
        case (SMPGroup.image, ImageCommand.upload): imageUpload(&x)
        case (SMPGroup.image, ImageCommand.erase) where Features.imageErase: imageErase(&x)
        case (SMPGroup.image, ImageCommand.slotInfo) where x.header.operation == .read && Features.slotInfo: slotInfo(&x)
        default: x.fail(.notSupported)
        }
    }

    /// Forgets the upload in progress: what a reset of the board does to RAM.
    public mutating func reboot() {
        upload = UploadSession()
    }
}

extension RecoveryServer where Features == AllRecoveryFeatures {
    /// A server with every command (``AllRecoveryFeatures``).
    public init(slots: Slots, configuration: RecoveryConfiguration) {
        self.init(slots: slots, configuration: configuration, features: AllRecoveryFeatures.self)
    }
}

/// The answer to one request.
public struct RecoveryReply: Sendable {
    /// Bytes of the response message (SMP header + CBOR); 0 when nothing is to be sent.
    public var length: Int
    /// What the transport must do once the response is sent.
    public var action: RecoveryAction
    /// Something worth logging or showing as progress.
    public var event: RecoveryEvent?

    public init(length: Int, action: RecoveryAction = .none, event: RecoveryEvent? = nil) {
        self.length = length
        self.action = action
        self.event = event
    }
}

/// What the transport does after sending a response.
public enum RecoveryAction: Equatable, Sendable {
    case none
    /// Reset the system (MCUboot waits 250 ms after the reply, then cold-reboots).
    case reset
}

/// Observable effects of a request, for progress output and logs.
public enum RecoveryEvent: Equatable, Sendable {
    case uploadStarted(SlotAddress, size: Int)
    /// An interrupted upload was picked up again (same `sha` and `len`) at `offset`.
    case uploadResumed(SlotAddress, offset: Int, size: Int)
    case uploadProgress(SlotAddress, offset: Int, size: Int)
    case uploadCompleted(SlotAddress, size: Int)
    case uploadRefused(UploadError)
    case slotErased(SlotAddress)
    /// An erase named a slot the active policy does not let recovery modify; nothing was erased.
    case eraseRefused(SlotAddress, SlotAccessError)
    /// A state write marked a slot.
    case imageMarked(SlotAddress, ImageMark)
    /// A state write asked for what is already in place: nothing written.
    case stateWriteUnchanged
    /// A state write was refused by the slots' state (unknown hash, a swap already pending, …).
    case stateWriteRefused(DFUError)
    /// A state write would modify a slot the active policy does not let recovery modify.
    case stateWriteDenied(SlotAddress, SlotAccessError)
}

/// Counters a board exposes for diagnostics.
///
/// 64 bits and wrapping (`&+=`): on the 32-bit target an `Int` counter fed by a stream of garbage
/// traps after 2^31 frames (about nine days at 115200 baud); these cannot trap and do not wrap in
/// the life of a board.
public struct RecoveryStatistics: Equatable, Sendable {
    /// SMP requests answered (including error answers).
    public var requests: UInt64 = 0
    /// Answers that carried an error.
    public var errorResponses: UInt64 = 0
    /// Messages dropped without an answer (no valid SMP request header).
    public var malformedRequests: UInt64 = 0
    /// Requests whose body is not one well-formed CBOR map (answered EINVAL).
    public var malformedBodies: UInt64 = 0
    public init() {}
}

/// One request being answered: its header and payload, and the response being written.
struct Exchange {
    let header: SMPHeader
    let payload: UnsafeRawBufferPointer
    var writer: CBORWriter
    var action = RecoveryAction.none
    var event: RecoveryEvent?
    var failed = false

    var isV2: Bool { header.version >= 1 }

    /// An SMP-layer error: `{"rc": n}` in every protocol version.
    mutating func fail(_ error: MGMTError) {
        failed = true
        writer.beginMap()
        writer.key("rc")
        writer.unsigned(UInt64(error.rawValue))
        writer.end()
    }

    /// A command's own error: MCUboot's `{"rc": v1}` for SMP v1, Zephyr's
    /// `{"err": {"group": g, "rc": v2}}` for SMP v2.
    mutating func fail(v1: MGMTError, v2: UInt16) {
        guard isV2 else { return fail(v1) }
        failed = true
        writer.beginMap()
        writer.key("err")
        writer.beginMap()
        writer.key("group")
        writer.unsigned(UInt64(header.group))
        writer.key("rc")
        writer.unsigned(UInt64(v2))
        writer.end()
        writer.end()
    }

    /// The legacy `"rc": 0` that MCUboot puts in successful responses; SMP v2 omits it.
    mutating func successCode() {
        guard !isV2 else { return }
        writer.key("rc")
        writer.unsigned(0)
    }

    /// A response with nothing but success.
    mutating func succeed() {
        writer.beginMap()
        successCode()
        writer.end()
    }
}
