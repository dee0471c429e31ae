/// An SPI-NOR flash chip described as data: identity, geometry, instruction set, status-register
/// layout and datasheet timings. Drivers (the nRF QSPI driver, a host FTDI bridge) and the host's
/// chip model both read the same value, so a second chip is a second constant, not a second driver.
///
/// ```
///  0 ───────── page (256 B) ── sector (4 KiB) ── block32 (32 KiB) ── block64 (64 KiB) ── size
///  program ≤ one page per instruction (bytes past the page end wrap to its start);
///  erase a sector, a 32/64 KiB block (aligned to its own size), or the whole chip.
/// ```
public struct SPINORChip: Sendable {
    /// A part name for logs (a `StaticString`, so it costs no heap on the target).
    public var name: StaticString
    /// What RDID (0x9F) answers: manufacturer, memory type, capacity.
    public var jedecID: SPINORJEDECID
    /// Bytes on the chip.
    public var size: Int
    /// Program page: the most one program instruction can write (and where it wraps).
    public var pageSize: Int
    /// Smallest erase unit (SE).
    public var sectorSize: Int
    /// 32 KiB block erase unit (BE32), 0 if the chip has none.
    public var smallBlockSize: Int
    /// 64 KiB block erase unit (BE64).
    public var blockSize: Int
    /// Every byte after an erase.
    public var erasedValue: UInt8
    public var opcodes: SPINOROpcodes
    public var status: SPINORStatusBits
    public var quadEnable: SPINORQuadEnable
    public var timings: SPINORTimings

    public init(
        name: StaticString, jedecID: SPINORJEDECID, size: Int, pageSize: Int, sectorSize: Int,
        smallBlockSize: Int, blockSize: Int, erasedValue: UInt8 = 0xFF, opcodes: SPINOROpcodes = SPINOROpcodes(),
        status: SPINORStatusBits = SPINORStatusBits(), quadEnable: SPINORQuadEnable, timings: SPINORTimings
    ) {
        self.name = name
        self.jedecID = jedecID
        self.size = size
        self.pageSize = pageSize
        self.sectorSize = sectorSize
        self.smallBlockSize = smallBlockSize
        self.blockSize = blockSize
        self.erasedValue = erasedValue
        self.opcodes = opcodes
        self.status = status
        self.quadEnable = quadEnable
        self.timings = timings
    }

    /// True when the geometry is usable by a driver: sizes are powers of two, page ≤ sector ≤
    /// block ≤ size, and the chip fits 24-bit addressing (≤ 16 MiB).
    public var hasValidGeometry: Bool {
        func pow2(_ v: Int) -> Bool { v > 0 && v & (v - 1) == 0 }
        guard pow2(size), pow2(pageSize), pow2(sectorSize), pow2(blockSize) else { return false }
        guard smallBlockSize == 0 || pow2(smallBlockSize) else { return false }
        return pageSize <= sectorSize && sectorSize <= blockSize && blockSize <= size && size <= 1 << 24
    }
}

/// The three bytes RDID (0x9F) returns.
public struct SPINORJEDECID: Equatable, Hashable, Sendable {
    public var manufacturer: UInt8
    public var memoryType: UInt8
    public var capacity: UInt8

    public init(manufacturer: UInt8, memoryType: UInt8, capacity: UInt8) {
        self.manufacturer = manufacturer
        self.memoryType = memoryType
        self.capacity = capacity
    }

    /// From the first three bytes clocked in after RDID (byte 0 = manufacturer), as a
    /// little-endian word (what the nRF QSPI leaves in CINSTRDAT0).
    public init(littleEndianWord word: UInt32) {
        manufacturer = UInt8(truncatingIfNeeded: word)
        memoryType = UInt8(truncatingIfNeeded: word >> 8)
        capacity = UInt8(truncatingIfNeeded: word >> 16)
    }
}

/// Instruction opcodes. Defaults are the common (Macronix/JEDEC) set; the MX25R6435F uses them all.
public struct SPINOROpcodes: Sendable {
    public var readIdentification: UInt8 = 0x9F  // RDID
    public var readStatus: UInt8 = 0x05  // RDSR
    public var writeStatus: UInt8 = 0x01  // WRSR
    public var readConfiguration: UInt8 = 0x15  // RDCR (Macronix)
    public var writeEnable: UInt8 = 0x06  // WREN
    public var writeDisable: UInt8 = 0x04  // WRDI
    public var pageProgram: UInt8 = 0x02  // PP
    public var quadPageProgram: UInt8 = 0x38  // 4PP (address and data on four lines)
    public var sectorErase: UInt8 = 0x20  // SE, 4 KiB
    public var blockErase32: UInt8 = 0x52  // BE32K
    public var blockErase64: UInt8 = 0xD8  // BE, 64 KiB
    public var chipErase: UInt8 = 0x60  // CE (0xC7 is the alias)
    public var deepPowerDown: UInt8 = 0xB9  // DP
    public var releaseDeepPowerDown: UInt8 = 0xAB  // RDP / RES
    public var read: UInt8 = 0x03  // READ (no dummy cycles, slow clock)
    public var fastRead: UInt8 = 0x0B  // FAST_READ
    public var quadIORead: UInt8 = 0xEB  // 4READ
    public var resetEnable: UInt8 = 0x66  // RSTEN
    public var reset: UInt8 = 0x99  // RST

    public init() {}
}

/// Masks of the status register bits the drivers look at.
public struct SPINORStatusBits: Sendable {
    /// Write in progress (busy): set from the end of a program/erase/WRSR instruction until done.
    public var writeInProgress: UInt8 = 1 << 0
    /// Write-enable latch: set by WREN, required by program/erase/WRSR, cleared when they finish.
    public var writeEnableLatch: UInt8 = 1 << 1

    public init() {}
}

/// Where the quad-enable bit lives (quad I/O reads and programs need it set, non-volatile).
public enum SPINORQuadEnable: Equatable, Sendable {
    /// The chip has no QE bit (quad always available, or never).
    case none
    /// A bit of status register 1, written with a one-byte WRSR (Macronix: bit 6).
    case statusRegister(mask: UInt8)
}

/// Datasheet timings, in microseconds (`UInt32` holds up to 71 minutes).
public struct SPINORTimings: Sendable {
    public var pageProgramTypical: UInt32
    public var pageProgramMax: UInt32
    public var sectorEraseTypical: UInt32
    public var sectorEraseMax: UInt32
    public var blockErase32Typical: UInt32
    public var blockErase32Max: UInt32
    public var blockErase64Typical: UInt32
    public var blockErase64Max: UInt32
    public var chipEraseTypical: UInt32
    public var chipEraseMax: UInt32
    /// WRSR cycle (status/configuration register write).
    public var writeStatusTypical: UInt32
    public var writeStatusMax: UInt32
    /// CS# high after DP until the chip is in deep power-down (tDP).
    public var enterDeepPowerDown: UInt32
    /// CS# high after RES/RDP until the chip accepts instructions again (tRES1).
    public var releaseDeepPowerDown: UInt32

    public init(
        pageProgramTypical: UInt32, pageProgramMax: UInt32, sectorEraseTypical: UInt32, sectorEraseMax: UInt32,
        blockErase32Typical: UInt32, blockErase32Max: UInt32, blockErase64Typical: UInt32, blockErase64Max: UInt32,
        chipEraseTypical: UInt32, chipEraseMax: UInt32, writeStatusTypical: UInt32, writeStatusMax: UInt32,
        enterDeepPowerDown: UInt32, releaseDeepPowerDown: UInt32
    ) {
        self.pageProgramTypical = pageProgramTypical
        self.pageProgramMax = pageProgramMax
        self.sectorEraseTypical = sectorEraseTypical
        self.sectorEraseMax = sectorEraseMax
        self.blockErase32Typical = blockErase32Typical
        self.blockErase32Max = blockErase32Max
        self.blockErase64Typical = blockErase64Typical
        self.blockErase64Max = blockErase64Max
        self.chipEraseTypical = chipEraseTypical
        self.chipEraseMax = chipEraseMax
        self.writeStatusTypical = writeStatusTypical
        self.writeStatusMax = writeStatusMax
        self.enterDeepPowerDown = enterDeepPowerDown
        self.releaseDeepPowerDown = releaseDeepPowerDown
    }
}
