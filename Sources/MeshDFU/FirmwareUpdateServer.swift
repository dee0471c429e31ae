import DFUTarget
import MCUbootImage

/// What the Firmware Update Server asks of the node's DFU target (Zephyr's `bt_mesh_dfu_srv_cb`,
/// inapp-dfu.md §3.4), as a generic parameter: no existential on the message path. Lifeboat's
/// implementation sits on the DFU-target core (slot selection, trailer scrub, validation,
/// marking) that serial recovery and the application stage share.
public protocol FirmwareUpdateTarget {
    /// The updatable images, indexed from 0 (the Info Status list).
    var imageCount: Int { get }
    /// The firmware id of `image`: what runs now (from the primary slot's header), or nil when
    /// the slot holds no valid image (the image is then left out of Info Status).
    func firmwareID(image: Int) -> MeshFirmwareID?
    /// The transfer check: whether an update with this metadata is acceptable for `image`, and
    /// what applying it does. A refusal's ``DFUError/meshStatus`` is not used: every refusal is
    /// a failed metadata check.
    mutating func check(image: Int, metadata: UnsafeRawBufferPointer) throws(DFUError) -> MeshDFUEffect
    /// Prepares storage for a transfer of `size` bytes into `image`'s update slot (the trailer
    /// scrubbed before anything is written). `.alreadyPresent` skips the transfer: the slot
    /// already holds this image.
    mutating func start(image: Int, metadata: UnsafeRawBufferPointer) throws(DFUError) -> MeshTransferStart
    /// Full validation of the received image (header, TLVs, hash, signature): nil when it may be
    /// applied, else the validator's reason.
    mutating func verify(image: Int) -> ImageRejection?
    /// Marks the received image for a test boot (revertible) and arranges the reboot.
    mutating func apply(image: Int) throws(DFUError)
    /// The transfer is abandoned (Cancel): stop writing; the slot may be scrubbed.
    mutating func cancel(image: Int)
}

/// What preparing a transfer found.
public enum MeshTransferStart: Equatable, Sendable {
    /// Storage is ready: receive the BLOB.
    case transfer
    /// The update slot already holds this image (Zephyr's `-EALREADY`): go straight to verify.
    case alreadyPresent
}

/// The update in progress, as Zephyr's server keeps it (`srv->update`) and stores at each
/// transition so that it survives a reboot.
public struct MeshUpdateState: Equatable, Sendable {
    public var phase: MeshDFUPhase
    public var ttl: UInt8
    public var effect: MeshDFUEffect
    public var timeoutBase: UInt16
    public var blobID: UInt64
    public var image: UInt8
    /// Fletcher-16 of the Start's metadata (0 for none).
    public var metadataChecksum: UInt16

    public static let idle = MeshUpdateState(phase: .idle, ttl: 0, effect: .none, timeoutBase: 0, blobID: 0, image: 0, metadataChecksum: 0)

    public init(phase: MeshDFUPhase, ttl: UInt8, effect: MeshDFUEffect, timeoutBase: UInt16, blobID: UInt64, image: UInt8, metadataChecksum: UInt16) {
        self.phase = phase
        self.ttl = ttl
        self.effect = effect
        self.timeoutBase = timeoutBase
        self.blobID = blobID
        self.image = image
        self.metadataChecksum = metadataChecksum
    }

    /// Bytes of the persisted record.
    public static let recordSize = 16

    /// The persisted record: phase, ttl, effect, timeout base le16, BLOB id le64, image,
    /// metadata checksum le16.
    public func encodeRecord(into writer: inout PayloadWriter) {
        writer.u8(phase.rawValue)
        writer.u8(ttl)
        writer.u8(effect.rawValue)
        writer.le(UInt64(timeoutBase), 2)
        writer.le(blobID, 8)
        writer.u8(image)
        writer.le(UInt64(metadataChecksum), 2)
    }

    /// A persisted record read back, or nil when it is not one (wrong size, unknown phase or
    /// effect): a torn record is treated as no update.
    public init?(record bytes: UnsafeRawBufferPointer) {
        var reader = PayloadReader(bytes)
        guard bytes.count == Self.recordSize,
            let phase = reader.u8().flatMap(MeshDFUPhase.init(rawValue:)), let ttl = reader.u8(),
            let effect = reader.u8().flatMap(MeshDFUEffect.init(rawValue:)), let timeout = reader.le(2),
            let blob = reader.le(8), let image = reader.u8(), let checksum = reader.le(2)
        else { return nil }
        self.init(phase: phase, ttl: ttl, effect: effect, timeoutBase: UInt16(timeout), blobID: blob, image: image, metadataChecksum: UInt16(checksum))
    }
}

/// The Firmware Update Server model of a Mesh DFU Target (Zephyr's dfu_srv.c behaviour,
/// inapp-dfu.md §3.2–3.3), over access-layer payloads: no radio, no network layer. Each
/// request is handled into a reply buffer the caller lends; the BLOB Transfer Server reports the
/// end or suspension of the transfer with ``transferEnded(success:)`` and
/// ``transferSuspended()``.
public struct FirmwareUpdateServer<Target: FirmwareUpdateTarget> {
    public var target: Target
    public private(set) var update: MeshUpdateState
    /// Set when an Apply was accepted: the transport calls ``completeApply()`` once the status
    /// is on the air (Zephyr applies only after the status is sent).
    public private(set) var applyPending = false

    /// A server after power-on: `restoring` is the record persisted before the reboot, which
    /// comes back in its ``MeshDFUPhase/afterReboot`` phase.
    public init(target: Target, restoring record: MeshUpdateState? = nil) {
        self.target = target
        var state = record ?? .idle
        state.phase = state.phase.afterReboot
        // Phases the server never enters (7…10) are not an update in progress.
        update = state.phase == .idle || state.phase.rawValue > MeshDFUPhase.applying.rawValue ? .idle : state
    }

    /// A reply: its opcode and the bytes written into the lent buffer.
    public struct Reply: Equatable, Sendable {
        public var opcode: MeshDFUOpcode
        public var count: Int
    }

    /// Handles one access-layer message. nil: no reply (an opcode not for this model, a
    /// payload too short for its fields, or Info Get while applying, which Zephyr leaves
    /// unanswered until the new image has reported back).
    public mutating func handle(opcode: UInt16, payload: UnsafeRawBufferPointer, reply buffer: UnsafeMutableRawBufferPointer) -> Reply? {
        guard let op = MeshDFUOpcode(rawValue: opcode) else { return nil }
        var reader = PayloadReader(payload)
        var writer = PayloadWriter(buffer)
        switch op {
        case .infoGet:
            guard let first = reader.u8(), let limit = reader.u8(), update.phase != .applying else { return nil }
            infoStatus(first: Int(first), limit: Int(limit), into: &writer)
            return writer.count >= 2 ? Reply(opcode: .infoStatus, count: writer.count) : nil
        case .metadataCheck:
            guard let index = reader.u8() else { return nil }
            let (status, effect) = metadataCheck(image: index, metadata: reader.rest())
            writer.u8((status.rawValue & 7) | effect.rawValue << 3)
            writer.u8(index)
            return Reply(opcode: .metadataStatus, count: writer.count)
        case .get:
            return status(.success, into: &writer)
        case .start:
            guard let ttl = reader.u8(), let timeout = reader.le(2), let blob = reader.le(8), let index = reader.u8() else { return nil }
            // Each handler runs before its status is built: the status reports the phase after it.
            let result = start(ttl: ttl, timeoutBase: UInt16(timeout), blobID: blob, image: index, metadata: reader.rest())
            return status(result, into: &writer)
        case .cancel:
            cancel()
            return status(.success, into: &writer)
        case .apply:
            let result = apply()
            return status(result, into: &writer)
        case .infoStatus, .metadataStatus, .status:
            return nil  // a client's messages
        }
    }

    /// The BLOB transfer ended: on success the image is verified at once (VERIFY, then
    /// VERIFY_OK or VERIFY_FAIL); a failed transfer leaves TRANSFER_ERR, resumable by an
    /// identical Start.
    public mutating func transferEnded(success: Bool) {
        guard update.phase == .transferActive else { return }
        if success { verify() } else { update.phase = .transferError }
    }

    /// The BLOB transfer was suspended (the Distributor went quiet): TRANSFER_ERR; the current
    /// block is received again from its start on resume.
    public mutating func transferSuspended() {
        if update.phase == .transferActive { update.phase = .transferError }
    }

    /// The accepted Apply, run after its status went out: the target marks the image for a test
    /// boot. A refusal returns the server to IDLE (Zephyr: `apply()` failing).
    public mutating func completeApply() -> DFUError? {
        guard applyPending else { return nil }
        applyPending = false
        do throws(DFUError) {
            try target.apply(image: Int(update.image))
            return nil
        } catch {
            update = .idle
            return error
        }
    }

    /// The Start just accepted cannot go on (the BLOB server is busy with another transfer): the
    /// update is dropped, the target told.
    public mutating func refuseStart() {
        target.cancel(image: Int(update.image))
        update = .idle
    }

    /// The new image runs and has reported back (Zephyr's `bt_mesh_dfu_srv_applied`): APPLYING
    /// ends in IDLE.
    public mutating func applied() {
        if update.phase == .applying { update = .idle }
    }

    // MARK: Handlers

    mutating func infoStatus(first: Int, limit: Int, into writer: inout PayloadWriter) {
        let count = target.imageCount
        writer.u8(UInt8(truncatingIfNeeded: count))
        writer.u8(UInt8(truncatingIfNeeded: first))
        var listed = 0
        var index = first
        while index < count && listed < limit {
            defer { index += 1 }
            guard let id = target.firmwareID(image: index) else { continue }
            // An entry that does not fit ends the list (the SDU is full); the entries before stay.
            var entry = writer
            entry.u8(UInt8(MeshFirmwareID.byteCount))
            id.encode(into: &entry)
            entry.u8(0)  // no update URI
            guard entry.fits else { break }
            writer = entry
            listed += 1
        }
    }

    mutating func metadataCheck(image: UInt8, metadata: UnsafeRawBufferPointer) -> (MeshDFUStatus, MeshDFUEffect) {
        guard Int(image) < target.imageCount else { return (.wrongFirmwareIndex, .none) }
        do throws(DFUError) {
            return (.success, try target.check(image: Int(image), metadata: metadata))
        } catch {
            return (.metadataCheckFailed, .none)
        }
    }

    mutating func start(ttl: UInt8, timeoutBase: UInt16, blobID: UInt64, image: UInt8, metadata: UnsafeRawBufferPointer) -> MeshDFUStatus {
        let checksum = metadata.isEmpty ? 0 : fletcher16(metadata)
        let same = update.ttl == ttl && update.timeoutBase == timeoutBase && update.blobID == blobID && update.image == image
            && (metadata.isEmpty || update.metadataChecksum == checksum)
        if update.phase == .transferError && same {
            update.phase = .transferActive  // resume: the BLOB server goes on from the missing chunks
            return .success
        }
        if !update.phase.acceptsNewUpdate {
            return same ? .success : .wrongPhase
        }
        guard Int(image) < target.imageCount else { return .wrongFirmwareIndex }
        let effect: MeshDFUEffect
        do throws(DFUError) {
            effect = try target.check(image: Int(image), metadata: metadata)
        } catch {
            return .metadataCheckFailed
        }
        let prepared: MeshTransferStart
        do throws(DFUError) {
            prepared = try target.start(image: Int(image), metadata: metadata)
        } catch {
            return error.meshStatus == .metadataCheckFailed ? .internalError : error.meshStatus
        }
        update = MeshUpdateState(phase: .transferActive, ttl: ttl, effect: effect, timeoutBase: timeoutBase, blobID: blobID, image: image, metadataChecksum: checksum)
        if prepared == .alreadyPresent { verify() }
        return .success
    }

    mutating func cancel() {
        if update.phase != .idle && update.phase != .applying { target.cancel(image: Int(update.image)) }
        applyPending = false
        update = .idle
    }

    mutating func apply() -> MeshDFUStatus {
        if update.phase == .applying { return .success }
        guard update.phase == .verifyOK else { return .wrongPhase }
        update.phase = .applying
        applyPending = true
        return .success
    }

    mutating func verify() {
        update.phase = .verify
        update.phase = target.verify(image: Int(update.image)) == nil ? .verifyOK : .verifyFail
    }

    /// Firmware Update Status: status and phase, then, outside IDLE, the update's parameters.
    func status(_ status: MeshDFUStatus, into writer: inout PayloadWriter) -> Reply {
        writer.u8((status.rawValue & 7) | update.phase.rawValue << 5)
        if update.phase != .idle {
            writer.u8(update.ttl)
            writer.u8(update.effect.rawValue)
            writer.le(UInt64(update.timeoutBase), 2)
            writer.le(update.blobID, 8)
            writer.u8(update.image)
        }
        return Reply(opcode: .status, count: writer.count)
    }
}
