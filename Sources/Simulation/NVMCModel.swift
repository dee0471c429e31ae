import FlashKit
import NRF

/// A register-level model of an nRF NVMC and the flash behind it, for ``PeripheralBus``.
///
/// The bytes live in a wrapped ``NORFlashModel`` (in memory or file-backed), so `--state` files,
/// operation counters and scheduled power cuts keep working: each word the driver programs is
/// one `NORFlashModel.write` of 4 bytes, each page erase one `NORFlashModel.erase`.
///
/// The model is mapped twice (``map(on:)``): the register block at `variant.registerBase`
/// (traced) and the flash window at `variant.flashBase` (``memory``, untraced, so register
/// traces stay readable).
///
/// ## Semantics
///
/// - A store to flash changes it only under the governing mode register = Wen (CONFIG; CONFIGNS
///   for the non-secure nRF5340 variant). Otherwise it is ignored, as on hardware and in QEMU.
/// - **Second write to a word:** the hardware ANDs it in (allowed twice per erase, nWRITE = 2);
///   this model follows the stricter `NORFlashModel` rule and *refuses* it (no change) and records
///   ``NVMCDriverFault/rewrite(address:)``. Lifeboat never relies on rewriting.
/// - Erase: nRF52 via ERASEPAGE (0x508) under Een; nRF53 by storing 0xFFFFFFFF to the first
///   word of a page under Een (a store to any other word under Een is a fault, not an erase:
///   nrfx always uses the first word and other words were not confirmed).
/// - **Timing** on `bus.clock`: a word write keeps READY low for `wordWriteNanoseconds`, a page
///   erase for `pageEraseNanoseconds`. When the CPU polls READY while busy, the poll reads 0 and the
///   clock jumps to the end of the operation (the CPU waits); the next poll reads 1. READYNEXT is
///   1 while at most one write is in flight; a store accepted through READYNEXT is queued behind
///   the one in progress. A mode change or a flash read while busy stalls until the operation ends
///   (on hardware the CPU is halted while it fetches from flash). The model does not count CPU
///   time, so READYNEXT saves no virtual time here.
/// - Misuse is recorded in ``driverFaults`` (tests assert it stays empty): writes without Wen,
///   unaligned addresses, erase outside Een, a flash store while busy (not accepted through
///   READYNEXT), registers that do not exist on the variant, rewrites.
/// - ``neverReady`` makes READY/READYNEXT stay 0 forever (a hung controller) for timeout tests.
/// - After a power cut of the wrapped flash nothing completes any more: READY stays 0.
public final class NVMCModel: MMIOPeripheral {
    public let variant: NVMCVariant
    public let flash: NORFlashModel
    /// The flash window; map it at `variant.flashBase` (``map(on:)`` does).
    public private(set) var memory: MMIOPeripheral!

    /// Misuse seen so far, in order.
    public private(set) var driverFaults: [NVMCDriverFault] = []
    /// A controller that never becomes ready.
    public var neverReady = false
    /// Current CONFIG and CONFIGNS values.
    public private(set) var config: UInt32 = NVMCRegister.modeRen
    public private(set) var configNS: UInt32 = NVMCRegister.modeRen
    /// Completed (accepted) word writes and page erases.
    public private(set) var wordWrites = 0
    public private(set) var pageErases = 0

    /// Virtual time (ns) at which the operation in progress ends; nil when idle.
    private var busyUntil: UInt64?
    private var busyIsWrite = false

    /// Wraps `flash`, whose geometry must be the variant's (size, page size, write size 4, 0xFF).
    public init(variant: NVMCVariant, flash: NORFlashModel) {
        precondition(flash.size == variant.flashSize && flash.eraseSize == variant.pageSize
            && flash.writeSize == 4 && flash.erasedValue == 0xFF, "NVMCModel: flash geometry does not match the variant")
        self.variant = variant
        self.flash = flash
        self.memory = nil
        self.memory = Memory(owner: self)
    }

    /// A fresh, fully erased in-memory flash of the variant's geometry.
    public convenience init(variant: NVMCVariant) {
        // The variant geometries are valid NORFlashModel geometries.
        let flash = try! NORFlashModel(size: variant.flashSize, eraseSize: variant.pageSize, writeSize: 4)
        self.init(variant: variant, flash: flash)
    }

    /// Maps the register block (traced) and the flash window (untraced) on `bus`.
    public func map(on bus: PeripheralBus) {
        bus.map(self, at: variant.registerBase, size: 0x1000)
        bus.map(memory, at: variant.flashBase, size: UInt32(variant.flashSize), traced: false)
    }

    public func clearDriverFaults() { driverFaults.removeAll() }

    /// The mode that governs flash accesses: CONFIGNS for the non-secure application variant,
    /// CONFIG otherwise (the SPU's reset state makes all flash secure).
    private var mode: UInt32 { variant.modeRegisters == .configNS ? configNS : config }

    // MARK: Registers

    public func read(offset: UInt32, bus: PeripheralBus) -> UInt32 {
        switch offset {
        case NVMCRegister.ready:
            return poll(bus: bus, next: false)
        case NVMCRegister.readyNext where variant.hasReadyNext:
            return poll(bus: bus, next: true)
        case NVMCRegister.config where variant.modeRegisters != .configNS:
            return config
        case NVMCRegister.configNS where variant.modeRegisters != .config:
            return configNS
        default:
            return 0
        }
    }

    public func write(offset: UInt32, value: UInt32, bus: PeripheralBus) {
        switch offset {
        case NVMCRegister.config where variant.modeRegisters != .configNS:
            stall(bus: bus)
            config = value & 3
        case NVMCRegister.configNS where variant.modeRegisters != .config:
            stall(bus: bus)
            configNS = value & 3
        case NVMCRegister.erasePage where variant.eraseMethod == .erasePageRegister:
            erasePage(address: value, bus: bus)
        default:
            driverFaults.append(.unknownRegister(offset: offset))
        }
    }

    // MARK: Flash window

    func readFlash(offset: UInt32, bus: PeripheralBus) -> UInt32 {
        stall(bus: bus)
        let o = Int(offset & ~3)
        guard o + 4 <= flash.storage.count else { return 0xFFFF_FFFF }
        return UInt32(flash.storage[o]) | UInt32(flash.storage[o + 1]) << 8
            | UInt32(flash.storage[o + 2]) << 16 | UInt32(flash.storage[o + 3]) << 24
    }

    func writeFlash(offset: UInt32, value: UInt32, bus: PeripheralBus) {
        let address = variant.flashBase &+ offset
        guard offset & 3 == 0 else {
            driverFaults.append(.unaligned(address: address))
            return
        }
        switch mode {
        case NVMCRegister.modeWen:
            programWord(offset: Int(offset), value: value, bus: bus)
        case NVMCRegister.modeEen where variant.eraseMethod == .writeErasedWord:
            guard value == 0xFFFF_FFFF, offset % UInt32(variant.pageSize) == 0 else {
                driverFaults.append(.badEraseWrite(address: address, value: value))
                return
            }
            erasePage(address: address, bus: bus)
        default:
            // Ignored by the hardware; always a driver bug.
            driverFaults.append(.writeWithoutWEN(address: address))
        }
    }

    private func programWord(offset: Int, value: UInt32, bus: PeripheralBus) {
        let address = variant.flashBase &+ UInt32(offset)
        if let end = busyUntil, bus.clock.nanoseconds < end {
            let remaining = end - bus.clock.nanoseconds
            let acceptedByReadyNext = variant.hasReadyNext && busyIsWrite && remaining <= variant.wordWriteNanoseconds
            if !acceptedByReadyNext {
                driverFaults.append(.writeWhileBusy(address: address))
                stall(bus: bus)
            }
        }
        guard !flash.anyProgrammed(offset: offset, count: 4) else {
            driverFaults.append(.rewrite(address: address))
            return
        }
        let bytes: [UInt8] = [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
                              UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24)]
        do throws(FlashError) {
            try flash.write(at: offset, bytes.span)
        } catch {
            // A power cut (or a backing-file failure): the operation never completes.
            busyUntil = UInt64.max
            busyIsWrite = true
            return
        }
        wordWrites += 1
        let start = max(bus.clock.nanoseconds, busyUntil ?? 0)
        busyUntil = start + variant.wordWriteNanoseconds
        busyIsWrite = true
    }

    private func erasePage(address: UInt32, bus: PeripheralBus) {
        guard mode == NVMCRegister.modeEen else {
            driverFaults.append(.eraseWithoutEEN(address: address))
            return
        }
        let offset = address &- variant.flashBase
        guard address >= variant.flashBase, Int(offset) < variant.flashSize else {
            driverFaults.append(.eraseOutOfRange(address: address))
            return
        }
        guard Int(offset) % variant.pageSize == 0 else {
            driverFaults.append(.unaligned(address: address))
            return
        }
        if let end = busyUntil, bus.clock.nanoseconds < end {
            driverFaults.append(.eraseWhileBusy(address: address))
            stall(bus: bus)
        }
        do throws(FlashError) {
            try flash.erase(at: Int(offset), count: variant.pageSize)
        } catch {
            busyUntil = UInt64.max
            busyIsWrite = false
            return
        }
        pageErases += 1
        busyUntil = bus.clock.nanoseconds + variant.pageEraseNanoseconds
        busyIsWrite = false
    }

    // MARK: Timing

    /// READY (`next == false`) or READYNEXT. A poll while busy reads 0 and lets the clock run to
    /// the moment the bit rises.
    private func poll(bus: PeripheralBus, next: Bool) -> UInt32 {
        if neverReady { return 0 }
        guard let end = busyUntil else { return 1 }
        if end == UInt64.max { return 0 }  // power lost mid-operation
        let now = bus.clock.nanoseconds
        let readyAt = next && busyIsWrite ? end - min(end, variant.wordWriteNanoseconds) : end
        if now >= readyAt {
            if now >= end { busyUntil = nil }
            return 1
        }
        bus.clock.advance(to: readyAt)
        return 0
    }

    /// The CPU stalls until the operation in progress ends.
    private func stall(bus: PeripheralBus) {
        guard let end = busyUntil, end != UInt64.max, !neverReady else { return }
        bus.clock.advance(to: end)
        busyUntil = nil
    }

    private final class Memory: MMIOPeripheral {
        unowned let owner: NVMCModel
        init(owner: NVMCModel) { self.owner = owner }
        func read(offset: UInt32, bus: PeripheralBus) -> UInt32 { owner.readFlash(offset: offset, bus: bus) }
        func write(offset: UInt32, value: UInt32, bus: PeripheralBus) { owner.writeFlash(offset: offset, value: value, bus: bus) }
    }
}

/// A misuse of the NVMC the model saw (each would be a silent no-op, a hard fault or a worn
/// cell on hardware).
public enum NVMCDriverFault: Equatable, Sendable {
    /// A store to flash while the mode was not Wen (ignored).
    case writeWithoutWEN(address: UInt32)
    /// A page erase started while the mode was not Een (ignored).
    case eraseWithoutEEN(address: UInt32)
    /// A flash store or erase address not aligned to a word (or page, for erase).
    case unaligned(address: UInt32)
    /// A second write to a word since its page's last erase (refused by this model).
    case rewrite(address: UInt32)
    /// A flash store while an operation was in progress and READYNEXT did not allow it.
    case writeWhileBusy(address: UInt32)
    /// A page erase started while an operation was in progress.
    case eraseWhileBusy(address: UInt32)
    /// ERASEPAGE with an address outside the flash.
    case eraseOutOfRange(address: UInt32)
    /// nRF53 erase: a store under Een that is not 0xFFFFFFFF to a page's first word.
    case badEraseWrite(address: UInt32, value: UInt32)
    /// A store to a register the variant does not have (e.g. ERASEPAGE on nRF53, CONFIG from non-secure).
    case unknownRegister(offset: UInt32)
}
