/// A board as `Boards/<name>/board.yml` describes it: what the simulator builds and what the
/// firmware's generated constants come from. Loaded by `LifeboatHost.DescriptorLoader`.
public struct BoardDescription: Equatable, Sendable {
    public var name: String
    public var summary: String
    public var soc: String
    public var flash: [FlashDeviceDescription]
    public var console: ConsoleDescription
    public var recoveryButton: ButtonDescription?
    /// RAM (`ram: {base, size}`); nil when the descriptor does not say.
    public var ram: Range<Int>?
    /// Registers that survive a soft reset, by name (`retained-registers: {gpregret: 0x4000051C}`).
    public var retainedRegisters: [String: Int]
    /// What the firmware's boot stage may take of the RAM (`boot-stage:`); ``BootStageRAM/standard``
    /// when the descriptor does not say.
    public var bootStageRAM: BootStageRAM
    /// How a USB-UART adapter's lines reach the board's reset pin and recovery button
    /// (`recovery-adapter:`); nil when the descriptor does not say.
    public var recoveryAdapter: AdapterWiring?
    /// The core's clock while the boot stage runs (`cpu-clock-hz:`, 64 MHz when the descriptor
    /// does not say): what the bench turns instruction counts into time with.
    public var cpuClockHz: Int = 64_000_000

    public init(
        name: String, summary: String, soc: String, flash: [FlashDeviceDescription],
        console: ConsoleDescription, recoveryButton: ButtonDescription?,
        ram: Range<Int>? = nil, retainedRegisters: [String: Int] = [:], bootStageRAM: BootStageRAM = .standard,
        recoveryAdapter: AdapterWiring? = nil
    ) {
        self.recoveryAdapter = recoveryAdapter
        self.ram = ram
        self.bootStageRAM = bootStageRAM
        self.retainedRegisters = retainedRegisters
        self.name = name
        self.summary = summary
        self.soc = soc
        self.flash = flash
        self.console = console
        self.recoveryButton = recoveryButton
    }

    /// The flash device that holds a Partition Manager region (`flash_primary`, `external_flash`).
    public func device(forRegion region: String) -> FlashDeviceDescription? {
        flash.first { $0.region == region }
    }
}

/// The adapter wiring of a board descriptor's `recovery-adapter:`: which control line of a
/// USB-UART adapter drives the board's reset pin and which its recovery button, written as
/// `lifeboat device --reset-line` / `--boot-line` take them (`rts`, `dtr`, `cbus0`…`cbus3`, `!`
/// in front for an inverted line). Those options, when given, win.
public struct AdapterWiring: Equatable, Sendable {
    public var resetLine: String
    public var bootLine: String

    public init(resetLine: String, bootLine: String) {
        self.resetLine = resetLine
        self.bootLine = bootLine
    }
}

/// One flash device of a board.
public struct FlashDeviceDescription: Equatable, Sendable {
    /// Device name; also the state file's name (`internal` → `internal.bin`).
    public var name: String
    /// Partition Manager region whose partitions live on this device.
    public var region: String
    public var size: Int
    public var eraseSize: Int
    public var writeSize: Int
    public var erasedValue: UInt8
    /// How the SoC reaches it: `nvmc` (internal flash), `qspi` (external SPI-NOR), `ram`.
    public var controller: String
    /// Address in the memory map (internal flash; 0 for devices outside it).
    public var base: Int
    /// Datasheet worst cases, for the virtual clock (0 when unknown).
    public var pageEraseMicroseconds: Int
    public var wordWriteMicroseconds: Int
    /// The part behind a `qspi` controller (`chip:` in board.yml, e.g. `MX25R6435F`): the
    /// simulator models that chip (``SPINORChip/named(_:)``).
    public var chip: String?

    public init(
        name: String, region: String, size: Int, eraseSize: Int, writeSize: Int, erasedValue: UInt8,
        controller: String = "nvmc", base: Int = 0, pageEraseMicroseconds: Int = 0, wordWriteMicroseconds: Int = 0,
        chip: String? = nil
    ) {
        self.chip = chip
        self.controller = controller
        self.base = base
        self.name = name
        self.region = region
        self.size = size
        self.eraseSize = eraseSize
        self.writeSize = writeSize
        self.erasedValue = erasedValue
        self.pageEraseMicroseconds = pageEraseMicroseconds
        self.wordWriteMicroseconds = wordWriteMicroseconds
    }
}

/// The console UART that carries SMP.
public struct ConsoleDescription: Equatable, Sendable {
    public var uart: String
    public var baud: Int
    /// Pins as the descriptor names them (`P0.06`); nil when not given.
    public var tx: String?
    public var rx: String?
    /// The UART's register base (`base:`), for a console that is not an nRF UART(E) named by
    /// its instance (the MPS2's CMSDK UART0 at 0x40004000); nil when not given.
    public var base: Int?
    public init(uart: String, baud: Int, tx: String? = nil, rx: String? = nil, base: Int? = nil) {
        self.uart = uart
        self.baud = baud
        self.tx = tx
        self.rx = rx
        self.base = base
    }
}

/// A push button (the recovery button: MCUboot's `mcuboot-button0`).
public struct ButtonDescription: Equatable, Sendable {
    public var pin: String
    public var activeLow: Bool
    /// `up`, `down` or `none` (the default).
    public var pull: String
    public init(pin: String, activeLow: Bool, pull: String = "none") {
        self.pin = pin
        self.activeLow = activeLow
        self.pull = pull
    }
}

/// The boot stage's share of the RAM, as its generated linker script reserves it
/// (`boot-stage: {stack: 0x3D00, heap: 0}` in board.yml): the stack at the top of the RAM, and the
/// least RAM to leave between the static data and the stack (the link fails below). Today's
/// firmware has no heap (its allocator traps), so boards reserve none.
public struct BootStageRAM: Equatable, Sendable {
    public var stack: Int
    public var heap: Int

    public init(stack: Int, heap: Int) {
        self.stack = stack
        self.heap = heap
    }

    /// Sized for the nRF52840 and nRF5340 (256 and 512 KiB of RAM): 32 KiB of stack, no heap
    /// (nothing in the boot stage allocates; the runtime's allocator traps).
    public static let standard = BootStageRAM(stack: 0x8000, heap: 0)
}
