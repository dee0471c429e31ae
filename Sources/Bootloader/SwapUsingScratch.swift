import DFUTarget
import FlashKit
import MCUbootImage

/// The sector arithmetic of swap using scratch for one image (MCUboot `swap_scratch.c`), for
/// uniform sectors.
///
/// ```
///  areas of `areaSectors` sectors (what the scratch holds), from the image's last sector down:
///    area 1 = the last sectors of the image, area 2 the ones before, …
///  each area, three recorded states:
///    1. secondary → scratch        2. primary → secondary        3. scratch → primary
///  area 1 when it holds the primary's last sector (the image reaches the trailer's sector):
///    its trailer part is not copied; the status lives in the scratch's trailer until state 3
///    writes the primary's trailer back (status entries, image_ok, swap_info, swap_size, magic)
/// ```
struct ScratchGeometry {
    let sectorSize: Int
    let slotSectors: Int
    let areaSectors: Int
    let scratchLayout: TrailerLayout

    /// Nil unless both slots have the same uniform sectors, and the scratch holds whole sectors
    /// and its own trailer.
    init?<Area: NORFlash>(primary: Area, secondary: Area, scratch: Area?, slotLayout: TrailerLayout, scratchLayout: TrailerLayout?) {
        guard let scratch, let scratchLayout, primary.eraseSize == secondary.eraseSize, primary.size == secondary.size,
              scratch.size >= primary.eraseSize, scratch.size % primary.eraseSize == 0, scratchLayout.trailerSize < scratch.size,
              primary.size / primary.eraseSize <= slotLayout.statusSectors
        else { return nil }
        sectorSize = primary.eraseSize
        slotSectors = primary.size / primary.eraseSize
        areaSectors = scratch.size / primary.eraseSize
        self.scratchLayout = scratchLayout
    }

    /// The image's last sector index for `copySize` bytes, or nil when nothing or too much is to
    /// be swapped: the image must end before the primary's status area, and reach into trailer
    /// sectors only when the trailer lies in the last sector.
    func lastSector(copySize: Int, slotLayout: TrailerLayout) -> Int? {
        guard copySize > 0, copySize <= slotLayout.statusOffset else { return nil }
        let last = (copySize + sectorSize - 1) / sectorSize - 1
        let trailerSectors = (slotLayout.trailerSize + sectorSize - 1) / sectorSize
        if trailerSectors > 1 && last >= slotSectors - trailerSectors { return nil }
        return last
    }

    /// The number of areas a swap of up to `lastSector` goes through.
    func areas(lastSector: Int) -> Int { (lastSector + areaSectors) / areaSectors }
}

extension Bootloader {
    /// Swap using scratch: resume from the status area the tables of `swap_status_source` point
    /// to (the primary's or the scratch's), or start the swap MCUboot's tables ask for.
    func swapUsingScratch(_ slots: ImageSlots<Slots.Area>, scratch: Slots.Area?, observe: (BootEvent) -> Void) throws(FlashError) {
        let image = slots.image
        let scratchLayout = scratch.map { configuration.scratchTrailerLayout(scratch: $0, slotLayout: slots.primaryLayout) }
        let geometry = ScratchGeometry(primary: slots.primary, secondary: slots.secondary, scratch: scratch,
                                       slotLayout: slots.primaryLayout, scratchLayout: scratchLayout)
        let primaryTrailer = try ImageTrailer(reading: slots.primary, layout: slots.primaryLayout)
        let secondaryTrailer = try ImageTrailer(reading: slots.secondary, layout: slots.secondaryLayout)

        if let scratch, let scratchLayout, let geometry {
            let scratchTrailer = try ImageTrailer(reading: scratch, layout: scratchLayout)
            // MCUboot `boot_status_tables` (swap using scratch), in order.
            var source: (Slots.Area, TrailerLayout, ImageTrailer)?
            if primaryTrailer.magic == .good && scratchTrailer.magic != .good {
                if primaryTrailer.copyDone == .unset { source = (slots.primary, slots.primaryLayout, primaryTrailer) }
            } else if scratchTrailer.magic == .good {
                // A scratch status of another image is not this image's.
                if Int(scratchTrailer.swapImage) == image { source = (scratch, scratchLayout, scratchTrailer) }
                // Torn writes: the scratch is erased only after the primary took its trailer back
                // and recorded area 1 done. An erase of the scratch cut halfway leaves its trailer
                // (the sector's second half) looking good over lost data; MCUboot, whose
                // simulator never tears an erase, would redo area 1 from it. When the primary
                // already records more than area 1, the primary is the source.
                if primaryTrailer.magic == .good, primaryTrailer.copyDone == .unset,
                   let recorded = try slots.primaryLayout.readProgress(from: slots.primary, format: .scratch), recorded.index >= 2 {
                    source = (slots.primary, slots.primaryLayout, primaryTrailer)
                }
            } else if primaryTrailer.magic == .unset && primaryTrailer.copyDone == .unset {
                source = (slots.primary, slots.primaryLayout, primaryTrailer)
            }
            if let (area, layout, trailer) = source {
                let recorded = trailer.swapType
                let isSwap = recorded == .test || recorded == .permanent || recorded == .revert
                if let progress = try layout.readProgress(from: area, format: .scratch) {
                    guard isSwap, let size = trailer.swapSize, let last = geometry.lastSector(copySize: Int(size), slotLayout: slots.primaryLayout),
                          progress.index <= geometry.areas(lastSector: last) + 1 else {
                        observe(.swapRefused(image: image, .impossibleStatus))
                        return
                    }
                    observe(.swapResumed(image: image, recorded, from: progress))
                    try runScratch(slots, scratch, geometry, type: recorded, lastSector: last, swapSize: size, from: progress, observe: observe)
                    try finishSwap(slots, type: recorded, observe: observe)
                    return
                }
                if isSwap {
                    // The status was initialised but no step recorded: start the recorded swap again.
                    observe(.swapType(image: image, recorded))
                    guard let candidate = try acceptSecondary(slots, for: recorded, observe: observe) else { return }
                    try startScratch(slots, scratch, geometry, type: recorded, candidate: candidate, observe: observe)
                    return
                }
            }
        }

        let type = ImageTrailer.swapType(primary: primaryTrailer, secondary: secondaryTrailer)
        observe(.swapType(image: image, type))
        guard type == .test || type == .permanent || type == .revert else { return }
        guard let scratch, let geometry else {
            observe(.swapRefused(image: image, .incompatibleSlots))
            return
        }
        guard let candidate = try acceptSecondary(slots, for: type, observe: observe) else { return }
        try startScratch(slots, scratch, geometry, type: type, candidate: candidate, observe: observe)
    }

    func startScratch(_ slots: ImageSlots<Slots.Area>, _ scratch: Slots.Area, _ geometry: ScratchGeometry, type: ImageTrailer.SwapType,
                      candidate: ValidatedImage, observe: (BootEvent) -> Void) throws(FlashError) {
        let copySize = max(candidate.image.occupiedSize, try imageSize(in: slots.primary))
        guard let last = geometry.lastSector(copySize: copySize, slotLayout: slots.primaryLayout) else {
            observe(.swapRefused(image: slots.image, .notEnoughSpace))
            if type != .revert {
                try scramble(slots.secondary, layout: slots.secondaryLayout)
                observe(.secondaryScrambled(image: slots.image))
            }
            return
        }
        observe(.swapStarted(image: slots.image, type, sectors: last + 1))
        try runScratch(slots, scratch, geometry, type: type, lastSector: last, swapSize: UInt32(copySize),
                       from: SwapStatusFormat.scratch.start, observe: observe)
        try finishSwap(slots, type: type, observe: observe)
    }

    /// MCUboot `swap_run` for scratch: the areas from the image's end down, skipping those the
    /// status records as done.
    func runScratch(_ slots: ImageSlots<Slots.Area>, _ scratch: Slots.Area, _ g: ScratchGeometry, type: ImageTrailer.SwapType,
                    lastSector: Int, swapSize: UInt32, from start: SwapProgress, observe: (BootEvent) -> Void) throws(FlashError) {
        var progress = start
        var last = lastSector
        var area = 1
        while last >= 0 {
            let first = max(0, last - g.areaSectors + 1)
            if area >= progress.index {
                try swapArea(slots, scratch, g, first: first, count: last - first + 1, type: type, swapSize: swapSize, progress: &progress)
            }
            last = first - 1
            area += 1
        }
        observe(.sectorsSwapped(image: slots.image, count: lastSector + 1))
    }

    /// MCUboot `boot_swap_sectors` (scratch): one area, from the state `progress` says.
    func swapArea(_ slots: ImageSlots<Slots.Area>, _ scratch: Slots.Area, _ g: ScratchGeometry, first: Int, count: Int,
                  type: ImageTrailer.SwapType, swapSize: UInt32, progress: inout SwapProgress) throws(FlashError) {
        let (primary, secondary) = (slots.primary, slots.secondary)
        let layout = slots.primaryLayout
        let offset = first * g.sectorSize
        let size = count * g.sectorSize
        // The area holding the primary's last sector: its trailer part is not swapped.
        let copySize = offset + size > (g.slotSectors - 1) * g.sectorSize ? size - layout.trailerSize : size
        let useScratch = progress.index == 1 && copySize != size
        let statusArea = useScratch ? scratch : primary
        let statusLayout = useScratch ? g.scratchLayout : layout

        if progress.state == 1 {
            try scratch.erase(at: 0, count: scratch.size)
            if progress.index == 1 {
                // The swap type is kept in the scratch while the primary's trailer is erased.
                try initializeStatus(in: scratch, layout: g.scratchLayout, slots, type: type, swapSize: swapSize)
                if !useScratch {
                    try eraseTrailerSectors(primary, layout: layout)
                    try initializeStatus(slots, type: type, swapSize: swapSize)
                    try scratch.erase(at: 0, count: scratch.size)
                }
            }
            try copy(copySize, from: secondary, at: offset, to: scratch, at: 0)
            try statusLayout.writeProgress(progress, to: statusArea, format: .scratch)
            progress.state = 2
        }
        if progress.state == 2 {
            try secondary.erase(at: offset, count: size)
            try copy(copySize, from: primary, at: offset, to: secondary, at: offset)
            if progress.index == 1 && !useScratch { try eraseTrailerSectors(secondary, layout: slots.secondaryLayout) }
            try statusLayout.writeProgress(progress, to: statusArea, format: .scratch)
            progress.state = 3
        }
        try primary.erase(at: offset, count: size)
        try copy(copySize, from: scratch, at: 0, to: primary, at: offset)
        if useScratch {
            // The primary's trailer comes back: the two status entries so far, then its fields.
            try copy(2 * layout.writeSize, from: scratch, at: g.scratchLayout.statusOffset, to: primary, at: layout.statusOffset)
            let kept = try ImageTrailer(reading: scratch, layout: g.scratchLayout)
            if kept.imageOK == .set { try layout.writeImageOK(to: primary) }
            if kept.swapType != .none { try layout.writeSwapInfo(kept.swapType, image: UInt8(truncatingIfNeeded: slots.image), to: primary) }
            try layout.writeSwapSize(swapSize, to: primary)
            try layout.writeMagic(to: primary)
        }
        try layout.writeProgress(progress, to: primary, format: .scratch)
        if useScratch {
            // No stale status in the scratch after the primary holds it.
            try scratch.erase(at: scratch.size - g.sectorSize, count: g.sectorSize)
        }
        progress.index += 1
        progress.state = 1
    }
}
