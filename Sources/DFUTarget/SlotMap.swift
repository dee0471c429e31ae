import FlashKit

/// The image slots a recovery server may touch, as MCUboot numbers them: image `i` has a primary
/// slot (0, the one that boots) and, in a two-slot layout, a secondary slot (1).
///
/// Implemented by the simulated board (from a layout descriptor) and by firmware (from generated
/// constants). `Area` is a single concrete type, so a map whose slots live on different devices
/// uses ``FlashKit/EitherFlash`` rather than an existential.
public protocol SlotMap {
    associatedtype Area: NORFlash
    /// Number of images (1 for a single application; 2 with an nRF5340 network-core image).
    var imageCount: Int { get }
    /// The area of `slot` (0 primary, 1 secondary) of `image`, or nil when the layout has none.
    func area(image: Int, slot: Int) -> Area?
    /// MCUboot's scratch area (`mcuboot_scratch`), used by swap using scratch; nil when the
    /// layout has none (the default).
    var scratch: Area? { get }
}

/// One slot, by image and slot number.
public struct SlotAddress: Equatable, Sendable {
    public var image: Int
    public var slot: Int
    public init(image: Int, slot: Int) {
        self.image = image
        self.slot = slot
    }
    /// MCUboot's flat slot index (`image * 2 + slot`): the `slot` argument of `image erase`.
    public var flatIndex: Int { image * 2 + slot }
}

extension SlotMap {
    public var scratch: Area? { nil }

    /// The area at a flat slot index (`image * 2 + slot`), range-checked.
    public func area(flatIndex: Int) -> Area? {
        guard flatIndex >= 0, flatIndex / 2 < imageCount else { return nil }
        return area(image: flatIndex / 2, slot: flatIndex % 2)
    }
}
