import DFUTarget
import FlashKit
import MCUbootImage

extension Bootloader {
    /// Overwrite-only: a test or permanent request on the secondary is carried out as a
    /// permanent upgrade (there is no revert).
    func overwriteIfRequested(_ slots: ImageSlots<Slots.Area>, observe: (BootEvent) -> Void) throws(FlashError) {
        let type = ImageTrailer.swapType(
            primary: try ImageTrailer(reading: slots.primary, layout: slots.primaryLayout),
            secondary: try ImageTrailer(reading: slots.secondary, layout: slots.secondaryLayout))
        observe(.swapType(image: slots.image, type))
        guard type == .test || type == .permanent else { return }
        guard let candidate = try acceptSecondary(slots, for: type, observe: observe) else { return }
        try overwrite(slots, with: candidate, observe: observe)
    }

    /// Overwrite-only, `_FAST` (MCUboot `boot_copy_image`): erase the primary's sectors the image
    /// and the trailer need, copy, write the primary magic, then scramble the secondary (header
    /// sector, then trailer sectors) so the upgrade is not triggered again. A cut anywhere
    /// leaves the secondary's request in place (it is scrambled last), so the next boot repeats
    /// the whole overwrite; a cut during the scramble leaves a secondary that no longer
    /// validates, which the next boot scrambles, and the primary already holds the new image.
    func overwrite(_ slots: ImageSlots<Slots.Area>, with candidate: ValidatedImage, observe: (BootEvent) -> Void) throws(FlashError) {
        let image = slots.image
        let primary = slots.primary
        let copySize = primary.alignUpToWrite(candidate.image.occupiedSize)
        let imageSectors = primary.sectorStart(containing: copySize + primary.eraseSize - 1)
        let trailerStart = primary.sectorStart(containing: primary.size - slots.primaryLayout.trailerSize)
        try primary.erase(at: 0, count: imageSectors)
        observe(.primaryErased(image: image, offset: 0, count: imageSectors))
        if trailerStart >= imageSectors {
            try primary.erase(at: trailerStart, count: primary.size - trailerStart)
            observe(.primaryErased(image: image, offset: trailerStart, count: primary.size - trailerStart))
        }
        try copy(copySize, from: slots.secondary, at: 0, to: primary, at: 0)
        observe(.copied(image: image, bytes: copySize))
        try slots.primaryLayout.writeMagic(to: primary)
        observe(.primaryMagicWritten(image: image))
        try scramble(slots.secondary, layout: slots.secondaryLayout)
        observe(.secondaryScrambled(image: image))
        observe(.upgraded(image: image, version: candidate.version))
    }
}
