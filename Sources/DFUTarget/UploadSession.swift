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

    public init() {}

    /// True once every byte of `len` was written.
    public var isComplete: Bool { target != nil && expectedOffset == imageSize }

    /// Forgets the upload (after a failed flash operation, or on reset).
    public mutating func abandon() { self = UploadSession() }

    /// Handles one chunk against `slots`; `policy` decides where an `image` number goes.
    public mutating func receive<Slots: SlotMap, Policy: UploadTargeting>(
        _ chunk: UploadChunk, policy: Policy, slots: Slots
    ) throws(UploadError) -> UploadOutcome {
        var started = false
        if chunk.offset == 0 {
            if let resumed = try start(chunk, policy: policy, slots: slots) { return resumed }
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
        let wrote = try write(chunk.data, to: area)
        if wrote && isComplete { return .completed(size: imageSize, match: try checkSHA(area)) }
        if started { return .started(nextOffset: expectedOffset) }
        return wrote ? .written(nextOffset: expectedOffset) : .mismatch(expected: expectedOffset)
    }

    /// Starts (or resumes) an upload. Returns an outcome when the chunk is fully answered by a resume.
    private mutating func start<Slots: SlotMap, Policy: UploadTargeting>(
        _ chunk: UploadChunk, policy: Policy, slots: Slots
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
        return nil
    }

    /// Zephyr's image check (`CONFIG_IMG_ENABLE_IMAGE_CHECK`): with a 32-byte `sha` (smpclient
    /// and mcumgr-toolkit send SHA-256 of the file), the `len` bytes now in the slot are read back
    /// and hashed, so a client learns whether flash holds what it sent (`"match"`), not only
    /// whether the transfer went through. nil without a 32-byte `sha`.
    private func checkSHA(_ area: some NORFlash) throws(UploadError) -> Bool? {
        guard shaCount == 32 else { return nil }
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
    private mutating func write(_ data: UnsafeRawBufferPointer, to area: some NORFlash) throws(UploadError) -> Bool {
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
            if expectedOffset == 0 { try scrubTrailer(of: area) }
            if end > erasedUpTo {
                let sectorEnd = area.sectorStart(containing: end - 1) + area.eraseSize
                try area.erase(at: erasedUpTo, count: sectorEnd - erasedUpTo)
                erasedUpTo = sectorEnd
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
        return true
    }

    /// Storage preparation: before the first byte of a new upload is written, the sectors that
    /// hold MCUboot's image trailer are erased unless they already are, so a trailer left by an
    /// earlier image (a pending test, a swap's state) never describes the new one, not even while
    /// the upload is under way or after it is cut. The area is the largest trailer a swap
    /// strategy keeps in this slot (`boot_trailer_sz` with a status entry per sector).
    ///
    /// Sectors the image itself reaches are left to progressive erase (erased before the first
    /// write into them), so no sector is erased twice.
    private func scrubTrailer(of area: some NORFlash) throws(FlashError) {
        let trailer = TrailerLayout(slot: area).trailerSize
        let imageEnd = area.sectorStart(containing: area.alignUpToWrite(imageSize) - 1) + area.eraseSize
        let start = max(area.sectorStart(containing: max(0, area.size - trailer)), imageEnd)
        guard start < area.size, !(try area.isErased(at: start, count: area.size - start)) else { return }
        try area.erase(at: start, count: area.size - start)
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
