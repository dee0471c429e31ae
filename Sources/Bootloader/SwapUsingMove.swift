import DFUTarget
import FlashKit
import MCUbootImage

/// The sector arithmetic of swap using move for one image (MCUboot `swap_move.c`).
///
/// ```
///  primary, sector k:  0      1      2  …  last−1   last   …  first trailer … N−1
///  before:             A0     A1     A2    A(l−1)   free       [trailer]
///  after the move:     A0     A0     A1    A(l−2)   A(l−1)     [trailer + status]
///  swap step i (1…l):  primary i−1 ← secondary i−1 (B), then secondary i−1 ← primary i (A)
///  after the swap:     B0     B1 …         B(l−1)   A(l−1)     primary: new image
///  secondary:          A0     A1 …         A(l−1)              secondary: old image
/// ```
struct MoveGeometry {
    let sectorSize: Int
    let primarySectors: Int
    /// Index of the primary's first trailer sector (`first_trailer_idx`).
    let firstTrailerSector: Int

    /// Nil when the slots are not compatible (MCUboot `boot_slots_compatible`): equal uniform
    /// sectors, and the primary as large as the secondary or one sector larger.
    init?<Area: NORFlash>(primary: Area, secondary: Area, layout: TrailerLayout) {
        guard primary.eraseSize == secondary.eraseSize else { return nil }
        let sector = primary.eraseSize
        let p = primary.size / sector
        let s = secondary.size / sector
        guard p == s || p == s + 1, p <= layout.statusSectors else { return nil }
        sectorSize = sector
        primarySectors = p
        let trailerSectors = (layout.trailerSize + sector - 1) / sector
        firstTrailerSector = p - trailerSectors
    }

    /// The number of sector steps (`g_last_idx`) for `copySize` bytes, or nil when the image,
    /// the sector it moves up into and the trailer do not all fit.
    func steps(copySize: Int) -> Int? {
        guard copySize > 0 else { return nil }
        let last = (copySize + sectorSize - 1) / sectorSize
        return last < firstTrailerSector ? last : nil
    }

    func offset(_ sector: Int) -> Int { sector * sectorSize }
}

extension Bootloader {
    /// Swap using move: resume an interrupted swap from the primary's status area, or start the
    /// one MCUboot's tables ask for.
    func swapUsingMove(_ slots: ImageSlots<Slots.Area>, observe: (BootEvent) -> Void) throws(FlashError) {
        let image = slots.image
        let primaryTrailer = try ImageTrailer(reading: slots.primary, layout: slots.primaryLayout)
        let secondaryTrailer = try ImageTrailer(reading: slots.secondary, layout: slots.secondaryLayout)
        let geometry = MoveGeometry(primary: slots.primary, secondary: slots.secondary, layout: slots.primaryLayout)

        // The status lives in the primary while its magic is good, its copy_done unset and the
        // secondary's request already cleared (MCUboot `swap_status_source`).
        if primaryTrailer.magic == .good, primaryTrailer.copyDone == .unset, secondaryTrailer.magic != .good {
            let recorded = primaryTrailer.swapType
            let isSwap = recorded == .test || recorded == .permanent || recorded == .revert
            if let progress = try slots.primaryLayout.readProgress(from: slots.primary, format: .move) {
                // A swap stopped after at least one recorded step: finish it.
                guard isSwap, let geometry, let size = primaryTrailer.swapSize,
                      let steps = geometry.steps(copySize: Int(size)) else {
                    observe(.swapRefused(image: image, .impossibleStatus))
                    return
                }
                observe(.swapResumed(image: image, recorded, from: progress))
                try runMove(slots, geometry, type: recorded, steps: steps, swapSize: size, from: progress,
                            statusInPrimary: true, observe: observe)
                try finishSwap(slots, type: recorded, observe: observe)
                return
            }
            if isSwap, let geometry {
                // The status was initialised and the secondary's request cleared, but no step was
                // recorded: start the swap the primary records, without initialising it again.
                observe(.swapType(image: image, recorded))
                guard let candidate = try acceptSecondary(slots, for: recorded, observe: observe) else { return }
                try startMove(slots, geometry, type: recorded, candidate: candidate, statusInPrimary: true, observe: observe)
                return
            }
        }

        let type = ImageTrailer.swapType(primary: primaryTrailer, secondary: secondaryTrailer)
        observe(.swapType(image: image, type))
        guard type == .test || type == .permanent || type == .revert else { return }
        guard let geometry else {
            observe(.swapRefused(image: image, .incompatibleSlots))
            return
        }
        guard let candidate = try acceptSecondary(slots, for: type, observe: observe) else { return }
        try startMove(slots, geometry, type: type, candidate: candidate, statusInPrimary: false, observe: observe)
    }

    /// Sizes a new swap (the larger of both images), checks it fits, and runs it from the start.
    func startMove(_ slots: ImageSlots<Slots.Area>, _ geometry: MoveGeometry, type: ImageTrailer.SwapType, candidate: ValidatedImage,
                   statusInPrimary: Bool, observe: (BootEvent) -> Void) throws(FlashError) {
        let copySize = max(candidate.image.occupiedSize, try imageSize(in: slots.primary))
        guard let steps = geometry.steps(copySize: copySize) else {
            observe(.swapRefused(image: slots.image, .notEnoughSpace))
            if type != .revert {
                try scramble(slots.secondary, layout: slots.secondaryLayout)
                observe(.secondaryScrambled(image: slots.image))
            }
            return
        }
        observe(.swapStarted(image: slots.image, type, sectors: steps))
        try runMove(slots, geometry, type: type, steps: steps, swapSize: UInt32(copySize), from: SwapStatusFormat.move.start,
                    statusInPrimary: statusInPrimary, observe: observe)
        try finishSwap(slots, type: type, observe: observe)
    }

    /// MCUboot `swap_run` for move. Each step erases its destination before copying, and its
    /// source is untouched until a later step, so a step cut anywhere can be repeated; the
    /// status entry is written after the step's copy.
    func runMove(_ slots: ImageSlots<Slots.Area>, _ g: MoveGeometry, type: ImageTrailer.SwapType, steps: Int, swapSize: UInt32,
                 from start: SwapProgress, statusInPrimary: Bool, observe: (BootEvent) -> Void) throws(FlashError) {
        let (image, primary, secondary) = (slots.image, slots.primary, slots.secondary)
        let layout = slots.primaryLayout
        let size = g.sectorSize
        var progress = start

        if progress.phase == .move {
            if type == .revert, progress.index == 1 {
                // fixup_revert: until the primary's status is initialised, the revert must be
                // restartable, so the secondary (the old image) first asks for a permanent upgrade.
                let secondaryTrailer = try ImageTrailer(reading: secondary, layout: slots.secondaryLayout)
                if secondaryTrailer.magic == .unset {
                    try eraseTrailerSectors(secondary, layout: slots.secondaryLayout)
                    try slots.secondaryLayout.writeImageOK(to: secondary)
                    try slots.secondaryLayout.writeSwapSize(swapSize, to: secondary)
                    try slots.secondaryLayout.writeMagic(to: secondary)
                    observe(.revertPrepared(image: image))
                }
            }
            var sector = steps
            while sector > 0 {
                if sector <= steps - progress.index + 1 {
                    if progress.index == 1 {
                        if !statusInPrimary {
                            try eraseTrailerSectors(primary, layout: layout)
                            try initializeStatus(slots, type: type, swapSize: swapSize)
                        }
                        try eraseTrailerSectors(secondary, layout: slots.secondaryLayout)
                    }
                    try primary.erase(at: g.offset(sector), count: size)
                    try copy(size, from: primary, at: g.offset(sector - 1), to: primary, at: g.offset(sector))
                    try layout.writeProgress(progress, to: primary, format: .move)
                    progress.index += 1
                }
                sector -= 1
            }
            observe(.sectorsMoved(image: image, count: steps))
            progress = SwapProgress(phase: .swap, index: 1, state: 1)
        }

        var step = max(progress.index, 1)
        while step <= steps {
            if progress.state == 1 {
                try primary.erase(at: g.offset(step - 1), count: size)
                try copy(size, from: secondary, at: g.offset(step - 1), to: primary, at: g.offset(step - 1))
                try layout.writeProgress(SwapProgress(phase: .swap, index: step, state: 1), to: primary, format: .move)
                progress.state = 2
            }
            try secondary.erase(at: g.offset(step - 1), count: size)
            try copy(size, from: primary, at: g.offset(step), to: secondary, at: g.offset(step - 1))
            try layout.writeProgress(SwapProgress(phase: .swap, index: step, state: 2), to: primary, format: .move)
            progress.state = 1
            step += 1
        }
        observe(.sectorsSwapped(image: image, count: steps))
    }

    /// MCUboot `swap_status_init`: the primary's trailer records the swap (swap_info, image_ok
    /// when the secondary's is set, swap_size), and its magic is written last.
    func initializeStatus(_ slots: ImageSlots<Slots.Area>, type: ImageTrailer.SwapType, swapSize: UInt32) throws(FlashError) {
        try initializeStatus(in: slots.primary, layout: slots.primaryLayout, slots, type: type, swapSize: swapSize)
    }

    /// `swap_status_init` into `area` (the primary, or the scratch) laid out as `layout`.
    func initializeStatus(in area: Slots.Area, layout: TrailerLayout, _ slots: ImageSlots<Slots.Area>,
                          type: ImageTrailer.SwapType, swapSize: UInt32) throws(FlashError) {
        let secondaryTrailer = try ImageTrailer(reading: slots.secondary, layout: slots.secondaryLayout)
        try layout.writeSwapInfo(type, image: UInt8(truncatingIfNeeded: slots.image), to: area)
        if secondaryTrailer.imageOK == .set { try layout.writeImageOK(to: area) }
        try layout.writeSwapSize(swapSize, to: area)
        try layout.writeMagic(to: area)
    }

    /// After the last step (MCUboot `boot_perform_update` / `boot_complete_partial_swap`):
    /// image_ok for a permanent upgrade or a revert (so it is not reverted), then copy_done.
    func finishSwap(_ slots: ImageSlots<Slots.Area>, type: ImageTrailer.SwapType, observe: (BootEvent) -> Void) throws(FlashError) {
        if type == .permanent || type == .revert {
            let trailer = try ImageTrailer(reading: slots.primary, layout: slots.primaryLayout)
            if trailer.imageOK == .unset { try slots.primaryLayout.writeImageOK(to: slots.primary) }
        }
        try slots.primaryLayout.writeCopyDone(to: slots.primary)
        observe(.swapCompleted(image: slots.image, type))
    }
}
