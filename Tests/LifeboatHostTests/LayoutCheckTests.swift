import LifeboatHost
import Simulation
import Testing

@Suite struct LayoutCheckTests {
    let loader = DescriptorLoader(root: packageRoot)

    /// Which board each shipped layout is for.
    static let shipped: [(layout: String, board: String)] = [
        ("nrf52840dk", "nrf52840dk"), ("nrf52840dk_qspi", "nrf52840dk"), ("nrf5340dk", "nrf5340dk"),
        ("nrf5340dk_external", "nrf5340dk"), ("nrf5340dk_netcore", "nrf5340dk"), ("nrf52840dk_scratch", "nrf52840dk"),
        ("qemu-microbit", "qemu-microbit"), ("qemu-mps2-an386", "qemu-mps2-an386"),
    ]

    @Test func everyShippedLayoutPasses() throws {
        #expect(Set(loader.layoutNames()) == Set(Self.shipped.map(\.layout)), "a layout in Layouts/ without a board here")
        for (layout, board) in Self.shipped {
            let problems = LayoutChecker(board: try loader.loadBoard(board), layout: try loader.loadLayout(layout)).check()
            #expect(problems.filter { $0.severity == .error }.isEmpty, "\(layout): \(problems)")
        }
    }

    @Test func theNetworkCoreLayoutHasTwoImagesOnThreeDevices() throws {
        let layout = try loader.loadLayout("nrf5340dk_netcore")
        #expect(layout.imageCount == 2)
        #expect(layout.slot(image: 1, slot: 0)?.region == "ram_flash")
        #expect(layout.slot(image: 1, slot: 1)?.region == "external_flash")
        #expect(layout.slot(image: 0, slot: 1).map { [$0.address, $0.size] } == [0, 0xE8000])
    }

    static func check(_ yaml: String, board: String = "nrf52840dk") throws -> [String] {
        let layout = try DescriptorLoader.parseLayout(yaml: yaml, name: "broken", path: "broken.yml")
        let loader = DescriptorLoader(root: packageRoot)
        return LayoutChecker(board: try loader.loadBoard(board), layout: layout).check().map(\.description)
    }

    static let base = """
        mcuboot: {address: 0x0, size: 0xc000, region: flash_primary}
        mcuboot_primary: {address: 0xc000, size: 0x76000, region: flash_primary}
        mcuboot_secondary: {address: 0x82000, size: 0x76000, region: flash_primary}

        """

    @Test func theBaseIsClean() throws {
        #expect(try Self.check(Self.base).isEmpty)
    }

    @Test(arguments: [
        ("storage: {address: 0xf0000, size: 0x10000, region: flash_primary}",
         "error: mcuboot_secondary (0x82000+0x76000) overlaps storage (0xf0000+0x10000)"),
        ("storage: {address: 0xf8000, size: 0x10000, region: flash_primary}",
         "error: storage (0xf8000+0x10000) ends past the internal flash (0x100000 bytes)"),
        ("mcuboot_secondary_1: {address: 0x100, size: 0x1000, region: external_flash}",
         "error: mcuboot_secondary_1 (0x100+0x1000) is not aligned to the 0x1000-byte sectors of external"),
        ("scratch: {address: 0x0, size: 0x1000, region: sram_primary}",
         "error: scratch (0x0+0x1000) is in region 'sram_primary', which is on no flash device of nrf52840dk (regions: flash_primary, external_flash)"),
        ("app: {address: 0xc200, size: 0x100, region: flash_primary, span: [nothing]}",
         "error: app (0xc200+0x100) spans 'nothing', which the layout does not define"),
    ])
    func brokenLayoutsNameThePartition(extra: String, expected: String) throws {
        let problems = try Self.check(Self.base + extra)
        #expect(problems.contains(expected), "\(problems)")
    }

    @Test func slotsAndBootloaderAreChecked() throws {
        let bigSecondary = """
            mcuboot: {address: 0x0, size: 0x8000, region: flash_primary}
            mcuboot_primary: {address: 0x8000, size: 0x70000, region: flash_primary}
            mcuboot_secondary: {address: 0x0, size: 0x80000, region: external_flash}
            """
        let problems = try Self.check(bigSecondary)
        #expect(problems.contains("error: mcuboot_secondary (0x0+0x80000) is larger than mcuboot_primary (0x8000+0x70000): an image that fills it cannot be swapped into the primary slot"))
        #expect(problems.contains("warning: mcuboot (0x0+0x8000) is smaller than 0xc000 (48 KiB), the smallest MCUboot serial-recovery partition in nRF Connect SDK"))

        let misplaced = "mcuboot: {address: 0x1000, size: 0xb000, region: flash_primary}\nmcuboot_primary: {address: 0xc000, size: 0x76000, region: flash_primary}\n"
        #expect(try Self.check(misplaced).contains("error: mcuboot (0x1000+0xb000) must start at 0 of internal flash, where the CPU boots"))
        #expect(try Self.check("mcuboot: {address: 0x0, size: 0xc000, region: flash_primary}\n").contains(
            "error: no mcuboot_primary partition: MCUboot needs at least one image slot"))
    }

    @Test func spansMayOverlapTheirParts() throws {
        let spanning = Self.base + """
            mcuboot_pad: {address: 0xc000, size: 0x200, region: flash_primary}
            app: {address: 0xc200, size: 0x75e00, region: flash_primary}
            mcuboot_primary_app: {address: 0xc200, size: 0x75e00, region: flash_primary, span: [app]}
            """
        let withSpan = spanning.replacingOccurrences(
            of: "mcuboot_primary: {address: 0xc000, size: 0x76000, region: flash_primary}",
            with: "mcuboot_primary: {address: 0xc000, size: 0x76000, region: flash_primary, span: [mcuboot_pad, app]}")
        #expect(try Self.check(withSpan).isEmpty)
        #expect(try Self.check(spanning).contains {
            $0.hasPrefix("error: ") && $0.contains("mcuboot_primary (0xc000+0x76000)") && $0.contains("mcuboot_pad (0xc000+0x200)") && $0.contains("overlaps")
        })
    }

    @Test func theMapHidesPartsInsideASlot() throws {
        let text = LayoutChecker(board: try loader.loadBoard("nrf52840dk"), layout: try loader.loadLayout("nrf52840dk")).render()
        #expect(!text.contains("mcuboot_primary_app"), "mcuboot_primary_app lies inside mcuboot_primary")
        #expect(!text.contains("│ app"), "app is spanned by mcuboot_primary")
        #expect(text.contains("│ mcuboot_primary          472 KiB │ image 0 primary (slot 0); spans mcuboot_pad + app"))
    }

    @Test func theMapShowsEachDevice() throws {
        let text = LayoutChecker(board: try loader.loadBoard("nrf52840dk"), layout: try loader.loadLayout("nrf52840dk_qspi")).render()
        #expect(text.contains("flash_primary: device 'internal', 1 MiB, 4 KiB sectors"))
        #expect(text.contains("external_flash: device 'external', 8 MiB, 4 KiB sectors"))
        #expect(text.contains("│ mcuboot_secondary        928 KiB │ image 0 secondary (slot 1)"))
        #expect(text.contains("  0xe8000   ├"))
    }
}
