import Foundation
import LifeboatHost
import Simulation
import Testing

/// The firmware's generated board constants and memory maps are the descriptors' (one source of
/// truth): regenerated here, they must equal the checked-in files byte for byte. After changing
/// `Boards/` or `Layouts/`, run tools/gen-firmware-config.
@Suite struct FirmwareConfigTests {
    let loader = DescriptorLoader(root: packageRoot)

    @Test(arguments: ["nrf52840dk", "nrf5340dk", "qemu-microbit", "qemu-mps2-an386"])
    func checkedInFilesMatchTheDescriptors(board: String) throws {
        let config = try FirmwareConfig(board: try loader.loadBoard(board), layout: try loader.loadLayout(board))
        let firmware = packageRoot.appendingPathComponent("Firmware/Sources")
        for (path, expected) in [
            ("Boards/\(board)/BoardConfig.swift", config.swiftConstants),
            ("Boards/\(board)/boot.ld", config.bootLinkerScript),
            ("SampleApps/\(board)/app.ld", config.appLinkerScript),
        ] {
            let checkedIn = try String(contentsOf: firmware.appendingPathComponent(path), encoding: .utf8)
            #expect(checkedIn == expected, "Firmware/Sources/\(path) drifted from Boards/ and Layouts/: run tools/gen-firmware-config")
        }
    }

    /// The mps2 board: code memory as NOR flash (`controller: memory`), a CMSDK UART console
    /// named by its base address rather than by pins, no button and no retained register.
    @Test func mps2Values() throws {
        let config = try FirmwareConfig(board: try loader.loadBoard("qemu-mps2-an386"), layout: try loader.loadLayout("qemu-mps2-an386"))
        let swift = config.swiftConstants
        for line in [
            "static let flashSize = 0x100000", "static let eraseSize = 0x1000", "static let primaryOffset = 0x20000",
            "static let secondaryOffset = 0x90000", "static let consoleBase: UInt32 = 0x40004000", "static let consoleBaud = 115200",
        ] {
            #expect(swift.contains(line), "\(line)")
        }
        #expect(!swift.contains("consoleTX") && !swift.contains("button") && !swift.contains("gpregret"))
        #expect(config.bootLinkerScript.contains("PARTITION_SIZE = 0x20000;"))
        #expect(config.bootLinkerScript.contains("RETAINED (rw) : ORIGIN = 0x2003FF00, LENGTH = 0x100"))
    }

    /// The values themselves, against board.yml and the layout.
    @Test func nrf52840dkValues() throws {
        let config = try FirmwareConfig(board: try loader.loadBoard("nrf52840dk"), layout: try loader.loadLayout("nrf52840dk"))
        let swift = config.swiftConstants
        for line in [
            "static let primaryOffset = 0xC000", "static let primarySize = 0x76000", "static let secondaryOffset = 0x82000",
            "static let consoleTX = (port: UInt8(0), pin: UInt8(6))", "static let buttonPin = 11",
            "static let buttonPullUp = true", "static let gpregret: UInt32 = 0x4000051C",
        ] {
            #expect(swift.contains(line), "\(line)")
        }
        #expect(config.bootLinkerScript.contains("PARTITION_SIZE = 0xC000;"))
        #expect(config.appLinkerScript.contains("CODE (rx)     : ORIGIN = 0xC200, LENGTH = 0x75E00"))
    }

    /// The micro:bit's 16 KiB: the boot stage's stack and heap come from board.yml's `boot-stage:`,
    /// the slots from its layout, the console pins from the legacy UART's.
    @Test func qemuMicrobitValues() throws {
        let config = try FirmwareConfig(board: try loader.loadBoard("qemu-microbit"), layout: try loader.loadLayout("qemu-microbit"))
        for line in [
            "static let eraseSize = 0x400", "static let primaryOffset = 0x18000", "static let secondaryOffset = 0x2C000",
            "static let secondarySize = 0x14000", "static let consoleTX = (port: UInt8(0), pin: UInt8(24))",
            "static let buttonPin = 17", "static let gpregret: UInt32 = 0x4000051C",
        ] {
            #expect(config.swiftConstants.contains(line), "\(line)")
        }
        for line in ["RAM (rwx)     : ORIGIN = 0x20000000, LENGTH = 0x3F00", "STACK_SIZE = 0x3D00;", "HEAP_MIN = 0x0;", "PARTITION_SIZE = 0x18000;"] {
            #expect(config.bootLinkerScript.contains(line), "\(line)")
        }
        #expect(config.appLinkerScript.contains("CODE (rx)     : ORIGIN = 0x18200, LENGTH = 0x13E00"))
    }

    @Test func aLayoutWithoutABootPartitionIsRefused() throws {
        var layout = try loader.loadLayout("nrf52840dk")
        layout.partitions.removeAll { $0.name == "mcuboot" }
        #expect {
            try FirmwareConfig(board: try loader.loadBoard("nrf52840dk"), layout: layout)
        } throws: { "\($0)".contains("no `mcuboot` partition") }
    }
}
