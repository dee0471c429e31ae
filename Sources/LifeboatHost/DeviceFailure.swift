import Foundation
import SMP

/// Why a `lifeboat device` command failed, and the exit status that says so. One owner for the
/// mapping from failures to exit codes: the CLI's `--help` and `--json` both read it from here.
public struct DeviceFailure: Error, CustomStringConvertible, Equatable {
    public enum Kind: String, CaseIterable, Sendable {
        /// Nothing answered the request within the timeout.
        case noAnswer = "no-answer"
        /// The device answered with an error code.
        case refused = "device-refused"
        /// The image file is not one the device would accept (header, hash, size).
        case imageInvalid = "image-invalid"
        /// The port or socket could not be opened, or failed.
        case transport = "transport-error"
        /// The device answered, but the result is not what was asked for (the new image did not
        /// come up, a hash differs).
        case verification = "verification-failed"
        /// Anything else: a response that could not be understood, a file that cannot be read.
        case other = "error"

        /// The process exit status.
        public var exitCode: Int32 {
            switch self {
            case .other: 1
            case .noAnswer: 3
            case .refused: 4
            case .imageInvalid: 5
            case .transport: 6
            case .verification: 7
            }
        }

        public var meaning: String {
            switch self {
            case .other: "other error (unexpected response, unreadable file)"
            case .noAnswer: "no answer: nothing answered within the timeout (a diagnosis follows)"
            case .refused: "device refused: it answered with an rc error code (printed by name)"
            case .imageInvalid: "image invalid: the file fails the local header/TLV/hash checks or does not fit"
            case .transport: "transport error: the port or socket cannot be opened or failed"
            case .verification: "verification failed: the device does not show the expected image afterwards"
            }
        }
    }

    public var kind: Kind
    public var message: String
    /// For device errors: the rc and its name (`EINVAL`, `IMG_MGMT_ERR_…`).
    public var rc: Int?
    public var rcName: String?

    public init(_ kind: Kind, _ message: String, rc: Int? = nil, rcName: String? = nil) {
        self.kind = kind
        self.message = message
        self.rc = rc
        self.rcName = rcName
    }

    public var description: String { message }

    /// The exit-code table for `--help`.
    public static var exitCodeHelp: String {
        (["0 success"] + Kind.allCases.sorted { $0.exitCode < $1.exitCode }.map { "\($0.exitCode) \($0.meaning)" })
            .joined(separator: "; ")
    }
}

extension DeviceFailure {
    /// A client error with what the person at the terminal needs: the request, the rc by name,
    /// and for silence, the diagnosis from what came back on the link.
    public init(_ error: Error, client: SMPClient? = nil) {
        switch error {
        case let failure as DeviceFailure:
            self = failure
        case let error as SMPClientError:
            switch error {
            case .timeout(let command, let seconds):
                let diagnosis = client.map {
                    LinkDiagnosis(observed: $0.observed, endpoint: $0.transport.endpoint, lineLength: $0.lineLength, answeredEarlier: $0.answered, framing: $0.framing)
                }
                self.init(.noAnswer, "\(command): no answer within \(seconds) s" + (diagnosis.map { ". " + $0.text } ?? ""))
            case .device(let command, let rc):
                let name = SMPClientError.mgmtName(rc)
                self.init(.refused, "\(command): device refused: rc \(rc) \(name.replacingOccurrences(of: "MGMT_ERR_", with: ""))" + Self.hint(rc: rc, command: command),
                          rc: rc, rcName: name)
            case .group(let command, let group, let rc):
                let name = SMPClientError.groupName(group: group, rc: rc)
                self.init(.refused, "\(command): device refused: group \(group) rc \(rc) \(name)", rc: rc, rcName: name)
            case .badResponse:
                self.init(.other, error.description)
            }
        case let error as TransportError:
            self.init(.transport, error.description)
        default:
            self.init(.other, "\(error)")
        }
    }

    static func hint(rc: Int, command: String) -> String {
        switch rc {
        case 8 where command.hasPrefix("image state write"):
            " (MCUboot's serial recovery has no test/confirm: an image it receives is written to the primary slot and boots as it is; test and confirm from the application)"
        case 8: " (the server does not implement this request)"
        case 3 where command.hasPrefix("image upload"):
            " (the server refused the chunk: an image larger than the slot, a missing len at offset 0, or an image number the upload policy does not map)"
        case 6: " (the server is busy or the request does not fit its buffer: try a smaller --mtu)"
        default: ""
        }
    }
}

/// What silence on a link most likely means, from what did come back.
public struct LinkDiagnosis: Sendable, Equatable {
    public enum Cause: String, Sendable {
        /// Not one byte came back.
        case silent
        /// Not one byte came back, but earlier requests were answered: the device is busy or slow.
        case slow
        /// Bytes came back, mostly unprintable: a wrong baud rate (or a noisy line).
        case garbage
        /// Text came back but no frames: a shell, logs, or an application without SMP on this UART.
        case text
        /// The device reported our frame as dropped (its diagnostics say why: line too long…).
        case frameDropped = "frame-dropped"
        /// Broken frames came back: a framing or line-length mismatch.
        case brokenFrames = "broken-frames"
        /// Our own requests came back: the other side echoes the console.
        case echo
        /// Frames came back, but not answers to our request.
        case unmatched
    }

    public var cause: Cause
    public var text: String

    public init(observed o: LinkObservation, endpoint: String, lineLength: Int, answeredEarlier: Int = 0, framing: SerialFraming = .console) {
        let framingText = switch framing {
        case .console: "console framing, \(lineLength)-byte lines"
        case .raw: "raw framing"
        case .cobs: "COBS framing"
        case .auto: "console, raw and COBS framings"
        }
        let endpoint = "\(endpoint) (\(framingText))"
        let otherFraming = switch framing {
        case .console: ", or it speaks MCUboot's raw protocol (CONFIG_BOOT_SERIAL_RAW_PROTOCOL) or COBS framing: try --framing raw, cobs or auto"
        case .raw, .cobs: ", or it speaks another framing: try --framing auto (console, raw and COBS in turn)"
        case .auto: ""
        }
        let sample = o.otherLines.suffix(2).map { "'\($0)'" }.joined(separator: ", ")
        if let dropped = o.otherLines.last(where: { $0.contains("dropped") || $0.contains("too long") }) {
            cause = .frameDropped
            text = "The device dropped the frame and said why: '\(dropped)'. With line-length errors, match --line-length to the device (MCUboot: 128, BOOT_MAX_LINE_INPUT_LEN). Link: \(endpoint)"
        } else if o.bytes == 0 && answeredEarlier > 0 {
            cause = .slow
            text = "\(endpoint) answered \(answeredEarlier) earlier request(s) but nothing came back for this one: the device may still be working on it (validating an image, erasing flash; slow on small cores and emulators): raise --timeout, or it reset or left recovery meanwhile"
        } else if o.bytes == 0 {
            cause = .silent
            text = "Nothing came back from \(endpoint), not one byte. Likely: the board is not in serial recovery (hold its button at reset, or `lifeboat device reset --bootloader` from the application), the wrong port, TX/RX swapped, hardware flow control on the device side\(framing == .console ? ", or the device's line buffer is shorter than our \(lineLength)-byte lines (it then drops each line silently)" : "")\(otherFraming)"
        } else if o.frames == 0 && o.droppedFrames == 0 && o.otherBytes > 0 && o.unprintableBytes * 4 >= o.otherBytes {
            cause = .garbage
            text = "\(o.bytes) bytes came back from \(endpoint) but no frame, and most are unprintable: a wrong baud rate is the usual cause (try the device's console baud, e.g. --baud 115200); sample \(sample)"
        } else if o.frames == 0 && o.droppedFrames == 0 {
            cause = .text
            text = "\(o.bytes) bytes of text came back from \(endpoint), but no SMP frame: the other side answers as a console, not as MCUmgr (an application without MCUmgr over this UART, a shell, boot logs), or it uses another framing; last lines \(sample)"
        } else if o.droppedFrames > 0 && o.frames == 0 {
            cause = .brokenFrames
            text = "\(o.droppedFrames) frame(s) came back from \(endpoint) broken (CRC, base64 or length): a framing or line-length mismatch, or a lossy line"
        } else if o.echoedRequests > 0 && o.echoedRequests * 2 >= o.frames {
            cause = .echo
            text = "\(endpoint) sent our own request back, not an answer: the other side echoes the console (an application's console or shell echo, a terminal in local-echo mode, TX wired to RX), it is not an SMP server. If it is your application, enter serial recovery (its reset-to-bootloader command, or the recovery button at reset)"
        } else {
            cause = .unmatched
            text = "\(o.frames) frame(s) came back from \(endpoint), none answering this request: another client may share the port, or the device is answering an earlier request late (raise --timeout)"
        }
    }
}
