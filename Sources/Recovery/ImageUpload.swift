import DFUTarget
import SMP

extension RecoveryServer {
    /// Image upload (group 1, command 1; any op, as MCUboot).
    ///
    /// Request `{image?, len?, off, data, sha?, upgrade?}`; `upgrade` is accepted and ignored.
    /// An undecodable request, a duplicate key, a value of the wrong type, or a missing `off` or
    /// `data` is EINVAL. Success and offset mismatches answer `{"off": next}` (with MCUboot's
    /// `"rc": 0` first for SMP v1); refusals answer the error of ``UploadError``.
    mutating func imageUpload(_ x: inout Exchange) {
        let chunk: UploadChunk
        do throws(CBORError) {
            guard let decoded = try Self.decodeUpload(x.payload) else { return x.fail(.invalid) }
            chunk = decoded
        } catch {
            return x.fail(.invalid)
        }
        let outcome: UploadOutcome
        do throws(UploadError) {
            outcome = try upload.receive(chunk, policy: configuration.policy, slots: slots)
        } catch {
            x.event = .uploadRefused(error)
            return x.fail(v1: error.mgmtError, v2: error.imageManagementError.rawValue)
        }
        if let target = upload.target {
            switch outcome {
            case .started: x.event = .uploadStarted(target, size: upload.imageSize)
            case .written(let next): x.event = .uploadProgress(target, offset: next, size: upload.imageSize)
            case .completed(let size, _): x.event = .uploadCompleted(target, size: size)
            case .resumed(let at): x.event = .uploadResumed(target, offset: at, size: upload.imageSize)
            case .mismatch: break
            }
        }
        x.writer.beginMap()
        x.successCode()
        x.writer.key("off")
        x.writer.unsigned(UInt64(outcome.replyOffset))
        if case .completed(_, let match?) = outcome {
            // Zephyr's final-chunk image check; MCUboot sends none. Clients that see it check it.
            x.writer.key("match")
            x.writer.bool(match)
        }
        x.writer.end()
    }

    /// Decodes an upload request; nil when `off` or `data` is missing.
    static func decodeUpload(_ payload: UnsafeRawBufferPointer) throws(CBORError) -> UploadChunk? {
        var reader = CBORReader(payload)
        var scan = try CBORMapScanner(&reader, keys: ["image", "len", "off", "data", "sha", "upgrade"])
        var image: Int?, length: Int?, offset: Int?
        var data: UnsafeRawBufferPointer?, sha: UnsafeRawBufferPointer?
        while let key = try scan.next(&reader) {
            switch key {
            // Values beyond Int (32 bits on the target) are clamped: they then fail the range
            // checks (slot size, expected offset, image number) instead of trapping.
            case 0: image = Int(clamping: try reader.readUnsigned())
            case 1: length = Int(clamping: try reader.readUnsigned())
            case 2: offset = Int(clamping: try reader.readUnsigned())
            case 3: data = try reader.readBytes()
            case 4: sha = try reader.readBytes()
            default: _ = try reader.readBool()
            }
        }
        guard let offset, let data else { return nil }
        return UploadChunk(image: image, length: length, offset: offset, data: data, sha: sha)
    }
}

extension UploadError {
    /// The image-group error an SMP v2 client gets (Zephyr's `img_mgmt_err_code_t`).
    public var imageManagementError: ImageManagementError {
        switch self {
        case .missingLength, .emptyImage: .invalidLength
        case .lengthExceedsSlot: .invalidImageTooLarge
        case .imageOutOfRange: .invalidSlot
        case .dataPastEnd: .invalidImageDataOverrun
        case .hashTooLong: .invalidHash
        case .imageMismatch: .flashContextAlreadySet
        case .unsupportedWriteSize: .flashConfigQueryFail
        case .eraseFailed: .flashEraseFailed
        case .writeFailed: .flashWriteFailed
        case .readFailed: .flashReadFailed
        }
    }

    /// The `rc` an SMP v1 client gets: EINVAL, as MCUboot answers every upload refusal, except
    /// for a chunk of another image than the upload in progress, which is EBADSTATE (the request
    /// is fine; the device is busy with another upload).
    public var mgmtError: MGMTError {
        switch self {
        case .imageMismatch: .badState
        default: .invalid
        }
    }
}
