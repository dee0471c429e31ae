import FlashKit

/// The nRF internal flash through its Non-Volatile Memory Controller, as a ``FlashKit/NORFlash``.
///
/// Offsets are relative to the variant's flash base (0 on the nRF52840 and the nRF5340
/// application core, 0x01000000 on the network core). Reads are plain loads from the
/// memory-mapped flash; writes and erases follow the nrfx sequences:
///
/// ```
///  write:  CONFIG=Wen │ word₀ → addr₀, wait READY │ word₁ → addr₁, wait READY │ … │ CONFIG=Ren
///  erase:  CONFIG=Een │ ERASEPAGE=page (nRF52) or 0xFFFFFFFF → page (nRF53) │ wait READY │ CONFIG=Ren
/// ```
///
/// (on the secure nRF5340 application core "CONFIG=x" is CONFIGNS=x then CONFIG=x).
///
/// Every range is checked with FlashKit's `checkWrite`/`checkErase` before any register is
/// touched. Waits are bounded: ``pollLimits`` defaults to ten times the datasheet time, counted
/// as if one poll took one CPU cycle at the core's fastest clock (a real poll takes several, so
/// the real bound is longer still); a READY that never rises is ``FlashKit/FlashError/timeout``.
///
/// The NVMC programs whole 32-bit words only (a byte or half-word store hard-faults), so bytes
/// are assembled into little-endian words. The NVMC allows two writes per word between erases;
/// this driver, like the `NORFlash` contract, writes each word once.
public struct NVMC<Bus: MMIOBus>: NORFlash {
    public let bus: Bus
    public let variant: NVMCVariant
    public var waitStrategy: NVMCWaitStrategy
    public var pollLimits: NVMCPollLimits

    public init(bus: Bus, variant: NVMCVariant, waitStrategy: NVMCWaitStrategy = .ready, pollLimits: NVMCPollLimits? = nil) {
        self.bus = bus
        self.variant = variant
        // READYNEXT only where the block has it.
        self.waitStrategy = variant.hasReadyNext ? waitStrategy : .ready
        self.pollLimits = pollLimits ?? NVMCPollLimits(datasheetFor: variant)
    }

    public var size: Int { variant.flashSize }
    public var eraseSize: Int { variant.pageSize }
    public var writeSize: Int { 4 }
    public var erasedValue: UInt8 { 0xFF }

    // MARK: NORFlash

    public func read(at offset: Int, into buffer: inout MutableSpan<UInt8>) throws(FlashError) {
        try checkBounds(offset: offset, count: buffer.count)
        guard buffer.count > 0 else { return }
        let address = flashAddress(offset)
        buffer.withUnsafeMutableBytes { raw in bus.copy(from: address, into: raw) }
    }

    public func write(at offset: Int, _ bytes: Span<UInt8>) throws(FlashError) {
        try checkWrite(offset: offset, count: bytes.count)
        guard bytes.count > 0 else { return }
        setMode(NVMCRegister.modeWen)
        var index = 0
        var address = flashAddress(offset)
        var failed = false
        while index < bytes.count {
            let word = UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8
                | UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24
            if waitStrategy == .readyNext {
                guard waitFor(NVMCRegister.readyNext, limit: pollLimits.write) else { failed = true; break }
                bus.store(address, word)
            } else {
                bus.store(address, word)
                guard waitFor(NVMCRegister.ready, limit: pollLimits.write) else { failed = true; break }
            }
            index += 4
            address &+= 4
        }
        if !failed && waitStrategy == .readyNext {
            failed = !waitFor(NVMCRegister.ready, limit: pollLimits.write)
        }
        // Back to read-only even after a timeout, so a stuck controller is not left writable.
        setMode(NVMCRegister.modeRen)
        if failed { throw .timeout }
    }

    public func erase(at offset: Int, count: Int) throws(FlashError) {
        try checkErase(offset: offset, count: count)
        var page = offset
        while page < offset + count {
            try erasePage(at: page)
            page += variant.pageSize
        }
    }

    // MARK: Internals

    private func erasePage(at offset: Int) throws(FlashError) {
        let address = flashAddress(offset)
        setMode(NVMCRegister.modeEen)
        switch variant.eraseMethod {
        case .erasePageRegister: bus.store(variant.registerBase + NVMCRegister.erasePage, address)
        case .writeErasedWord: bus.store(address, 0xFFFF_FFFF)
        }
        let done = waitFor(NVMCRegister.ready, limit: pollLimits.erase)
        setMode(NVMCRegister.modeRen)
        if !done { throw .timeout }
    }

    @inline(__always)
    private func flashAddress(_ offset: Int) -> UInt32 {
        variant.flashBase &+ UInt32(truncatingIfNeeded: offset)
    }

    private func setMode(_ mode: UInt32) {
        switch variant.modeRegisters {
        case .config:
            bus.store(variant.registerBase + NVMCRegister.config, mode)
        case .configNSThenConfig:
            bus.store(variant.registerBase + NVMCRegister.configNS, mode)
            bus.store(variant.registerBase + NVMCRegister.config, mode)
        case .configNS:
            bus.store(variant.registerBase + NVMCRegister.configNS, mode)
        }
    }

    /// Polls bit 0 of `register` until it is 1, at most `limit` times.
    private func waitFor(_ register: UInt32, limit: UInt32) -> Bool {
        let address = variant.registerBase + register
        var polls: UInt32 = 0
        while polls < limit {
            if bus.load(address) & 1 != 0 { return true }
            polls &+= 1
        }
        return false
    }
}

/// How many times the driver polls READY/READYNEXT before it gives up with `.timeout`.
public struct NVMCPollLimits: Sendable, Equatable {
    /// Per word (READY after a word, or READYNEXT before one).
    public var write: UInt32
    /// Per page erase.
    public var erase: UInt32

    public init(write: UInt32, erase: UInt32) {
        self.write = write
        self.erase = erase
    }

    /// `margin` times the datasheet time, in CPU cycles at `variant.cpuHertz` (one poll counted as
    /// one cycle, so the real wait is longer). nRF52840, margin 10: 26 240 polls per word,
    /// 54 400 000 per page.
    public init(datasheetFor variant: NVMCVariant, margin: UInt64 = 10) {
        func cycles(_ nanoseconds: UInt64) -> UInt32 {
            let c = nanoseconds * margin * (variant.cpuHertz / 1_000_000) / 1_000
            return c > UInt64(UInt32.max) ? UInt32.max : UInt32(c)
        }
        self.write = cycles(variant.wordWriteNanoseconds)
        self.erase = cycles(variant.pageEraseNanoseconds)
    }
}
