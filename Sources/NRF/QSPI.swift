import FlashKit

/// The nRF52840 / nRF5340 QSPI peripheral driving an SPI-NOR chip described by ``FlashKit/SPINORChip``,
/// as a ``FlashKit/NORFlash``.
///
/// A handle (like the NVMC driver): non-mutating, generic over the bus, no heap. Call
/// ``activate()`` once before any flash operation; it configures the interface, wakes the chip
/// from deep power-down, checks its JEDEC id and sets quad-enable when the configured read/write
/// modes need four lines.
///
/// ## What the peripheral demands, and how the driver meets it
///
/// - READ/WRITE lengths must be multiples of 4 (the low bits are silently ignored), the flash
///   address word-aligned, the RAM buffer word-aligned and in RAM (EasyDMA). Reads therefore go
///   through a 256-byte word-aligned bounce buffer on the stack (`InlineArray<64, UInt32>`) over
///   the word-aligned window around the caller's range, so any offset and length work; writes
///   keep MCUboot/Zephyr's older `nrf_qspi_nor.c` contract of `writeSize` 4 (offset and length
///   4-aligned) and are staged through the same buffer.
/// - Page programs: the peripheral splits a WRITE into page programs itself (PS: "automatically
///   takes care of splitting DMA transfers into page writes", IFCONFIG0.PPSIZE), and it sends WREN
///   before each program and erase. The driver still never lets one WRITE task cross a page
///   boundary (chunks are ≤ 256 bytes and end at page ends), so correctness does not rest on how
///   the splitting treats an unaligned start.
/// - Completion: EVENTS_READY means the instruction went out, not that the chip is done. After
///   every WRITE and ERASE the driver polls RDSR (a custom instruction) until WIP clears, bounded by
///   twice the datasheet maximum counted in polls at the configured SCK (one RDSR is at least 16
///   SCK cycles), so a chip stuck busy ends in ``FlashKit/FlashError/timeout`` instead of a hang.
///
/// Every input is checked (bounds, alignment) before the first register access.
public struct QSPI<Bus: MMIOBus>: NORFlash {
    public let bus: Bus
    public let variant: QSPIVariant
    public let chip: SPINORChip
    public let configuration: QSPIConfiguration

    /// Bytes staged per READ/WRITE task.
    public static var bounceBufferSize: Int { 256 }

    public init(bus: Bus, variant: QSPIVariant, chip: SPINORChip, configuration: QSPIConfiguration = QSPIConfiguration()) {
        self.bus = bus
        self.variant = variant
        self.chip = chip
        self.configuration = configuration
    }

    // MARK: NORFlash geometry

    public var size: Int { chip.size }
    public var eraseSize: Int { chip.sectorSize }
    /// 4: what READ/WRITE.CNT and the flash address require.
    public var writeSize: Int { 4 }
    public var erasedValue: UInt8 { chip.erasedValue }
    /// The chip's 64 KiB block (the peripheral's ERASE LEN 64KB), which `erase` uses where aligned.
    public var blockEraseSize: Int { chip.blockSize }

    // MARK: Registers

    @inline(__always)
    func address(_ register: QSPIRegister) -> UInt32 { variant.base &+ register.rawValue }

    @inline(__always)
    func store(_ register: QSPIRegister, _ value: UInt32) { bus.store(address(register), value) }

    @inline(__always)
    func load(_ register: QSPIRegister) -> UInt32 { bus.load(address(register)) }

    /// The IFCONFIG1.SCKFREQ field in use.
    public var sckFreqField: UInt32 { variant.sckFreqField(forHz: configuration.sckFrequencyHz) }
    /// The SCK the driver runs at.
    public var sckHz: UInt32 { variant.sckHz(forField: sckFreqField) }

    /// IFCONFIG0 as the driver writes it: read/write opcodes, 24-bit addresses, 256-byte pages.
    public var ifconfig0: UInt32 {
        var value = configuration.readMode.rawValue | configuration.writeMode.rawValue << QSPIField.ifconfig0WriteOCShift
        if chip.pageSize == 512 { value |= QSPIField.ifconfig0PageSize512 }
        return value
    }

    /// IFCONFIG1 as the driver writes it: SCK divider, SCK delay, SPI mode 0, not in DPM.
    public var ifconfig1: UInt32 {
        sckFreqField << QSPIField.ifconfig1SCKFreqShift | UInt32(configuration.sckDelay)
    }

    /// Clears EVENTS_READY, triggers `task`, waits (bounded) for READY.
    func run(_ task: QSPIRegister) -> Bool {
        store(.eventsReady, 0)
        store(task, 1)
        return waitReady()
    }

    /// Bounded wait for EVENTS_READY; clears nothing (the next operation clears before it starts).
    func waitReady() -> Bool {
        var polls: UInt32 = 0
        while load(.eventsReady) == 0 {
            polls &+= 1
            if polls >= configuration.readyPollLimit { return false }
        }
        return true
    }

    // MARK: Bring-up

    /// Configures and activates the peripheral, wakes the chip, checks its identity and sets QE
    /// if needed. Sequence (nrfx `nrfx_qspi_init` order): PSEL (if given), IFCONFIG0, IFCONFIG1,
    /// ENABLE, TASKS_ACTIVATE → READY; then RES (release from deep power-down — the application may
    /// have left the chip there), RDID until it matches (bounded by tRES1), RDSR, and if quad is
    /// configured and QE is clear: WREN, WRSR(status | QE), wait WIP, RDSR to verify.
    ///
    /// - Throws: ``FlashKit/FlashError/outOfBounds`` for a chip description the driver cannot
    ///   address (bad geometry, > 16 MiB with 24-bit addresses), ``FlashKit/FlashError/deviceFault``
    ///   when the JEDEC id is not the chip's or QE does not stick, ``FlashKit/FlashError/timeout``
    ///   when the peripheral or the chip never becomes ready.
    public func activate() throws(FlashError) {
        guard chip.hasValidGeometry, chip.pageSize == 256 || chip.pageSize == 512 else { throw .outOfBounds }
        if let pins = configuration.pins {
            store(.pselSCK, pins.sck)
            store(.pselCSN, pins.csn)
            store(.pselIO0, pins.io0)
            store(.pselIO1, pins.io1)
            store(.pselIO2, pins.io2)
            store(.pselIO3, pins.io3)
        }
        store(.ifconfig0, ifconfig0)
        store(.ifconfig1, ifconfig1)
        store(.enable, QSPIField.enableEnabled)
        guard run(.tasksActivate) else { throw .timeout }
        try wake()
        if configuration.usesQuad { try enableQuad() }
    }

    /// TASKS_DEACTIVATE, then ENABLE = 0 (releases the pins). nRF52840 anomaly 122 (current
    /// consumption after deactivation) needs an undocumented register write that nrfx does; it
    /// is not done here.
    public func deactivate() {
        store(.tasksDeactivate, 1)
        store(.enable, 0)
    }

    /// Sends RES and reads the JEDEC id until it is the chip's (the chip ignores instructions for
    /// tRES1 after RES), bounded by twice tRES1 in polls.
    ///
    /// - Throws: ``FlashKit/FlashError/deviceFault`` when the id never matches.
    public func wake() throws(FlashError) {
        _ = try send(chip.releaseDeepPowerDownCommand)
        // One RDID is 32 SCK cycles.
        let limit = pollLimit(microseconds: chip.timings.releaseDeepPowerDown, cyclesPerPoll: 32, minimum: 8)
        var polls: UInt32 = 0
        while true {
            if try readJEDECID() == chip.jedecID { return }
            polls += 1
            if polls >= limit { throw .deviceFault }
        }
    }

    /// Sends DP: the chip then ignores everything but RES until ``wake()``.
    public func deepPowerDown() throws(FlashError) {
        _ = try send(chip.deepPowerDownCommand)
    }

    /// RDID via a custom instruction.
    public func readJEDECID() throws(FlashError) -> SPINORJEDECID {
        SPINORJEDECID(littleEndianWord: UInt32(truncatingIfNeeded: try send(chip.readIdentificationCommand)))
    }

    /// RDSR via a custom instruction.
    public func readStatus() throws(FlashError) -> UInt8 {
        UInt8(truncatingIfNeeded: try send(chip.readStatusCommand))
    }

    /// Sets the chip's QE bit if it is clear (WREN, one-byte WRSR, wait, verify).
    ///
    /// - Throws: ``FlashKit/FlashError/deviceFault`` when QE reads back clear.
    public func enableQuad() throws(FlashError) {
        guard case .statusRegister(let mask) = chip.quadEnable else { return }
        let status = try readStatus()
        if status & mask != 0 { return }
        _ = try send(chip.writeEnableCommand)
        // Keep the block-protect bits as they are; WIP/WEL are read-only in the register.
        let writable = status & ~(chip.status.writeInProgress | chip.status.writeEnableLatch)
        _ = try send(chip.writeStatusCommand(writable | mask))
        try waitWhileBusy(maxMicroseconds: chip.timings.writeStatusMax)
        guard try chip.isQuadEnabled(status: readStatus()) else { throw .deviceFault }
    }

    /// Sends one custom instruction (CINSTRCONF/CINSTRDAT) and returns the bytes clocked in
    /// (little-endian, byte 0 first) when the command expects a response, else 0. IO2/IO3 (WP#,
    /// HOLD#) are held high during the instruction.
    ///
    /// - Throws: ``FlashKit/FlashError/outOfBounds`` when `dataCount` is not 0...8 (before any
    ///   register access); ``FlashKit/FlashError/timeout`` when READY never comes.
    public func send(_ command: SPINORCommand) throws(FlashError) -> UInt64 {
        guard command.dataCount >= 0, command.dataCount <= SPINORCommand.maxDataCount else { throw .outOfBounds }
        if !command.expectsResponse && command.dataCount > 0 {
            store(.cinstrdat0, UInt32(truncatingIfNeeded: command.payload))
            if command.dataCount > 4 { store(.cinstrdat1, UInt32(truncatingIfNeeded: command.payload >> 32)) }
        }
        store(.eventsReady, 0)
        let length = UInt32(command.dataCount + 1)
        store(.cinstrconf, UInt32(command.opcode) | length << QSPIField.cinstrLengthShift | QSPIField.cinstrLIO2 | QSPIField.cinstrLIO3)
        guard waitReady() else { throw .timeout }
        guard command.expectsResponse, command.dataCount > 0 else { return 0 }
        var response = UInt64(load(.cinstrdat0))
        if command.dataCount > 4 { response |= UInt64(load(.cinstrdat1)) << 32 }
        return response
    }

    /// Polls RDSR until WIP clears.
    ///
    /// - Throws: ``FlashKit/FlashError/timeout`` after twice `maxMicroseconds` worth of polls.
    public func waitWhileBusy(maxMicroseconds: UInt32) throws(FlashError) {
        // One RDSR is 16 SCK cycles (opcode + status byte).
        let limit = pollLimit(microseconds: maxMicroseconds, cyclesPerPoll: 16, minimum: 16)
        var polls: UInt32 = 0
        while chip.isBusy(status: try readStatus()) {
            polls += 1
            if polls >= limit { throw .timeout }
        }
    }

    /// Polls that take at least `2 × microseconds` at the configured SCK.
    func pollLimit(microseconds: UInt32, cyclesPerPoll: UInt64, minimum: UInt32) -> UInt32 {
        let polls = UInt64(microseconds) * 2 * UInt64(sckHz) / (cyclesPerPoll * 1_000_000)
        return UInt32(clamping: polls + UInt64(minimum))
    }
}
