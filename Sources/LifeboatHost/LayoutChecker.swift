import MCUbootImage
import Simulation

/// One finding of `lifeboat layout check`.
public struct LayoutProblem: Equatable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }
    public var severity: Severity
    public var message: String
    public var description: String { "\(severity.rawValue): \(message)" }
}

/// Checks a partition layout against a board, as a firmware engineer would before flashing it:
/// every partition on a device of the board and inside it; no overlaps (except partitions that
/// span others, as Partition Manager's `span`); slots, scratch, the bootloader and storage aligned
/// to the erase size of their device; primary and secondary slots of an image compatible in size;
/// MCUboot's trailer fits each slot; the bootloader partition at the start of internal flash and
/// big enough for serial recovery.
public struct LayoutChecker {
    public var board: BoardDescription
    public var layout: PartitionLayout

    public init(board: BoardDescription, layout: PartitionLayout) {
        self.board = board
        self.layout = layout
    }

    /// MCUboot's smallest serial-recovery bootloader partition in nRF Connect SDK (0xC000).
    public static let minimumBootloaderSize = 0xC000

    public func check() -> [LayoutProblem] {
        var problems: [LayoutProblem] = []
        func error(_ m: String) { problems.append(LayoutProblem(severity: .error, message: m)) }
        func warning(_ m: String) { problems.append(LayoutProblem(severity: .warning, message: m)) }

        let names = Set(layout.partitions.map(\.name))
        for p in layout.partitions {
            for child in p.span where !names.contains(child) {
                error("\(describe(p)) spans '\(child)', which the layout does not define")
            }
            guard let device = board.device(forRegion: p.region) else {
                error("\(describe(p)) is in region '\(p.region)', which is on no flash device of \(board.name) (regions: \(board.flash.map(\.region).joined(separator: ", ")))")
                continue
            }
            if p.end > device.size {
                error("\(describe(p)) ends past the \(device.name) flash (\(hex(device.size)) bytes)")
            }
            if needsAlignment(p), p.address % device.eraseSize != 0 || p.size % device.eraseSize != 0 {
                error("\(describe(p)) is not aligned to the \(hex(device.eraseSize))-byte sectors of \(device.name)")
            }
        }

        // Overlaps within a region, unless one partition spans the other (directly or through a
        // shared spanned child).
        let sorted = layout.partitions.sorted { ($0.region, $0.address) < ($1.region, $1.address) }
        for (i, a) in sorted.enumerated() {
            for b in sorted[(i + 1)...] where b.region == a.region && b.address < a.end && a.address < b.end {
                if closure(a).isDisjoint(with: closure(b)) {
                    error("\(describe(a)) overlaps \(describe(b))")
                }
            }
        }

        // Slots.
        guard layout.imageCount > 0 else {
            error("no mcuboot_primary partition: MCUboot needs at least one image slot")
            return problems
        }
        for image in 0..<layout.imageCount {
            guard let primary = layout.slot(image: image, slot: 0) else { continue }
            let primaryDevice = board.device(forRegion: primary.region)
            if let secondary = layout.slot(image: image, slot: 1), let primaryDevice,
               let secondaryDevice = board.device(forRegion: secondary.region) {
                let sector = max(primaryDevice.eraseSize, secondaryDevice.eraseSize)
                if secondary.size > primary.size {
                    error("\(describe(secondary)) is larger than \(describe(primary)): an image that fills it cannot be swapped into the primary slot")
                } else if primary.size - secondary.size > sector {
                    warning("\(describe(primary)) is \(hex(primary.size - secondary.size)) bytes larger than \(describe(secondary)); swap modes expect equal slots (swap using move: one sector more in the primary)")
                }
            }
            for slot in [layout.slot(image: image, slot: 0), layout.slot(image: image, slot: 1)].compactMap({ $0 }) {
                guard let device = board.device(forRegion: slot.region), device.eraseSize > 0 else { continue }
                let sectors = slot.size / device.eraseSize
                let trailer = TrailerLayout(slotSize: slot.size, eraseSize: device.eraseSize, writeSize: device.writeSize).trailerSize
                if trailer + 0x200 >= slot.size {
                    error("\(describe(slot)): MCUboot's trailer (\(trailer) bytes for \(sectors) sectors) leaves no room for an image")
                }
                if sectors > 128 {
                    warning("\(describe(slot)) has \(sectors) sectors: MCUboot needs CONFIG_BOOT_MAX_IMG_SECTORS ≥ \(sectors) (default 128)")
                }
            }
        }

        // The bootloader itself.
        if let boot = layout.partition(named: "mcuboot") {
            let bootDevice = board.flash.first
            if boot.region != bootDevice?.region || boot.address != 0 {
                error("\(describe(boot)) must start at 0 of \(bootDevice?.name ?? "internal") flash, where the CPU boots")
            }
            if boot.size < Self.minimumBootloaderSize {
                warning("\(describe(boot)) is smaller than \(hex(Self.minimumBootloaderSize)) (48 KiB), the smallest MCUboot serial-recovery partition in nRF Connect SDK")
            }
        } else {
            error("no mcuboot partition: the layout must reserve the bootloader's flash")
        }
        return problems
    }

    /// Partitions that must sit on sector boundaries: the slots, scratch, the bootloader,
    /// storage, and anything that spans others. `mcuboot_pad`/`app` inside a slot need not.
    func needsAlignment(_ p: Partition) -> Bool {
        Self.isSlotName(p.name) || p.name == "mcuboot_scratch" || p.name == "mcuboot" || p.name == "settings_storage"
            || (!p.span.isEmpty && !p.name.hasSuffix("_app"))
    }

    /// `mcuboot_primary`, `mcuboot_secondary`, and their `_N` forms for image N (not
    /// `mcuboot_primary_app`, the application part inside a slot).
    static func isSlotName(_ name: String) -> Bool {
        for base in ["mcuboot_primary", "mcuboot_secondary"] where name.hasPrefix(base) {
            let rest = name.dropFirst(base.count)
            if rest.isEmpty { return true }
            if rest.first == "_", Int(rest.dropFirst()) != nil { return true }
        }
        return false
    }

    /// The partition and everything it spans, transitively.
    func closure(_ p: Partition) -> Set<String> {
        var result: Set<String> = [p.name]
        var pending = p.span
        while let name = pending.popLast() {
            guard result.insert(name).inserted, let child = layout.partition(named: name) else { continue }
            pending += child.span
        }
        return result
    }

    func describe(_ p: Partition) -> String { "\(p.name) (\(hex(p.address))+\(hex(p.size)))" }
    func hex(_ v: Int) -> String { "0x" + String(v, radix: 16) }

    // MARK: - Drawing

    /// The layout as a map per flash device: top-level partitions (those no other spans), free
    /// gaps, addresses, sizes, and which image slot each is.
    public func render() -> String {
        var lines: [String] = []
        let spanned = Set(layout.partitions.flatMap(\.span))
        // Regions in the board's device order, then any the board lacks.
        let used = Set(layout.partitions.map(\.region))
        let regions = board.flash.map(\.region).filter { used.contains($0) } + used.subtracting(board.flash.map(\.region)).sorted()
        let width = 34
        for region in regions {
            let device = board.device(forRegion: region)
            let title = device.map { "\(region): device '\($0.name)', \(size($0.size)), \(size($0.eraseSize)) sectors" } ?? "\(region): (no device on \(board.name))"
            lines.append(title)
            // Top level: not spanned by another partition, and not inside a larger partition it
            // shares a spanned part with (`mcuboot_primary_app` inside `mcuboot_primary`).
            let inRegion = layout.partitions.filter { $0.region == region && !spanned.contains($0.name) }
            var parts = inRegion.filter { p in
                !inRegion.contains { q in
                    q.name != p.name && q.address <= p.address && p.end <= q.end && q.size > p.size
                        && !closure(q).isDisjoint(with: closure(p))
                }
            }.sorted { $0.address < $1.address }
            // Show free space as its own rows.
            var cursor = 0
            var rows: [(Int, Int, String, String)] = []
            for p in parts {
                if p.address > cursor { rows.append((cursor, p.address - cursor, "(free)", "")) }
                rows.append((p.address, p.size, p.name, role(p)))
                cursor = max(cursor, p.end)
            }
            if let device, cursor < device.size { rows.append((cursor, device.size - cursor, "(free)", "")) }
            parts.removeAll()
            for (index, row) in rows.enumerated() {
                let edge = index == 0 ? "┌" + String(repeating: "─", count: width) + "┐" : "├" + String(repeating: "─", count: width) + "┤"
                lines.append("  " + pad(hex(row.0), 10) + edge)
                let label = pad(" " + row.2, width - 10) + pad(size(row.1), 9, left: true) + " "
                lines.append("  " + String(repeating: " ", count: 10) + "│" + label + "│" + (row.3.isEmpty ? "" : " " + row.3))
            }
            if let last = rows.last {
                lines.append("  " + pad(hex(last.0 + last.1), 10) + "└" + String(repeating: "─", count: width) + "┘")
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    func role(_ p: Partition) -> String {
        var notes: [String] = []
        for image in 0..<max(layout.imageCount, 1) {
            if p.name == PartitionLayout.slotName(image: image, slot: 0) { notes.append("image \(image) primary (slot 0)") }
            if p.name == PartitionLayout.slotName(image: image, slot: 1) { notes.append("image \(image) secondary (slot 1)") }
        }
        if !p.span.isEmpty { notes.append("spans " + p.span.joined(separator: " + ")) }
        if p.name == "mcuboot" { notes.append("bootloader") }
        return notes.joined(separator: "; ")
    }

    func size(_ v: Int) -> String {
        if v >= 1024 * 1024 && v % (1024 * 1024) == 0 { return "\(v / 1024 / 1024) MiB" }
        if v >= 1024 && v % 1024 == 0 { return "\(v / 1024) KiB" }
        return "\(v) B"
    }

    func pad(_ s: String, _ w: Int, left: Bool = false) -> String {
        s.count >= w ? s : (left ? String(repeating: " ", count: w - s.count) + s : s + String(repeating: " ", count: w - s.count))
    }
}
