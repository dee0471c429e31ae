import FlashKit

/// Where MCUboot's image trailer lives in a slot: one owner for the arithmetic that `imgtool`
/// (`_trailer_size`), MCUboot (`boot_trailer_sz`, `bootutil_misc.h`) and every Lifeboat tool use.
///
/// ```
///  offsets from the slot end S (BOOT_MAX_ALIGN = A, 8 by default; w = the device's write size)
///
///  S − trailerSize ┌──────────────────────────────────────────────┐
///                  │ swap status: sectors × states × w            │  one w-byte entry per (sector,
///                  │   entry (i, s) at statusOffset + (i·states+s)·w │  state), written as a swap goes
///  swapSizeOffset  ├──────────────────────────────────────────────┤  = swapInfoOffset − A
///                  │ swap_size  u32 LE, padded to w               │
///  swapInfoOffset  ├──────────────────────────────────────────────┤  = copyDoneOffset − A
///                  │ swap_info  (image << 4) | type, padded to w  │
///  copyDoneOffset  ├──────────────────────────────────────────────┤  = imageOKOffset − A
///                  │ copy_done  0x01 when set, padded to w        │
///  imageOKOffset   ├──────────────────────────────────────────────┤  = ALIGN_DOWN(S − 16 − A, A)
///                  │ image_ok   0x01 when set, padded to w        │
///  magicOffset     ├──────────────────────────────────────────────┤  = S − ALIGN_UP(16, A)
///                  │ [erased padding] magic (16 bytes)            │
///  S               └──────────────────────────────────────────────┘
/// ```
///
/// `trailerSize` = sectors × states × w + 4·A + ALIGN_UP(16, A); overwrite-only has no status
/// area and no swap_info / swap_size (2·A + ALIGN_UP(16, A), as imgtool's `--overwrite-only`).
/// Example: 128 sectors, w = 4, swap using move or scratch: 1536 + 32 + 16 = 1584 bytes.
public struct TrailerLayout: Equatable, Sendable {
    /// MCUboot's default `BOOT_MAX_ALIGN`.
    public static let defaultMaxAlign = 8
    /// MCUboot's default `BOOT_MAX_IMG_SECTORS` (imgtool's `--max-sectors` default).
    public static let defaultMaxSectors = 128
    /// Swap-status states per sector: 3 for swap using scratch and swap using move.
    public static let swapStates = 3

    public let slotSize: Int
    /// The device's write size (`flash_area_align`): each field is written as this many bytes.
    public let writeSize: Int
    /// `BOOT_MAX_ALIGN`: fields are this far apart. At least the write size (MCUboot asserts it).
    public let maxAlign: Int
    /// Entries of the swap status area (`BOOT_MAX_IMG_SECTORS`); 0 for overwrite-only.
    public let statusSectors: Int
    /// True for MCUboot's overwrite-only mode: magic and image_ok / copy_done only.
    public let overwriteOnly: Bool

    /// - Parameters:
    ///   - maxAlign: nil: `max(8, writeSize)`, what MCUboot must be configured with for the device.
    ///   - statusSectors: nil: the slot's sector count (MCUboot's `CONFIG_BOOT_MAX_IMG_SECTORS_AUTO`).
    public init(slotSize: Int, eraseSize: Int, writeSize: Int, maxAlign: Int? = nil, statusSectors: Int? = nil, overwriteOnly: Bool = false) {
        precondition(writeSize > 0 && eraseSize > 0, "geometry of a real device")
        self.slotSize = slotSize
        self.writeSize = writeSize
        self.maxAlign = max(maxAlign ?? Self.defaultMaxAlign, writeSize)
        self.overwriteOnly = overwriteOnly
        self.statusSectors = overwriteOnly ? 0 : (statusSectors ?? slotSize / eraseSize)
    }

    /// The layout imgtool computes from its options: `--align` (write size), `--max-align`,
    /// `--max-sectors` and `--overwrite-only`.
    public init(slotSize: Int, writeSize: Int, maxAlign: Int? = nil, statusSectors: Int, overwriteOnly: Bool = false) {
        self.init(slotSize: slotSize, eraseSize: writeSize, writeSize: writeSize, maxAlign: maxAlign,
                  statusSectors: statusSectors, overwriteOnly: overwriteOnly)
    }

    /// The layout of a slot on its device.
    public init(slot: some NORFlash, maxAlign: Int? = nil, statusSectors: Int? = nil, overwriteOnly: Bool = false) {
        self.init(slotSize: slot.size, eraseSize: slot.eraseSize, writeSize: slot.writeSize,
                  maxAlign: maxAlign, statusSectors: statusSectors, overwriteOnly: overwriteOnly)
    }

    static func alignUp(_ value: Int, _ alignment: Int) -> Int { (value + alignment - 1) / alignment * alignment }
    static func alignDown(_ value: Int, _ alignment: Int) -> Int { value / alignment * alignment }

    /// `BOOT_MAGIC_ALIGN_SIZE`: the magic's 16 bytes rounded up to `maxAlign`.
    public var magicAreaSize: Int { Self.alignUp(16, maxAlign) }
    public var magicOffset: Int { slotSize - magicAreaSize }
    public var imageOKOffset: Int { Self.alignDown(slotSize - 16 - maxAlign, maxAlign) }
    public var copyDoneOffset: Int { imageOKOffset - maxAlign }
    public var swapInfoOffset: Int { copyDoneOffset - maxAlign }
    public var swapSizeOffset: Int { swapInfoOffset - maxAlign }
    public var statusStates: Int { overwriteOnly ? 0 : Self.swapStates }
    public var statusSize: Int { statusSectors * statusStates * writeSize }

    /// Bytes at the end of the slot that belong to the trailer (`boot_trailer_sz`).
    public var trailerSize: Int {
        overwriteOnly ? 2 * maxAlign + magicAreaSize : statusSize + 4 * maxAlign + magicAreaSize
    }
    /// Where the swap status area begins (`boot_status_off`).
    public var statusOffset: Int { slotSize - trailerSize }

    /// Offset of swap-status entry (`sector`, `state`).
    public func statusEntryOffset(sector: Int, state: Int) -> Int {
        statusOffset + (sector * statusStates + state) * writeSize
    }

    /// The 16-byte magic MCUboot writes and recognises for this `maxAlign`: the standard constant
    /// with `BOOT_MAX_ALIGN` 8, otherwise the `u16 align` form.
    public var magic: InlineArray<16, UInt8> {
        maxAlign == 8 ? ImageTrailer.standardMagic : ImageTrailer.alignedMagic(maxAlign)
    }
}

/// The decoded state of a slot's trailer: what MCUboot's `boot_read_swap_state` returns.
///
/// Every field read from flash is hostile: any byte pattern decodes to a defined state (a torn or
/// garbage magic is `.bad`, a flag byte that is neither erased nor 0x01 is `.bad`, a swap type
/// beyond REVERT reads as NONE), never a trap.
public struct ImageTrailer: Equatable, Sendable {
    /// `BOOT_MAGIC_GOOD` / `BAD` / `UNSET`.
    public enum Magic: Equatable, Sendable {
        case good, bad, unset
    }
    /// `BOOT_FLAG_SET` (0x01), `BAD` (any other non-erased byte), `UNSET` (erased).
    public enum Flag: Equatable, Sendable {
        case set, bad, unset
    }
    /// `BOOT_SWAP_TYPE_*`.
    public enum SwapType: UInt8, Equatable, Sendable {
        case none = 1, test = 2, permanent = 3, revert = 4, fail = 5, panic = 0xFF
    }

    public var magic: Magic
    public var imageOK: Flag
    public var copyDone: Flag
    /// `swap_info`'s low nibble (NONE when erased or beyond REVERT).
    public var swapType: SwapType
    /// `swap_info`'s high nibble: the image the swap is for.
    public var swapImage: UInt8
    /// `swap_size`, or nil when erased.
    public var swapSize: UInt32?

    public init(magic: Magic, imageOK: Flag, copyDone: Flag, swapType: SwapType = .none, swapImage: UInt8 = 0, swapSize: UInt32? = nil) {
        self.magic = magic
        self.imageOK = imageOK
        self.copyDone = copyDone
        self.swapType = swapType
        self.swapImage = swapImage
        self.swapSize = swapSize
    }

    /// MCUboot's `BOOT_IMG_MAGIC` with `BOOT_MAX_ALIGN` 8.
    public static let standardMagic: InlineArray<16, UInt8> = [
        0x77, 0xC2, 0x95, 0xF3, 0x60, 0xD2, 0xEF, 0x7F, 0x35, 0x52, 0x50, 0x0F, 0x2C, 0xB6, 0x79, 0x80,
    ]

    /// The magic with another `BOOT_MAX_ALIGN`: `u16 align` (little-endian) then 14 fixed bytes.
    public static func alignedMagic(_ align: Int) -> InlineArray<16, UInt8> {
        [
            UInt8(truncatingIfNeeded: align), UInt8(truncatingIfNeeded: align >> 8),
            0x2D, 0xE1, 0x5D, 0x29, 0x41, 0x0B, 0x8D, 0x77, 0x67, 0x9C, 0x11, 0x0F, 0x1F, 0x8A,
        ]
    }

    /// The `BOOT_MAX_ALIGN` a 16-byte magic was written for: 8 for the standard magic, the
    /// leading `u16` for the aligned form, nil when `bytes` is neither (no magic, or a torn one).
    public static func magicAlign(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count == 16 else { return nil }
        var standard = true
        for i in 0..<16 where bytes[i] != standardMagic[i] { standard = false }
        if standard { return 8 }
        let align = Int(bytes[0]) | Int(bytes[1]) << 8
        guard align > 0 else { return nil }
        let form = alignedMagic(align)
        for i in 2..<16 where bytes[i] != form[i] { return nil }
        return align
    }

    /// Reads the trailer of `slot` laid out as `layout`.
    public init<Flash: NORFlash>(reading slot: Flash, layout: TrailerLayout) throws(FlashError) {
        let erased = slot.erasedValue
        var bytes = InlineArray<16, UInt8>(repeating: 0)
        do {
            var span = bytes.mutableSpan
            try slot.read(at: layout.slotSize - 16, into: &span)
        }
        let expected = layout.magic
        var isMagic = true
        var isErased = true
        for i in 0..<16 {
            if bytes[i] != expected[i] { isMagic = false }
            if bytes[i] != erased { isErased = false }
        }
        magic = isMagic ? .good : isErased ? .unset : .bad
        imageOK = Self.flag(try Self.byte(slot, at: layout.imageOKOffset), erased: erased)
        copyDone = Self.flag(try Self.byte(slot, at: layout.copyDoneOffset), erased: erased)
        guard !layout.overwriteOnly else {
            swapType = .none
            swapImage = 0
            swapSize = nil
            return
        }
        let info = try Self.byte(slot, at: layout.swapInfoOffset)
        if info == erased {
            swapType = .none
            swapImage = 0
        } else {
            let type = info & 0x0F
            swapType = type >= SwapType.none.rawValue && type <= SwapType.revert.rawValue ? SwapType(rawValue: type)! : .none
            swapImage = info >> 4
        }
        var size = InlineArray<4, UInt8>(repeating: 0)
        do {
            var span = size.mutableSpan
            try slot.read(at: layout.swapSizeOffset, into: &span)
        }
        if size[0] == erased && size[1] == erased && size[2] == erased && size[3] == erased {
            swapSize = nil
        } else {
            swapSize = UInt32(size[0]) | UInt32(size[1]) << 8 | UInt32(size[2]) << 16 | UInt32(size[3]) << 24
        }
    }

    static func byte<Flash: NORFlash>(_ slot: Flash, at offset: Int) throws(FlashError) -> UInt8 {
        var one = InlineArray<1, UInt8>(repeating: 0)
        var span = one.mutableSpan
        try slot.read(at: offset, into: &span)
        return one[0]
    }

    static func flag(_ byte: UInt8, erased: UInt8) -> Flag {
        byte == erased ? .unset : byte == 0x01 ? .set : .bad
    }
}

/// Trailer writes, byte for byte as MCUboot's `boot_write_trailer` does them: the value, padded
/// with the erased value to the device's write size, at the field's offset (inapp-dfu.md §2.1).
/// Each is a single `NORFlash.write`, so a power cut tears at most one field.
extension TrailerLayout {
    /// `boot_write_magic`: erased padding, then the magic, over `magicAreaSize` bytes.
    public func writeMagic<Flash: NORFlash>(to slot: Flash) throws(FlashError) {
        var area = InlineArray<64, UInt8>(repeating: slot.erasedValue)
        let size = magicAreaSize
        guard size <= 64 else { throw .misaligned }
        let magic = self.magic
        for i in 0..<16 { area[size - 16 + i] = magic[i] }
        try slot.write(at: magicOffset, area.span.extracting(0..<size))
    }

    /// `boot_write_image_ok`.
    public func writeImageOK<Flash: NORFlash>(to slot: Flash) throws(FlashError) {
        try writeField(0x01, at: imageOKOffset, to: slot)
    }

    /// `boot_write_copy_done`.
    public func writeCopyDone<Flash: NORFlash>(to slot: Flash) throws(FlashError) {
        try writeField(0x01, at: copyDoneOffset, to: slot)
    }

    /// `boot_write_swap_info`: `(image << 4) | type`.
    public func writeSwapInfo<Flash: NORFlash>(_ type: ImageTrailer.SwapType, image: UInt8, to slot: Flash) throws(FlashError) {
        precondition(!overwriteOnly, "overwrite-only trailers have no swap_info")
        try writeField(image << 4 | (type.rawValue & 0x0F), at: swapInfoOffset, to: slot)
    }

    /// `boot_write_swap_size`: u32 little-endian, padded to the write size.
    public func writeSwapSize<Flash: NORFlash>(_ size: UInt32, to slot: Flash) throws(FlashError) {
        precondition(!overwriteOnly, "overwrite-only trailers have no swap_size")
        var field = InlineArray<64, UInt8>(repeating: slot.erasedValue)
        for i in 0..<4 { field[i] = UInt8(truncatingIfNeeded: size >> (8 * UInt32(i))) }
        let count = max(4, slot.writeSize)
        guard count <= 64 else { throw .misaligned }
        try slot.write(at: swapSizeOffset, field.span.extracting(0..<count))
    }

    func writeField<Flash: NORFlash>(_ value: UInt8, at offset: Int, to slot: Flash) throws(FlashError) {
        var field = InlineArray<64, UInt8>(repeating: slot.erasedValue)
        field[0] = value
        let count = slot.writeSize
        guard count <= 64 else { throw .misaligned }
        try slot.write(at: offset, field.span.extracting(0..<count))
    }
}

/// Why `boot_set_next` refused.
public enum SetNextError: Error, Equatable, Sendable {
    /// The slot's magic is neither erased nor good (`BOOT_EBADIMAGE`, or `BOOT_EBADVECT` for the
    /// active slot): a stale or torn trailer; the slot must be erased before it is marked.
    case badMagic(active: Bool)
    /// A trailer read or write failed (`BOOT_EFLASH`).
    case flash(FlashError)
}

extension TrailerLayout {
    /// MCUboot's `boot_set_next(fa, active, confirm)` (swap and overwrite builds,
    /// inapp-dfu.md §2.1): what "test", "permanent" and "confirm" write into a slot's trailer.
    ///
    /// | magic | active | writes |
    /// |---|---|---|
    /// | GOOD | no | nothing (a swap is already scheduled) |
    /// | GOOD | yes | image_ok, if it is unset |
    /// | UNSET | no | magic, then image_ok if `confirm`, then swap_info PERM (`confirm`) or TEST, with `image` |
    /// | UNSET | yes | nothing (a factory image without a trailer counts as confirmed) |
    /// | BAD | any | refused |
    ///
    /// `active` forces `confirm`. The writes are ordered so that a cut after the magic reads as a
    /// test request (the swap tables do not read swap_info), never as a permanent one.
    public func setNext<Flash: NORFlash>(_ slot: Flash, image: UInt8, active: Bool, confirm: Bool) throws(SetNextError) {
        let confirm = confirm || active
        let state: ImageTrailer
        do throws(FlashError) { state = try ImageTrailer(reading: slot, layout: self) } catch { throw .flash(error) }
        guard state.magic != .bad else { throw .badMagic(active: active) }
        do throws(FlashError) {
            switch (state.magic, active) {
            case (.good, true):
                if state.imageOK == .unset { try writeImageOK(to: slot) }
            case (.unset, false):
                try writeMagic(to: slot)
                if confirm { try writeImageOK(to: slot) }
                if !overwriteOnly { try writeSwapInfo(confirm ? .permanent : .test, image: image, to: slot) }
            default:
                return  // GOOD and not active: already scheduled; UNSET and active: nothing to confirm
            }
        } catch {
            throw .flash(error)
        }
    }
}
