/// A partition map in nRF Connect SDK `pm_static.yml` form: partition name → address, size,
/// region. Addresses are offsets within the region's device.
public struct PartitionLayout: Equatable, Sendable {
    public var name: String
    public var partitions: [Partition]

    public init(name: String, partitions: [Partition]) {
        self.name = name
        self.partitions = partitions.sorted { ($0.region, $0.address, $0.name) < ($1.region, $1.address, $1.name) }
    }

    public func partition(named name: String) -> Partition? {
        partitions.first { $0.name == name }
    }

    /// The Partition Manager names of image `image`'s slots: `mcuboot_primary` /
    /// `mcuboot_secondary` for image 0, `mcuboot_primary_1` / `mcuboot_secondary_1` for image 1, …
    public static func slotName(image: Int, slot: Int) -> String {
        let base = slot == 0 ? "mcuboot_primary" : "mcuboot_secondary"
        return image == 0 ? base : "\(base)_\(image)"
    }

    /// Number of images: consecutive images from 0 that have a primary slot.
    public var imageCount: Int {
        var count = 0
        while partition(named: Self.slotName(image: count, slot: 0)) != nil { count += 1 }
        return count
    }

    public func slot(image: Int, slot: Int) -> Partition? {
        partition(named: Self.slotName(image: image, slot: slot))
    }
}

/// One partition.
public struct Partition: Equatable, Sendable {
    public var name: String
    public var address: Int
    public var size: Int
    /// Partition Manager region (`flash_primary` for internal flash, `external_flash`, `sram_primary`).
    public var region: String
    /// Partitions this one spans (`mcuboot_primary` spans `mcuboot_pad` and `app`); empty if none.
    public var span: [String]

    public init(name: String, address: Int, size: Int, region: String, span: [String] = []) {
        self.name = name
        self.address = address
        self.size = size
        self.region = region
        self.span = span
    }

    public var end: Int { address + size }
}
