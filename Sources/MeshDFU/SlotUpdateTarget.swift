import BootCrypto
import DFUTarget
import FlashKit
import MCUbootImage

/// Lifeboat's Mesh DFU target over MCUboot slots: what inapp-dfu.md §3.5–3.6 maps each Mesh
/// step onto, done with the DFU-target core that serial recovery and the application stage use.
/// The firmware id comes from the primary slot's header; the metadata check refuses an image
/// that is not newer than the running one or does not fit the secondary slot; Start checks that
/// the secondary is free (not the revert target, no swap pending), recognises an identical image
/// already there, and scrubs its trailer; the BLOB is written in the block-window mode; verify
/// is the full MCUboot validation; Apply marks the secondary for a test boot (revertible), as
/// `image test` does.
public struct SlotUpdateTarget<Slots: SlotMap>: FirmwareUpdateTarget, BLOBStorage {
    public let core: DFUCore<Slots>
    public var policy: ImagePolicy
    /// Company id of the firmware ids (Bluetooth SIG assigned number; 0x0059 Nordic).
    public var companyID: UInt16
    /// The node's current Composition Data hash: an update whose metadata names another one
    /// changes the node's composition (effect: unprovision, as the nRF Connect SDK sample).
    public var compositionHash: UInt32?
    /// The validator's reason for the last image that failed verification.
    public private(set) var lastRejection: ImageRejection?
    var writer: BlockWindowWriter<Slots.Area>?
    /// The image the update in progress is for (set by Start, and by the node after a reboot).
    public var activeImage = 0

    public init(core: DFUCore<Slots>, policy: ImagePolicy, companyID: UInt16 = 0x0059, compositionHash: UInt32? = nil) {
        self.core = core
        self.policy = policy
        self.companyID = companyID
        self.compositionHash = compositionHash
    }

    public var imageCount: Int { core.slots.imageCount }

    public func firmwareID(image: Int) -> MeshFirmwareID? {
        core.info(SlotAddress(image: image, slot: 0)).map { MeshFirmwareID(companyID: companyID, version: $0.header.version) }
    }

    func secondary(_ image: Int) throws(DFUError) -> Slots.Area {
        guard let area = core.slots.area(image: image, slot: 1) else { throw .imageOutOfRange }
        return area
    }

    /// The largest image the secondary of `image` holds (the trailer stays free).
    public func capacity(image: Int) -> Int {
        guard let area = core.slots.area(image: image, slot: 1) else { return 0 }
        return area.size - TrailerLayout(slot: area, overwriteOnly: core.overwriteOnly).trailerSize
    }

    public mutating func check(image: Int, metadata: UnsafeRawBufferPointer) throws(DFUError) -> MeshDFUEffect {
        guard let candidate = MeshDFUMetadata(decoding: metadata) else { throw .invalidImageHeader }
        _ = try secondary(image)
        // Image 0 is the application core's, image 1 (nRF5340) the network core's.
        let core: MeshDFUMetadata.CoreType = image == 0 ? .application : .network
        guard candidate.coreType.contains(core) else { throw .invalidImageHeader }
        if let running = firmwareID(image: image)?.version, !(candidate.version > running) { throw .currentVersionIsNewer }
        guard candidate.size > 0 else { throw .emptyImage }
        guard candidate.size <= capacity(image: image) else { throw .lengthExceedsSlot }
        if let now = compositionHash, let next = candidate.compositionHash, now != next { return .unprovision }
        return .none
    }

    public mutating func start(image: Int, metadata: UnsafeRawBufferPointer) throws(DFUError) -> MeshTransferStart {
        guard let candidate = MeshDFUMetadata(decoding: metadata) else { throw .invalidImageHeader }
        let area = try secondary(image)
        let address = SlotAddress(image: image, slot: 1)
        activeImage = image
        // The secondary must be free: not the revert target of a running test image, and no
        // swap already scheduled.
        try core.checkErasable(address)
        guard core.state(image: image).nextBoot == .normal else { throw .alreadyPending }
        // Already received: the secondary holds a valid image of this version and size.
        if let present = core.info(address), present.header.version == candidate.version,
            Int(present.header.hashedSize) <= candidate.size,
            (try? ImageValidator(policy: policy).validate(area)) != nil
        {
            writer = nil
            return .alreadyPresent
        }
        writer = try BlockWindowWriter(area: area, imageSize: candidate.size)
        return .transfer
    }

    public mutating func open(size: Int) throws(DFUError) {
        if let writer, writer.imageSize == size { return }
        writer = try BlockWindowWriter(area: try secondary(activeImage), imageSize: size)
    }

    public mutating func blockStart(offset: Int, size: Int) throws(DFUError) {
        guard writer != nil else { throw .invalidImageHeader }
        try writer!.startBlock(offset: offset, size: size)
    }

    public mutating func write(offset: Int, bytes: UnsafeRawBufferPointer) throws(DFUError) {
        guard let writer else { throw .invalidImageHeader }
        try writer.write(offset: offset, bytes: bytes)
    }

    public mutating func verify(image: Int) -> ImageRejection? {
        writer = nil
        guard let area = core.slots.area(image: image, slot: 1) else { return .noImage }
        do throws(ImageRejection) {
            _ = try ImageValidator(policy: policy).validate(area)
            lastRejection = nil
            return nil
        } catch {
            lastRejection = error
            return error
        }
    }

    public mutating func apply(image: Int) throws(DFUError) {
        guard let info = core.info(SlotAddress(image: image, slot: 1)) else { throw .hashNotFound }
        let target = try info.hash.bytes.span.withUnsafeBytes { hash throws(DFUError) in try core.stateWriteTarget(hash: hash, confirm: false) }
        guard let (address, active) = target else { return }  // already marked
        try core.setNext(address, active: active, confirm: false)
    }

    public mutating func cancel(image: Int) { writer = nil }

    /// The new image runs: confirm it (`boot_set_next(primary, true, true)`), as the application
    /// does before it reports back with `bt_mesh_dfu_srv_applied()`.
    public func confirmRunning(image: Int) throws(DFUError) {
        try core.setNext(SlotAddress(image: image, slot: 0), active: true, confirm: true)
    }
}

/// A Mesh DFU Target node's two models on one element: the Firmware Update Server and the BLOB
/// Transfer Server it extends, wired as Zephyr wires them (an accepted Start prepares the BLOB
/// receive; the BLOB's end, suspension or cancellation moves the update's phase).
public struct MeshDFUNode<Slots: SlotMap> {
    public var update: FirmwareUpdateServer<SlotUpdateTarget<Slots>>
    public var blob: BLOBTransferServer

    /// A node after power-on: `record` is the update's persisted record, `blobRecord` the BLOB
    /// transfer's (both as the node stored them before the reboot; empty: none).
    public init(target: SlotUpdateTarget<Slots>, restoring record: MeshUpdateState? = nil, blobRecord: [UInt8] = [], image: Int = 0) {
        var target = target
        if let record { target.activeImage = Int(record.image) }
        update = FirmwareUpdateServer(target: target, restoring: record)
        let alignment = target.core.slots.area(image: image, slot: 1)?.writeSize ?? 4
        let limit = target.capacity(image: image)
        // The BLOB comes back only with the update it belongs to (now TRANSFER_ERR).
        if update.update.phase == .transferError, update.update.blobID == blobRecord.withUnsafeBytes({ PayloadReader($0).peekID }) {
            blob = blobRecord.withUnsafeBytes { BLOBTransferServer(sizeLimit: limit, chunkAlignment: alignment, restoring: $0) }
        } else {
            blob = BLOBTransferServer(sizeLimit: limit, chunkAlignment: alignment)
        }
    }

    /// The BLOB transfer's record to persist (empty when no transfer is under way).
    public var blobRecord: [UInt8] {
        guard blob.phase == .waitingForBlock || blob.phase == .waitingForChunk || blob.phase == .suspended else { return [] }
        var bytes = [UInt8](repeating: 0, count: BLOBTransferServer.recordSize)
        bytes.withUnsafeMutableBytes { raw in
            var writer = PayloadWriter(raw)
            blob.encodeRecord(into: &writer)
        }
        return bytes
    }

    /// A reply: its opcode (DFU or BLOB) and length in the lent buffer.
    public struct Reply: Equatable, Sendable {
        public var opcode: UInt16
        public var count: Int
    }

    /// Handles one access-layer message for either model.
    public mutating func handle(opcode: UInt16, payload: UnsafeRawBufferPointer, reply buffer: UnsafeMutableRawBufferPointer) -> Reply? {
        if MeshDFUOpcode(rawValue: opcode) != nil {
            let before = update.update
            guard let reply = update.handle(opcode: opcode, payload: payload, reply: buffer) else { return nil }
            let after = update.update
            if MeshDFUOpcode(rawValue: opcode) == .start && after.phase == .transferActive
                && (before.phase != .transferActive && before.phase != .transferError || before.blobID != after.blobID)
            {
                // A new update: the BLOB server expects its transfer (a resumed one still has it).
                if !blob.receive(id: after.blobID, ttl: after.ttl, timeoutBase: after.timeoutBase) {
                    update.refuseStart()
                    return Reply(opcode: reply.opcode.rawValue, count: rewriteStatus(buffer, .blobTransferBusy))
                }
            } else if MeshDFUOpcode(rawValue: opcode) == .start && after.phase == .transferActive && blob.phase == .inactive {
                // Resumed after a reboot, which the BLOB state did not survive: receive it again.
                _ = blob.receive(id: after.blobID, ttl: after.ttl, timeoutBase: after.timeoutBase)
            }
            if MeshDFUOpcode(rawValue: opcode) == .cancel { blob.cancel() }
            return Reply(opcode: reply.opcode.rawValue, count: reply.count)
        }
        var event: BLOBEvent?
        let reply = blob.handle(opcode: opcode, payload: payload, reply: buffer, storage: &update.target, event: &event)
        if let event { deliver(event) }
        return reply.map { Reply(opcode: $0.opcode.rawValue, count: $0.count) }
    }

    /// The receive timeout of the BLOB server elapsed.
    public mutating func receiveTimeout() {
        if let event = blob.timeout() { deliver(event) }
    }

    mutating func deliver(_ event: BLOBEvent) {
        switch event {
        case .completed: update.transferEnded(success: true)
        case .suspended: update.transferSuspended()
        case .cancelled: update.transferEnded(success: false)
        }
    }

    func rewriteStatus(_ buffer: UnsafeMutableRawBufferPointer, _ status: MeshDFUStatus) -> Int {
        var writer = PayloadWriter(buffer)
        return update.status(status, into: &writer).count
    }
}
