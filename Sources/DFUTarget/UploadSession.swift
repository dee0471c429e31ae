import BootCrypto
import FlashKit
import MCUbootImage

/// Where an upload's `image` number sends the data: recovery's policies (primary-only, slot
/// mapping) and the application's img_mgmt numbering (free slot, direct upload).
public protocol UploadTargeting {
    /// The slot an upload with `image` targets; nil when the number names no slot, or a
    /// specific refusal (a slot in use).
    func target(image: Int, in slots: some SlotMap) throws(UploadError) -> SlotAddress?
}

/// What an upload does beyond MCUboot's `bs_upload`: a type, so a boot stage that leaves them out
/// does not link their code (DESIGN.md: configuration is types and constants).
public protocol UploadFeatureSet {
    /// With a `sha`, keep a journal in the slot so that an upload cut by a reset resumes
    /// (``UploadJournal``; Lifeboat's extension).
    static var resumeAcrossReset: Bool { get }
    /// With a 32-byte `sha`, read the slot back after the last chunk and say whether it matches
    /// (Zephyr's `CONFIG_IMG_ENABLE_IMAGE_CHECK`; the reply's `match`).
    static var checkSHA: Bool { get }
}

/// Both: the host's, the simulator's and the application servers' uploads.
public enum AllUploadFeatures: UploadFeatureSet {
    public static var resumeAcrossReset: Bool { true }
    public static var checkSHA: Bool { true }
}

/// The state of one image upload, as a plain value: what MCUboot keeps in `static` locals of
/// `bs_upload`, made explicit so it can be inspected, tested, and (in a simulator) kept across a
/// lost link.
///
/// The rules, MCUboot's where it is right (mcuboot-serial-recovery.md §3.2):
/// - `off == 0` starts an upload: `image` picks the slot through the policy, `len` must fit the
///   slot. If `sha` matches the upload in progress (same slot, same `len`), the session resumes
///   and the reply asks for the offset already reached (Zephyr's session resume).
/// - A chunk with `off != 0` that carries an `image` naming another slot than the session's is
///   refused (``UploadError/imageMismatch``) and the session is kept; without `image` it belongs
///   to the session.
/// - Any other `off` that is not the expected one writes nothing and is answered with the expected
///   offset (`{"rc":0,"off":expected}`), so a client can always re-synchronise.
/// - Before the first write of a new upload, the sectors holding MCUboot's trailer are erased if
///   they are not blank (storage preparation: no stale swap state survives, even mid-upload);
///   then sectors are erased as the upload reaches them (progressive erase), never the whole
///   slot up front.
/// - A non-final chunk is trimmed to the write size (the client resends the tail); the final chunk
///   is padded with the erased value.
/// - With a `sha`, the upload keeps a journal in the slot (``UploadJournal``): its identity, and
///   the offset reached at each sector boundary. After a reset (RAM forgotten, flash kept), the
///   same `off == 0` request (same slot, `len` and `sha`) resumes from the last journaled offset
///   instead of 0. The journal is erased when the upload completes.
public struct UploadSession: Sendable {
    /// The slot being written, or nil before the first `off == 0` chunk.
    public private(set) var target: SlotAddress?
    /// The next offset the session accepts (MCUboot's `curr_off`).
    public private(set) var expectedOffset = 0
    /// The `len` of the upload in progress.
    public private(set) var imageSize = 0
    /// Bytes `0..<erasedUpTo` of the slot were erased by this upload (sector-aligned).
    public private(set) var erasedUpTo = 0
    private var sha = InlineArray<32, UInt8>(repeating: 0)
    private var shaCount = 0
    /// Where this upload's journal lives in the slot (nil: no journal: no `sha`, or no room).
    private var journal: UploadJournal?
    /// Progress records written to the journal so far, and the offset the last one holds.
    private var journalRecords = 0
    private var journalReached = 0

    public init() {}

    /// True once every byte of `len` was written.
    public var isComplete: Bool { target != nil && expectedOffset == imageSize }

    /// True when the upload came with a 32-byte `sha`: its last chunk reads the slot back and
    /// hashes it (``UploadOutcome/completed(size:match:)``'s `match`).
    public var checksSHA: Bool { shaCount == 32 }

    /// Forgets the upload (after a failed flash operation, or on reset).
    public mutating func abandon() { self = UploadSession() }

    /// Handles one chunk against `slots`; `policy` decides where an `image` number goes, and
    /// `features` whether the upload keeps a journal and checks its `sha`.
    public mutating func receive<Slots: SlotMap, Policy: UploadTargeting, Features: UploadFeatureSet>(
        _ chunk: UploadChunk, policy: Policy, slots: Slots, features: Features.Type = AllUploadFeatures.self
    ) throws(UploadError) -> UploadOutcome {
        var started = false
        if chunk.offset == 0 {
            if let resumed = try start(chunk, policy: policy, slots: slots, features: features) { return resumed }
            started = true
        } else if let image = chunk.image, let target, (try? policy.target(image: image, in: slots)) != target {
            // A later chunk that names another slot than the upload in progress (two clients
            // interleaving, or a confused one): MCUboot ignores `image` here and would write it
            // into the session's slot. Refused; the session is left as it was.
            throw .imageMismatch
        }
        guard let target, chunk.offset == expectedOffset,
            let area = slots.area(image: target.image, slot: target.slot)
        else {
            return .mismatch(expected: target == nil ? 0 : expectedOffset)
        }
        guard chunk.data.count <= imageSize - expectedOffset else { throw .dataPastEnd }
        let wrote = try write(chunk.data, to: area, features: features)
        if wrote && isComplete { return .completed(size: imageSize, match: Features.checkSHA ? try checkSHA(area) : nil) }
        if started { return .started(nextOffset: expectedOffset) }
        return wrote ? .written(nextOffset: expectedOffset) : .mismatch(expected: expectedOffset)
    }

    /// Starts (or resumes) an upload. Returns an outcome when the chunk is fully answered by a resume.
    private mutating func start<Slots: SlotMap, Policy: UploadTargeting, Features: UploadFeatureSet>(
        _ chunk: UploadChunk, policy: Policy, slots: Slots, features: Features.Type
    ) throws(UploadError) -> UploadOutcome? {
        guard let address = try policy.target(image: chunk.image ?? 0, in: slots),
            let area = slots.area(image: address.image, slot: address.slot)
        else { throw .imageOutOfRange }
        guard let length = chunk.length else { throw .missingLength }
        guard length > 0 else { throw .emptyImage }
        guard length <= area.size else { throw .lengthExceedsSlot }
        if let sha = chunk.sha, sha.count > 32 { throw .hashTooLong }
        guard area.writeSize <= Self.maxWriteSize else { throw .unsupportedWriteSize }
        // Checked here, before the session is replaced, so a refused first chunk leaves an upload
        // in progress intact like every other refusal.
        guard chunk.data.count <= length else { throw .dataPastEnd }

        if let sha = chunk.sha, sha.count > 0, target == address, imageSize == length,
            expectedOffset > 0, !isComplete, matchesSHA(sha)
        {
            return .resumed(at: expectedOffset)
        }
        self = UploadSession()
        target = address
        imageSize = length
        if let sha = chunk.sha {
            shaCount = sha.count
            for i in 0..<sha.count { self.sha[i] = sha[i] }
        }
        if Features.resumeAcrossReset, shaCount > 0, let place = UploadJournal(slot: area, imageSize: length) {
            journal = place
            // The slot may hold the journal of this very upload, cut by a reset: go on from the
            // offset it reached. The sector there may be half written: progressive erase
            // starts again at it.
            if let (reached, records) = try? place.progress(in: area, imageSize: length, sha: self.sha, shaCount: shaCount), reached > 0 {
                expectedOffset = reached
                erasedUpTo = reached
                journalRecords = records
                journalReached = reached
                return .resumed(at: reached)
            }
        }
        return nil
    }

    /// Zephyr's image check (`CONFIG_IMG_ENABLE_IMAGE_CHECK`): with a 32-byte `sha` (smpclient
    /// and mcumgr-toolkit send SHA-256 of the file), the `len` bytes now in the slot are read back
    /// and hashed, so a client learns whether flash holds what it sent (`"match"`), not only
    /// whether the transfer went through. nil without a 32-byte `sha`.
    private func checkSHA(_ area: some NORFlash) throws(UploadError) -> Bool? {
        guard checksSHA else { return nil }
        let digest: SHA256.Digest
        do throws(ImageRejection) {
            digest = try ImageInspector().computeHash(of: area, count: imageSize)
        } catch {
            // `imageSize` fits the slot (checked at the start), so only a read can fail here.
            if case .flash(let fault) = error { throw .readFailed(fault) }
            throw .readFailed(.outOfBounds)
        }
        for i in 0..<32 where digest.bytes[i] != sha[i] { return false }
        return true
    }

    private func matchesSHA(_ candidate: UnsafeRawBufferPointer) -> Bool {
        guard candidate.count == shaCount else { return false }
        for i in 0..<shaCount where sha[i] != candidate[i] { return false }
        return true
    }

    /// Largest write size the final-chunk padding supports.
    static let maxWriteSize = 64

    /// Programs what of `data` can be programmed now; false when nothing could be.
    private mutating func write<Features: UploadFeatureSet>(
        _ data: UnsafeRawBufferPointer, to area: some NORFlash, features: Features.Type
    ) throws(UploadError) -> Bool {
        let isLast = expectedOffset + data.count == imageSize
        let remainder = data.count % area.writeSize
        let aligned = data.count - remainder
        let written = isLast ? data.count : aligned
        // Nothing to program (an empty chunk, or one shorter than the write size that is not the
        // last): the client must resend from the same offset.
        guard written > 0 else { return false }
        // Progressive erase: every sector up to the one holding the last byte this chunk programs
        // (the padded final unit included).
        let end = expectedOffset + (isLast ? area.alignUpToWrite(data.count) : aligned)
        do throws(FlashError) {
            // Storage preparation, once, before the upload's first write.
            if expectedOffset == 0 {
                try scrubTrailer(of: area)
                if Features.resumeAcrossReset, let journal { try journal.writeIdentity(to: area, imageSize: imageSize, sha: sha, shaCount: shaCount) }
            }
            if end > erasedUpTo {
                let target = progressiveEraseEnd(in: area, reaching: end)
                try area.erase(at: erasedUpTo, count: target - erasedUpTo)
                erasedUpTo = target
            }
        } catch {
            abandon()
            throw .eraseFailed(error)
        }
        do throws(FlashError) {
            let bytes = data.assumingMemoryBound(to: UInt8.self)
            if aligned > 0 {
                try area.write(at: expectedOffset, bytes.span.extracting(0..<aligned))
            }
            if isLast && remainder > 0 {
                var unit = InlineArray<64, UInt8>(repeating: area.erasedValue)
                for i in 0..<remainder { unit[i] = bytes[aligned + i] }
                try area.write(at: expectedOffset + aligned, unit.span.extracting(0..<area.writeSize))
            }
        } catch {
            abandon()
            throw .writeFailed(error)
        }
        expectedOffset += written
        do throws(FlashError) {
            if Features.resumeAcrossReset, let journal {
                if isComplete {
                    // Done: the journal goes, and the trailer area is erased as MCUboot expects.
                    try journal.erase(in: area)
                    self.journal = nil
                } else if case let boundary = expectedOffset - expectedOffset % area.eraseSize, boundary > journalReached,
                    journalRecords < journal.maxRecords
                {
                    try journal.writeRecord(journalRecords, offset: boundary, to: area)
                    journalRecords += 1
                    journalReached = boundary
                }
            }
        } catch {
            // The data is written; a journal that cannot be kept only loses resume after a reset.
            self.journal = nil
        }
        return true
    }

    /// Where progressive erase erases up to when a chunk ends at `end`: the end of the sector
    /// holding its last byte, or, on a device with a larger erase unit (a 64 KiB block on SPI NOR),
    /// on to the end of that unit, so `erase` can use it, but never past the last sector of the
    /// image (the journal and the trailer lie beyond it). 16 sector erases of the MX25R6435F take
    /// 768 ms typical, one block erase 480 ms.
    func progressiveEraseEnd(in area: some NORFlash, reaching end: Int) -> Int {
        let sectorEnd = area.sectorStart(containing: end - 1) + area.eraseSize
        let block = area.blockEraseSize
        guard block > area.eraseSize else { return sectorEnd }
        let imageEnd = area.sectorStart(containing: area.alignUpToWrite(imageSize) - 1) + area.eraseSize
        let blockEnd = (sectorEnd + block - 1) / block * block
        return max(sectorEnd, min(blockEnd, imageEnd, area.size))
    }

    /// Storage preparation (``NORFlash/scrubTrailer(imageSize:)``), before the upload's first write.
    private func scrubTrailer(of area: some NORFlash) throws(FlashError) {
        try area.scrubTrailer(imageSize: imageSize)
    }
}

/// The journal of an upload in progress, kept in the target slot so that an upload cut by a reset
/// resumes (Lifeboat's extension; MCUboot's serial recovery starts again at 0).
///
/// Where: at the start of the first sector that holds only trailer (no byte of the image), which
/// the upload's storage preparation has just erased; it ends before the trailer's fixed fields
/// (swap size, swap info, copy done, image ok, magic), in the swap-status area that MCUboot only
/// reads when the slot's magic is good, and the magic stays erased until the upload is done. No
/// journal when the image leaves no such room.
///
/// Layout (write-size units, little-endian):
///
///     identity  "LBUPLOG1" (8) ‖ len (u32) ‖ sha length (u8) ‖ 3 × 0 ‖ sha (32), padded to a write unit
///     record k  offset reached (u32, sector-aligned, increasing), padded to a write unit
///
/// A record is written after the sector before its offset is fully programmed, so every byte
/// below the last record's offset holds the image. The journal is erased with the upload's last
/// chunk; a leftover (a reset mid-upload) is erased by the next upload's storage preparation.
public struct UploadJournal: Sendable, Equatable {
    /// Offset of the journal in the slot.
    public let offset: Int
    /// Bytes of the identity and of each record, whole write units.
    public let identitySize: Int
    public let recordSize: Int
    /// Records the journal has room for (one per sector of the image at most).
    public let maxRecords: Int

    /// "LBUPLOG1" as a little-endian u64: no array (the boot stage has no heap).
    static let magic: UInt64 = 0x3147_4F4C_5055_424C

    static func magicByte(_ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: magic >> (8 * UInt64(i))) }

    /// The journal's place in `slot` for an image of `imageSize` bytes; nil without room.
    public init?(slot: some NORFlash, imageSize: Int) {
        guard imageSize > 0, slot.writeSize <= 64 else { return nil }
        let layout = TrailerLayout(slot: slot)
        let imageEnd = slot.sectorStart(containing: slot.alignUpToWrite(imageSize) - 1) + slot.eraseSize
        let start = max(slot.sectorStart(containing: max(0, slot.size - layout.trailerSize)), imageEnd)
        identitySize = slot.alignUpToWrite(48)
        recordSize = slot.alignUpToWrite(4)
        maxRecords = (imageSize + slot.eraseSize - 1) / slot.eraseSize
        offset = start
        guard start + identitySize + maxRecords * recordSize <= layout.swapSizeOffset else { return nil }
    }

    func writeIdentity(to slot: some NORFlash, imageSize: Int, sha: InlineArray<32, UInt8>, shaCount: Int) throws(FlashError) {
        var unit = InlineArray<64, UInt8>(repeating: slot.erasedValue)
        for i in 0..<8 { unit[i] = Self.magicByte(i) }
        for i in 0..<4 { unit[8 + i] = UInt8(truncatingIfNeeded: imageSize >> (8 * i)) }
        unit[12] = UInt8(shaCount)
        for i in 13..<16 { unit[i] = 0 }
        for i in 0..<32 { unit[16 + i] = i < shaCount ? sha[i] : 0 }
        try slot.write(at: offset, unit.span.extracting(0..<identitySize))
    }

    func writeRecord(_ index: Int, offset reached: Int, to slot: some NORFlash) throws(FlashError) {
        var unit = InlineArray<64, UInt8>(repeating: slot.erasedValue)
        for i in 0..<4 { unit[i] = UInt8(truncatingIfNeeded: reached >> (8 * i)) }
        try slot.write(at: offset + identitySize + index * recordSize, unit.span.extracting(0..<recordSize))
    }

    func erase(in slot: some NORFlash) throws(FlashError) {
        try slot.eraseSectors(covering: offset, count: identitySize + maxRecords * recordSize)
    }

    /// The record's offset, or nil when it is erased (not written yet).
    func record(_ index: Int, in slot: some NORFlash) throws(FlashError) -> Int? {
        var unit = InlineArray<64, UInt8>(repeating: 0)
        var span = unit.mutableSpan
        try slot.read(at: offset + identitySize + index * recordSize, into: &span, count: 4)
        if unit[0] == slot.erasedValue && unit[1] == slot.erasedValue && unit[2] == slot.erasedValue && unit[3] == slot.erasedValue {
            return nil
        }
        return Int(unit[0]) | Int(unit[1]) << 8 | Int(unit[2]) << 16 | Int(unit[3]) << 24
    }

    /// The offset an upload with this identity reached, and the records that say so, from the
    /// journal in `slot`: nil when the slot holds no journal, or one of another upload (length,
    /// sha), or one that does not read as this journal writes them (offsets not increasing, not
    /// sector-aligned, past the end).
    func progress(in slot: some NORFlash, imageSize: Int, sha: InlineArray<32, UInt8>, shaCount: Int) throws(FlashError) -> (offset: Int, records: Int)? {
        var unit = InlineArray<64, UInt8>(repeating: 0)
        var span = unit.mutableSpan
        try slot.read(at: offset, into: &span, count: 48)
        for i in 0..<8 where unit[i] != Self.magicByte(i) { return nil }
        let length = Int(unit[8]) | Int(unit[9]) << 8 | Int(unit[10]) << 16 | Int(unit[11]) << 24
        guard length == imageSize, Int(unit[12]) == shaCount else { return nil }
        for i in 0..<shaCount where unit[16 + i] != sha[i] { return nil }
        var reached = 0
        var records = 0
        while records < maxRecords, let value = try record(records, in: slot) {
            guard value > reached, value % slot.eraseSize == 0, value < length else { return nil }
            reached = value
            records += 1
        }
        return (reached, records)
    }
}

/// What a chunk that was not refused led to.
public enum UploadOutcome: Equatable, Sendable {
    /// `off == 0` began a new upload; the session now expects `nextOffset` (0 if the chunk was too
    /// short to program anything yet).
    case started(nextOffset: Int)
    /// A later chunk was written; the session now expects `nextOffset`.
    case written(nextOffset: Int)
    /// The last byte was written. `match`: whether the slot's `len` bytes hash to the upload's
    /// 32-byte `sha` (nil when the client sent none).
    case completed(size: Int, match: Bool?)
    /// `off == 0` with the `sha` and `len` of the upload in progress: nothing was written, the
    /// client continues from `at`.
    case resumed(at: Int)
    /// Nothing was written (an unexpected offset, or too little data to program): the client
    /// continues from `expected`.
    case mismatch(expected: Int)

    /// The `off` to put in the reply.
    public var replyOffset: Int {
        switch self {
        case .started(let next), .written(let next): next
        case .completed(let size, _): size
        case .resumed(let at): at
        case .mismatch(let expected): expected
        }
    }
}
