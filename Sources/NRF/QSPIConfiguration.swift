/// IFCONFIG0.READOC: the read instruction the READ task (and XIP) uses.
public enum QSPIReadMode: UInt32, Sendable {
    case fastRead = 0  // 0x0B, 1-1-1
    case read2O = 1  // 0x3B, 1-1-2
    case read2IO = 2  // 0xBB, 1-2-2
    case read4O = 3  // 0x6B, 1-1-4
    case read4IO = 4  // 0xEB, 1-4-4 (Zephyr DK default `readoc = "read4io"`)

    public var usesQuad: Bool { self == .read4O || self == .read4IO }
}

/// IFCONFIG0.WRITEOC: the program instruction the WRITE task uses.
public enum QSPIWriteMode: UInt32, Sendable {
    case pp = 0  // 0x02, 1-1-1
    case pp2O = 1  // 0xA2, 1-1-2
    case pp4O = 2  // 0x32, 1-1-4
    case pp4IO = 3  // 0x38, 1-4-4 (Zephyr DK default `writeoc = "pp4io"`; the MX25R's 4PP)

    public var usesQuad: Bool { self == .pp4O || self == .pp4IO }
}

/// PSEL values for the six QSPI lines: pin (bits 0–4) | port << 5; ``QSPIField/pselDisconnected``
/// for an unused line.
public struct QSPIPins: Equatable, Sendable {
    public var sck: UInt32
    public var csn: UInt32
    public var io0: UInt32
    public var io1: UInt32
    public var io2: UInt32
    public var io3: UInt32

    public init(sck: UInt32, csn: UInt32, io0: UInt32, io1: UInt32, io2: UInt32, io3: UInt32) {
        self.sck = sck
        self.csn = csn
        self.io0 = io0
        self.io1 = io1
        self.io2 = io2
        self.io3 = io3
    }

    /// nRF52840 DK: SCK P0.19, CSN P0.17, IO0–IO3 P0.20, P0.21, P0.22, P0.23 (Zephyr
    /// `nrf52840dk_nrf52840-pinctrl.dtsi`; not re-checked here).
    public static let nrf52840DK = QSPIPins(sck: 19, csn: 17, io0: 20, io1: 21, io2: 22, io3: 23)
}

/// How the driver sets up the peripheral.
public struct QSPIConfiguration: Equatable, Sendable {
    public var readMode: QSPIReadMode
    public var writeMode: QSPIWriteMode
    /// Requested SCK; the driver uses the fastest divider not above it (see ``QSPIVariant``).
    public var sckFrequencyHz: UInt32
    /// IFCONFIG1.SCKDELAY, in 62.5 ns units (nrfx default 5; Zephyr's `sck-delay` default 0x80 on
    /// some boards — keep it ≥ the chip's tSHSL).
    public var sckDelay: UInt8
    /// PSEL values written before ENABLE, or nil to leave PSEL to the board.
    public var pins: QSPIPins?
    /// Loads of EVENTS_READY before a task counts as hung (``FlashError/timeout``). The model
    /// raises READY at once; on the target a READ/WRITE of ≤ 256 bytes completes in well under
    /// 100 µs, and each load costs at least one 64 MHz CPU cycle, so the default allows > 15 ms.
    public var readyPollLimit: UInt32

    public init(
        readMode: QSPIReadMode = .read4IO, writeMode: QSPIWriteMode = .pp4IO, sckFrequencyHz: UInt32 = 8_000_000,
        sckDelay: UInt8 = 5, pins: QSPIPins? = nil, readyPollLimit: UInt32 = 1_000_000
    ) {
        self.readMode = readMode
        self.writeMode = writeMode
        self.sckFrequencyHz = sckFrequencyHz
        self.sckDelay = sckDelay
        self.pins = pins
        self.readyPollLimit = readyPollLimit
    }

    /// True when reads or writes use four data lines, so the chip's QE bit must be set.
    public var usesQuad: Bool { readMode.usesQuad || writeMode.usesQuad }
}
