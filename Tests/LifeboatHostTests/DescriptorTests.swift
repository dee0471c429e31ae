import Foundation
import LifeboatHost
import Recovery
import Simulation
import Testing

@Suite struct DescriptorTests {
    let loader = DescriptorLoader(root: packageRoot)

    @Test func nrf52840dkBoard() throws {
        let board = try loader.loadBoard("nrf52840dk")
        #expect(board.name == "nrf52840dk")
        #expect(board.soc == "nRF52840")
        let flash = try #require(board.device(forRegion: "flash_primary"))
        #expect(flash.name == "internal")
        #expect(flash.size == 0x100000)
        #expect(flash.eraseSize == 0x1000)
        #expect(flash.writeSize == 4)
        #expect(flash.erasedValue == 0xFF)
        #expect(flash.pageEraseMicroseconds == 85_000)
        #expect(flash.wordWriteMicroseconds == 41)
        #expect(board.console.baud == 115_200)
        #expect(board.recoveryButton == ButtonDescription(pin: "P0.11", activeLow: true, pull: "up"))
        #expect(board.console.tx == "P0.06" && board.console.rx == "P0.08")
        #expect(board.ram == 0x2000_0000..<0x2004_0000)
        #expect(board.retainedRegisters == ["gpregret": 0x4000_051C])
        #expect(board.recoveryAdapter == AdapterWiring(resetLine: "rts", bootLine: "dtr"))
    }

    /// `recovery-adapter:` names lines as --reset-line / --boot-line take them; anything else is
    /// refused at load, with the field.
    @Test(arguments: [
        ("{reset-line: cbus0, boot-line: '!cbus1'}", nil),
        ("{reset-line: rts}", "recovery-adapter.boot-line: expected a string"),
        ("{reset-line: cts, boot-line: dtr}", "recovery-adapter.reset-line: 'cts' is not a control line"),
        ("rts", "recovery-adapter: expected a mapping"),
    ] as [(String, String?)])
    func recoveryAdapterWiring(wiring: String, message: String?) throws {
        let yaml = """
            name: wired
            flash:
              internal: {region: flash_primary, size: 0x40000, erase-size: 0x400, write-size: 4, erased-value: 0xff}
            recovery-adapter: \(wiring)
            """
        if let message {
            #expect {
                try DescriptorLoader.parseBoard(yaml: yaml, path: "wired.yml")
            } throws: { error in
                "\(error)".contains(message)
            }
        } else {
            let board = try DescriptorLoader.parseBoard(yaml: yaml, path: "wired.yml")
            #expect(board.recoveryAdapter == AdapterWiring(resetLine: "cbus0", bootLine: "!cbus1"))
        }
    }

    /// `cpu-clock-hz`: the shipped boards' clocks, 64 MHz when a descriptor does not say, and a
    /// value outside 1 MHz…1 GHz refused with the field named.
    @Test func cpuClock() throws {
        #expect(try loader.loadBoard("nrf52840dk").cpuClockHz == 64_000_000)
        #expect(try loader.loadBoard("qemu-microbit").cpuClockHz == 16_000_000)
        let base = """
            name: clocked
            flash:
              internal: {region: flash_primary, size: 0x40000, erase-size: 0x400, write-size: 4, erased-value: 0xff}
            """
        #expect(try DescriptorLoader.parseBoard(yaml: base, path: "c.yml").cpuClockHz == 64_000_000)
        #expect(try DescriptorLoader.parseBoard(yaml: base + "\ncpu-clock-hz: 128_000_000", path: "c.yml").cpuClockHz == 128_000_000)
        #expect {
            try DescriptorLoader.parseBoard(yaml: base + "\ncpu-clock-hz: 5", path: "c.yml")
        } throws: { error in
            "\(error)".contains("cpu-clock-hz must be 1 MHz")
        }
    }

    /// The armv6m emulator board: nRF51822 geometry (1 KiB pages), the legacy UART's pins, button A,
    /// and the boot stage's RAM budget for 16 KiB; the DKs keep the standard one.
    @Test func qemuMicrobitBoard() throws {
        let board = try loader.loadBoard("qemu-microbit")
        #expect(board.soc == "nRF51822")
        let flash = try #require(board.device(forRegion: "flash_primary"))
        #expect(flash.base == 0 && flash.size == 0x40000 && flash.eraseSize == 0x400 && flash.writeSize == 4)
        #expect(board.ram == 0x2000_0000..<0x2000_4000)
        #expect(board.console.uart == "uart0" && board.console.tx == "P0.24" && board.console.rx == "P0.25")
        #expect(board.recoveryButton == ButtonDescription(pin: "P0.17", activeLow: true, pull: "up"))
        #expect(board.retainedRegisters == ["gpregret": 0x4000_051C])
        #expect(board.bootStageRAM == BootStageRAM(stack: 0x3D00, heap: 0))
        #expect(try loader.loadBoard("nrf52840dk").bootStageRAM == .standard)
        // The simulator drives it through the NVMC driver's nRF51 variant.
        let layout = try loader.loadLayout("qemu-microbit")
        _ = try SimulatedBoard(board: board, layout: layout, configuration: RecoveryConfiguration(policy: .slotMapping), backend: .drivers)
    }

    @Test(arguments: [
        ("{stack: 0x3000}", "boot-stage.heap: expected an integer"),
        ("{stack: 0, heap: 0x800}", "boot-stage: the stack must be > 0"),
        ("{stack: 0x3001, heap: 0x800}", "multiples of 8"),
        ("{stack: 0x3000, heap: 0x1800}", "boot-stage: stack + heap (0x4800) is more than the RAM (0x4000)"),
        ("0x3000", "boot-stage: expected a mapping"),
    ])
    func brokenBootStageBudgetIsRefused(budget: String, message: String) {
        let yaml = """
            name: small
            ram: {base: 0x20000000, size: 0x4000}
            flash:
              internal: {region: flash_primary, size: 0x40000, erase-size: 0x400, write-size: 4, erased-value: 0xff}
            boot-stage: \(budget)
            """
        #expect {
            try DescriptorLoader.parseBoard(yaml: yaml, path: "small.yml")
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func nrf52840dkLayoutUsesPartitionManagerNames() throws {
        let layout = try loader.loadLayout("nrf52840dk")
        #expect(layout.partition(named: "mcuboot").map { [$0.address, $0.size] } == [0x0, 0xC000])
        #expect(layout.partition(named: "mcuboot_primary").map { [$0.address, $0.size] } == [0xC000, 0x76000])
        #expect(layout.partition(named: "mcuboot_secondary").map { [$0.address, $0.size] } == [0x82000, 0x76000])
        #expect(layout.partition(named: "settings_storage").map { [$0.address, $0.size] } == [0xF8000, 0x8000])
        #expect(layout.partition(named: "mcuboot_primary")?.span == ["mcuboot_pad", "app"])
        #expect(layout.imageCount == 1)
        #expect(layout.slot(image: 0, slot: 1)?.name == "mcuboot_secondary")
    }

    @Test func everyBoardAndLayoutLoads() throws {
        #expect(loader.boardNames().contains("nrf52840dk"))
        for name in loader.boardNames() { _ = try loader.loadBoard(name) }
        for name in loader.layoutNames() { #expect(try loader.loadLayout(name).imageCount >= 1) }
    }

    @Test func unknownBoardNamesTheKnownOnes() {
        #expect {
            try loader.loadBoard("nrf9999dk")
        } throws: { error in
            "\(error)".contains("no board named 'nrf9999dk'") && "\(error)".contains("nrf52840dk")
        }
    }

    @Test(arguments: [
        ("not: [valid", "not valid YAML"),
        ("mcuboot:\n  size: 0xc000\n", "mcuboot.address: expected an integer"),
        ("mcuboot:\n  address: 0x0\n  size: 0xzz\n", "'0xzz' is not an integer"),
        ("mcuboot:\n  address: 0x0\n  end_address: 0x8000\n  size: 0xc000\n", "end_address 0x8000 is not address + size (0xc000)"),
        ("mcuboot:\n  address: 0x0\n  size: 0\n", "size must be > 0"),
        ("- a\n- b\n", "layout: expected a mapping"),
        // Hostile numbers: refused before any arithmetic (these used to overflow and trap).
        ("mcuboot:\n  address: 0x7ffffffffffffff0\n  size: 0x100\n", "mcuboot.address: 0x7ffffffffffffff0 is outside the 32-bit address space"),
        ("mcuboot:\n  address: -16\n  end_address: 9223372036854775807\n", "mcuboot.address: -0x10 is outside the 32-bit address space"),
        ("mcuboot:\n  address: 0xfffff000\n  size: 0x2000\n", "mcuboot: 0xfffff000 + 0x2000 ends past the 32-bit address space"),
        ("mcuboot:\n  address: 0x1000\n  end_address: 0x800\n", "mcuboot: size must be > 0"),
    ])
    func brokenLayoutsAreRefusedWithTheField(yaml: String, message: String) {
        #expect {
            try DescriptorLoader.parseLayout(yaml: yaml, name: "broken", path: "broken.yml")
        } throws: { error in
            "\(error)".hasPrefix("broken.yml: ") && "\(error)".contains(message)
        }
    }

    /// The integer forms descriptors use, and what is not one (the loader reads every value
    /// itself: layouts are composed with Yams' basic resolver).
    @Test(arguments: [
        ("0", 0), ("4096", 4096), ("0x1000", 0x1000), ("0X1000", 0x1000), ("0xAbCd", 0xabcd),
        ("0x10_0000", 0x10_0000), ("1_024", 1024), ("-16", -16), ("+7", 7), ("-0x10", -16),
        ("9223372036854775807", Int.max), ("-9223372036854775808", Int.min),
    ])
    func integersParse(text: String, value: Int) {
        #expect(DescriptorLoader.parseInteger(text) == value)
    }

    @Test(arguments: ["", "_", "-", "0x", "0x_", "0xzz", "12a", "0x-5", "0b101", "1 2", "١٢", "9223372036854775808", "0x8000000000000000"])
    func nonIntegersAreRefused(text: String) {
        #expect(DescriptorLoader.parseInteger(text) == nil)
    }

    @Test func layoutAcceptsEndAddressWithoutSize() throws {
        let layout = try DescriptorLoader.parseLayout(
            yaml: "mcuboot_primary:\n  address: 0x10000\n  end_address: 0x20000\n  region: external_flash\n", name: "x", path: "x.yml")
        #expect(layout.partitions == [Partition(name: "mcuboot_primary", address: 0x10000, size: 0x10000, region: "external_flash")])
    }

    /// Board geometry that no flash has: refused with the field named.
    @Test(arguments: [
        ("erase-size", "3000", "flash.internal.erase-size must be a power of two, not 3000"),
        ("erased-value", "0x1ff", "flash.internal.erased-value must be 0x00 or 0xff, not 511"),
        ("size", "0x7fffffffffffffff", "flash.internal.size: 0x7fffffffffffffff is outside the 32-bit address space"),
    ])
    func brokenBoardGeometryIsRefused(field: String, value: String, message: String) {
        var fields = ["size": "0x100000", "erase-size": "0x1000", "write-size": "4", "erased-value": "0xff"]
        fields[field] = value
        let yaml = "name: odd\nflash:\n  internal:\n    region: flash_primary\n"
            + fields.sorted { $0.key < $1.key }.map { "    \($0.key): \($0.value)\n" }.joined()
        #expect {
            try DescriptorLoader.parseBoard(yaml: yaml, path: "odd.yml")
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    /// The external chip comes from board.yml's `chip:`: the DK's MX25R6435F is read and
    /// modelled; an unknown part, or a QSPI device without one, is refused with the known parts.
    @Test func externalChipComesFromTheDescriptor() throws {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("Boards/nrf52840dk/board.yml"), encoding: .utf8)
        let board = try DescriptorLoader.parseBoard(yaml: text, path: "board.yml")
        #expect(board.device(forRegion: "external_flash")?.chip == "MX25R6435F")
        let layout = try loader.loadLayout("nrf52840dk_qspi")
        _ = try SimulatedBoard(board: board, layout: layout, configuration: RecoveryConfiguration(policy: .primaryOnly), backend: .drivers)

        for (replacement, message) in [
            ("chip: W25Q128JV", "no model of the chip 'W25Q128JV' (known: MX25R6435F)"),
            ("", "a qspi device needs `chip:` in board.yml (known: MX25R6435F)"),
        ] {
            let edited = text.replacingOccurrences(of: "chip: MX25R6435F", with: replacement)
            let other = try DescriptorLoader.parseBoard(yaml: edited, path: "board.yml")
            #expect {
                try SimulatedBoard(board: other, layout: layout, configuration: RecoveryConfiguration(policy: .primaryOnly), backend: .drivers)
            } throws: { error in
                "\(error)".contains(message)
            }
        }
    }
}
