import FlashKit
import NRF
import Testing

/// The chip description and the controller-independent helpers.
@Suite struct SPINORChipTests {
    let chip = SPINORChip.mx25r6435f

    @Test func mx25r6435fDescription() {
        #expect(chip.jedecID == SPINORJEDECID(manufacturer: 0xC2, memoryType: 0x28, capacity: 0x17))
        #expect(chip.size == 8 * 1024 * 1024 && chip.pageSize == 256 && chip.sectorSize == 4096)
        #expect(chip.smallBlockSize == 32768 && chip.blockSize == 65536)
        #expect(chip.hasValidGeometry)
        #expect(chip.quadEnable == .statusRegister(mask: 0x40))
        #expect(chip.timings.sectorEraseTypical == 48_000 && chip.timings.sectorEraseMax == 240_000)
        #expect(chip.opcodes.quadIORead == 0xEB && chip.opcodes.quadPageProgram == 0x38)
    }

    @Test func commands() {
        #expect(chip.readIdentificationCommand == SPINORCommand(opcode: 0x9F, dataCount: 3, expectsResponse: true))
        #expect(chip.readStatusCommand == SPINORCommand(opcode: 0x05, dataCount: 1, expectsResponse: true))
        #expect(chip.writeStatusCommand(0x40) == SPINORCommand(opcode: 0x01, dataCount: 1, payload: 0x40))
        #expect(chip.isBusy(status: 0x41) && !chip.isBusy(status: 0x42))
        #expect(chip.isQuadEnabled(status: 0x40) && !chip.isQuadEnabled(status: 0x3F))
        #expect(SPINORJEDECID(littleEndianWord: 0x0017_28C2) == chip.jedecID)
    }

    @Test(arguments: [
        (0, 8 << 20, SPINOREraseKind.chip), (0, 0x10000, .block64), (0x10000, 0x20000, .block64),
        (0x1000, 0x20000, .sector), (0x10000, 0xF000, .sector),
    ])
    func eraseChoice(offset: Int, remaining: Int, kind: SPINOREraseKind) {
        #expect(chip.nextErase(at: offset, remaining: remaining) == kind)
    }

    @Test(arguments: [
        (UInt32(32_000_000), UInt32(0)), (8_000_000, 3), (7_000_000, 4), (2_000_000, 15), (1_000_000, 15), (64_000_000, 0),
    ])
    func nrf52840SCKDivider(requested: UInt32, field: UInt32) {
        #expect(QSPIVariant.nrf52840.sckFreqField(forHz: requested) == field)
        #expect(QSPIVariant.nrf52840.sckHz(forField: field) <= max(requested, 2_000_000))
    }

    @Test func nrf5340SCKDivider() {
        #expect(QSPIVariant.nrf5340Secure.sckFreqField(forHz: 96_000_000) == 0)
        #expect(QSPIVariant.nrf5340Secure.sckFreqField(forHz: 8_000_000) == 11)
        #expect(QSPIVariant.nrf5340Secure.sckHz(forField: 15) == 6_000_000)
    }
}
