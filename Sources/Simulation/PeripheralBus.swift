import NRF

/// A register-level model of a peripheral (or of memory-mapped flash) on the simulated bus.
public protocol MMIOPeripheral: AnyObject {
    /// A 32-bit load at `offset` from the start of the mapped range.
    func read(offset: UInt32, bus: PeripheralBus) -> UInt32
    /// A 32-bit store at `offset` from the start of the mapped range.
    func write(offset: UInt32, value: UInt32, bus: PeripheralBus)
}

/// One bus access, for register-trace tests.
public enum BusAccess: Equatable, Sendable, CustomStringConvertible {
    case load(address: UInt32, value: UInt32)
    case store(address: UInt32, value: UInt32)

    public var description: String {
        switch self {
        case .load(let a, let v): "load  0x\(hex(a)) -> 0x\(hex(v))"
        case .store(let a, let v): "store 0x\(hex(a)) <- 0x\(hex(v))"
        }
    }
}

private func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, 8 - s.count)) + s
}

/// The host's ``NRF/MMIOBus``: dispatches each access to the peripheral model mapped at that
/// address, records a trace, and gives models a virtual clock and EasyDMA access to the buffers
/// a driver lends through ``withDMA(_:_:)``.
///
/// An access to an unmapped address is recorded in ``faults`` and reads 0; tests assert it stays
/// empty (on hardware it would be a bus fault).
public final class PeripheralBus: MMIOBus {
    struct Mapping {
        var base: UInt32
        var size: UInt32
        var peripheral: MMIOPeripheral
        var traced: Bool
    }

    private var mappings: [Mapping] = []
    private var dmaWindows: [(base: UInt32, buffer: UnsafeMutableRawBufferPointer)] = []
    private var nextDMABase: UInt32 = 0x2000_0000

    public let clock: VirtualClock
    /// Accesses to traced ranges, in order, while ``tracing`` is on.
    public private(set) var trace: [BusAccess] = []
    public var tracing = false
    /// Addresses accessed that no model maps.
    public private(set) var faults: [UInt32] = []

    public init(clock: VirtualClock = VirtualClock()) {
        self.clock = clock
    }

    /// Maps `peripheral` at `base..<base+size`. `traced: false` keeps bulk memory (flash reads)
    /// out of register traces.
    public func map(_ peripheral: MMIOPeripheral, at base: UInt32, size: UInt32, traced: Bool = true) {
        mappings.append(Mapping(base: base, size: size, peripheral: peripheral, traced: traced))
    }

    public func clearTrace() { trace.removeAll() }

    private func mapping(for address: UInt32) -> Mapping? {
        mappings.first { address >= $0.base && address - $0.base < $0.size }
    }

    public func load(_ address: UInt32) -> UInt32 {
        guard let m = mapping(for: address) else {
            faults.append(address)
            return 0
        }
        let value = m.peripheral.read(offset: address - m.base, bus: self)
        if tracing && m.traced { trace.append(.load(address: address, value: value)) }
        return value
    }

    public func store(_ address: UInt32, _ value: UInt32) {
        guard let m = mapping(for: address) else {
            faults.append(address)
            return
        }
        if tracing && m.traced { trace.append(.store(address: address, value: value)) }
        m.peripheral.write(offset: address - m.base, value: value, bus: self)
    }

    public func copy(from address: UInt32, into buffer: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset < buffer.count {
            let a = address &+ UInt32(offset)
            let word = load(a & ~3)
            buffer[offset] = UInt8(truncatingIfNeeded: word >> ((a & 3) * 8))
            offset += 1
        }
    }

    public func withDMA<R>(_ buffer: UnsafeMutableRawBufferPointer, _ body: (UInt32) -> R) -> R {
        let base = nextDMABase
        // Windows are 64 KiB apart so overlapping lends stay distinguishable.
        nextDMABase &+= UInt32((buffer.count + 0xFFFF) & ~0xFFFF)
        dmaWindows.append((base, buffer))
        defer {
            dmaWindows.removeAll { $0.base == base }
            if dmaWindows.isEmpty { nextDMABase = 0x2000_0000 }
        }
        return body(base)
    }

    /// EasyDMA read by a model: `count` bytes at a bus address lent by ``withDMA(_:_:)``; nil
    /// when the range is not inside a lent buffer (a driver bug the model reports).
    public func dmaRead(_ address: UInt32, count: Int) -> [UInt8]? {
        guard let (base, buffer) = dmaWindows.first(where: { address >= $0.base && Int(address - $0.base) <= $0.buffer.count }),
            count >= 0, Int(address - base) + count <= buffer.count
        else { return nil }
        let start = Int(address - base)
        return Array(buffer[start..<(start + count)])
    }

    /// EasyDMA write by a model; false when the range is not inside a lent buffer.
    @discardableResult
    public func dmaWrite(_ address: UInt32, _ bytes: [UInt8]) -> Bool {
        guard let (base, buffer) = dmaWindows.first(where: { address >= $0.base && Int(address - $0.base) <= $0.buffer.count }),
            Int(address - base) + bytes.count <= buffer.count
        else { return false }
        let start = Int(address - base)
        for (i, byte) in bytes.enumerated() { buffer[start + i] = byte }
        return true
    }
}
