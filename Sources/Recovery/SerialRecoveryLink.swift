import DFUTarget
import SMP

/// Something that answers whole SMP messages: the recovery server, or an application's MCUmgr
/// server (the simulator's application stage).
public protocol SMPRequestHandler {
    /// Handles one SMP message and writes the response message into `response` (see
    /// ``RecoveryServer/handle(request:response:)``).
    mutating func handle(request message: UnsafeRawBufferPointer, response: UnsafeMutableRawBufferPointer) -> RecoveryReply
    /// What a reset does to the handler's RAM state.
    mutating func reboot()
}

extension RecoveryServer: SMPRequestHandler {}

/// Serial recovery over a serial line, in any framing (chosen at run time: the simulator).
public typealias SerialRecoveryLink<Slots: SlotMap> = SerialLink<RecoveryServer<Slots, AllRecoveryFeatures>, SerialFrameDecoder>

/// Serial recovery over the console framing only: what a boot stage links (MCUboot's default;
/// the raw and COBS decoders' code and stack stay out of the image), with the build's commands.
public typealias ConsoleRecoveryLink<Slots: SlotMap, Features: RecoveryFeatureSet> =
    SerialLink<RecoveryServer<Slots, Features>, ConsoleFrameDecoder>

/// SMP over a serial line: bytes in from the UART, framed replies out to it.
///
/// Joins a decoder (``SMP/ConsoleFrameDecoder``: the console framing's reassembly, base64 and
/// CRC; or ``SMP/SerialFrameDecoder``, which also reads MCUboot's raw protocol and COBS, or each
/// message in whichever of them it came in), a handler
/// (``RecoveryServer``) and ``SMP/SerialFrameEncoder``, which answers in the request's framing.
/// In the raw framing the owner calls ``inputIdle(observe:)`` once the line has been quiet for
/// the input timeout (MCUboot: 3000 ms), which drops a stalled partial message. A frame that fails is dropped without an SMP reply, as in
/// MCUboot (clients only ever see a timeout), but unlike MCUboot the drop is counted and reported
/// to the caller, which can print a human-readable line on the console (clients skip non-frame text).
public struct SerialLink<Server: SMPRequestHandler, Decoder: SMPFrameDecoding> {
    public var server: Server
    public private(set) var decoder: Decoder
    /// Frames dropped since start (64 bits, wrapping: see ``RecoveryStatistics``).
    public internal(set) var droppedFrames: UInt64 = 0
    /// Line length of responses (MCUboot: 128, i.e. 124 base64 characters per line).
    public var lineLength = 128

    /// The framing the last request came in, which its reply used.
    public var lastFraming: SerialFraming { decoder.packetFraming }

    public init(server: Server, decoder: Decoder = Decoder()) {
        self.server = server
        self.decoder = decoder
    }

    /// The line has been quiet for the input timeout: see ``SMP/SerialFrameDecoder/inputIdle()``.
    public mutating func inputIdle(observe: (LinkEvent) -> Void = { _ in }) {
        guard case .dropped(let reason)? = decoder.inputIdle() else { return }
        droppedFrames &+= 1
        observe(.dropped(reason, total: droppedFrames))
    }

    /// Bytes a response buffer needs: what a peer with the same buffer can take back (the frame's
    /// length prefix and CRC, 4 bytes, share the console buffer with the message).
    public static var responseCapacity: Int { SerialFrameDecoder.maxConsoleMessage }

    /// Feeds received bytes. Each response line goes to `transmit`; drops, replies and recovery
    /// events go to `observe`. Returns `.reset` when a reset request was answered: the caller
    /// resets the board once the output is flushed (bytes after it are not processed).
    ///
    /// Responses are built in a scratch buffer of ``responseCapacity`` bytes taken for each
    /// message (on the heap in Embedded Swift, above 1 KiB); a boot stage lends one of its own
    /// with ``receive(_:response:transmit:observe:)``.
    public mutating func receive(
        _ bytes: UnsafeRawBufferPointer,
        transmit: (UnsafeRawBufferPointer) -> Void,
        observe: (LinkEvent) -> Void = { _ in }
    ) -> RecoveryAction {
        withUnsafeTemporaryAllocation(byteCount: Self.responseCapacity, alignment: 4) { response in
            receive(bytes, response: response, transmit: transmit, observe: observe)
        }
    }

    /// Feeds received bytes, building responses in `response`, a caller-lent buffer of at least
    /// ``responseCapacity`` bytes (a shorter one holds responses to its own size). Nothing is
    /// allocated.
    public mutating func receive(
        _ bytes: UnsafeRawBufferPointer,
        response: UnsafeMutableRawBufferPointer,
        transmit: (UnsafeRawBufferPointer) -> Void,
        observe: (LinkEvent) -> Void = { _ in }
    ) -> RecoveryAction {
        let response = UnsafeMutableRawBufferPointer(rebasing: response.prefix(Self.responseCapacity))
        for byte in bytes {
            guard let event = decoder.feed(byte) else { continue }
            switch event {
            case .dropped(let reason):
                droppedFrames &+= 1
                observe(.dropped(reason, total: droppedFrames))
            case .packet:
                let reply = answerPacket(response: response, transmit: transmit)
                if reply.length == 0 {
                    droppedFrames &+= 1
                    observe(.dropped(.badHeader, total: droppedFrames))
                    continue
                }
                observe(.replied(bytes: reply.length))
                if let recoveryEvent = reply.event { observe(.recovery(recoveryEvent)) }
                if reply.action == .reset { return .reset }
            }
        }
        return .none
    }

    /// Answers the packet the decoder holds. A frame of its own (never inlined into the receive
    /// loop): a boot stage's loop frame lives as long as recovery does, and the handlers' buffers
    /// must leave the stack between requests, not add up in it.
    @inline(never)
    mutating func answerPacket(response: UnsafeMutableRawBufferPointer, transmit: (UnsafeRawBufferPointer) -> Void) -> RecoveryReply {
        // Two distinct stored properties, each passed in place: no copy of the server or of the
        // decoder's 2 KiB buffer lands on the stack (copies of both did, 2.9 KB on armv6m).
        Self.answer(server: &server, decoder: &decoder, lineLength: lineLength, response: response, transmit: transmit)
    }

    static func answer(
        server: inout Server, decoder: inout Decoder, lineLength: Int,
        response: UnsafeMutableRawBufferPointer, transmit: (UnsafeRawBufferPointer) -> Void
    ) -> RecoveryReply {
        let framing = decoder.packetFraming
        return decoder.withPacket { packet in
            let reply = server.handle(request: packet, response: response)
            if reply.length > 0 {
                SerialFrameEncoder.encode(
                    message: UnsafeRawBufferPointer(rebasing: response[0..<reply.length]),
                    framing: framing, lineLength: lineLength, emit: transmit)
            }
            return reply
        }
    }

    /// What a reset does to the link: the upload state and any partial frame are lost.
    public mutating func reboot() {
        server.reboot()
        decoder.reset()
    }
}

extension SerialLink where Decoder == SerialFrameDecoder {
    public init(server: Server, framing: SerialFraming) {
        self.init(server: server, decoder: SerialFrameDecoder(framing: framing))
    }

    /// The framing accepted (``SMP/SerialFraming/auto``: any, per message). Changing it forgets a
    /// partial message.
    public var framing: SerialFraming {
        get { decoder.framing }
        set { decoder.framing = newValue }
    }
}

/// Something the link did, for logs, counters and progress.
public enum LinkEvent: Equatable, Sendable {
    /// A frame was discarded without a reply; `total` counts drops since start.
    case dropped(FrameDropReason, total: UInt64)
    /// A response message of `bytes` bytes (SMP header + CBOR) was sent.
    case replied(bytes: Int)
    case recovery(RecoveryEvent)
}
