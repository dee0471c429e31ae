import FlashKit
import NRF
import Testing
@testable import Simulation

/// The peripheral model refuses and records what hardware would punish.
@Suite struct QSPIModelFaultTests {
    let base: UInt32 = 0x4002_9000
    func at(_ r: QSPIRegister) -> UInt32 { base + r.rawValue }

    @Test func commandsBeforeActivation() throws {
        let rig = try QSPIRig()
        rig.bus.store(at(.cinstrconf), 0x3105)
        #expect(rig.model.driverFaults == [.notEnabled(.cinstrconf)])
        rig.bus.store(at(.enable), 1)
        rig.bus.store(at(.tasksReadStart), 1)
        #expect(rig.model.driverFaults.last == .notActivated(.tasksReadStart))
        #expect(rig.bus.load(at(.eventsReady)) == 1)  // still raised: the driver fails, not hangs
    }

    @Test func misalignedTransfers() throws {
        let rig = try QSPIRig.activated()
        var buffer = [UInt8](repeating: 0, count: 16)
        buffer.withUnsafeMutableBytes { raw in
            rig.bus.withDMA(raw) { ram in
                rig.bus.store(at(.readSrc), 0)
                rig.bus.store(at(.readDst), ram)
                rig.bus.store(at(.readCnt), 6)
                rig.bus.store(at(.tasksReadStart), 1)
                rig.bus.store(at(.readSrc), 2)
                rig.bus.store(at(.readCnt), 8)
                rig.bus.store(at(.tasksReadStart), 1)
                rig.bus.store(at(.readSrc), 0)
                rig.bus.store(at(.readDst), ram + 2)
                rig.bus.store(at(.tasksReadStart), 1)
                rig.bus.store(at(.readDst), ram + 12)
                rig.bus.store(at(.readCnt), 8)  // runs past the lent 16 bytes
                rig.bus.store(at(.tasksReadStart), 1)
            }
        }
        #expect(rig.model.driverFaults == [
            .lengthNotWordMultiple(.tasksReadStart, count: 6),
            .misalignedFlashAddress(.readSrc, address: 2),
            .misalignedRAMAddress(.readDst, address: 0x2000_0002),
            .dmaOutsideLentBuffer(.readDst, address: 0x2000_000C, count: 8),
        ])
        #expect(rig.model.readTasks == 0)
    }

    @Test func dmaWithoutALentBuffer() throws {
        let rig = try QSPIRig.activated()
        rig.bus.store(at(.writeDst), 0)
        rig.bus.store(at(.writeSrc), 0x2000_0000)
        rig.bus.store(at(.writeCnt), 4)
        rig.bus.store(at(.tasksWriteStart), 1)
        #expect(rig.model.driverFaults == [.dmaOutsideLentBuffer(.writeSrc, address: 0x2000_0000, count: 4)])
        #expect(rig.chip.array.writeCount == 0)
    }

    @Test func badEraseAndUnknownRegisters() throws {
        let rig = try QSPIRig.activated()
        rig.bus.store(at(.erasePtr), 0x800)
        rig.bus.store(at(.eraseLen), 0)
        rig.bus.store(at(.tasksEraseStart), 1)
        rig.bus.store(at(.eraseLen), 3)
        rig.bus.store(at(.tasksEraseStart), 1)
        rig.bus.store(at(.erasePtr), 0x1000)
        rig.bus.store(at(.eraseLen), 1)  // 64 KiB needs a 64 KiB-aligned pointer
        rig.bus.store(at(.tasksEraseStart), 1)
        rig.bus.store(base + 0x560, 0)  // XIP_ENC exists only on the nRF5340
        rig.bus.store(at(.xipEnable), 1)
        rig.bus.store(at(.cinstrconf), 0x3005)  // LENGTH 0
        #expect(rig.model.driverFaults == [
            .misalignedFlashAddress(.erasePtr, address: 0x800),
            .invalidEraseLength(3),
            .misalignedFlashAddress(.erasePtr, address: 0x1000),
            .unknownRegister(offset: 0x560, isStore: true),
            .unknownRegister(offset: 0x54C, isStore: true),
            .invalidCustomInstruction(0x3005),
        ])
        #expect(rig.model.eraseTasks == 0)
    }

    @Test func nrf5340HasEncryptionRegisters() throws {
        let rig = try QSPIRig(variant: .nrf5340Secure)
        rig.bus.store(0x5002_B000 + 0x560, 0x1234)
        rig.bus.store(0x5002_B000 + QSPIRegister.xipEnable.rawValue, 0)
        #expect(rig.bus.load(0x5002_B000 + 0x560) == 0x1234)
        #expect(rig.model.driverFaults.isEmpty)
    }

    @Test func statusReportsReadyAndTheFlashStatus() throws {
        let rig = try QSPIRig.activated()
        let status = rig.bus.load(at(.status))
        #expect(status & QSPIField.statusReady != 0)
        #expect(status >> 24 == 0x40)  // SREG: QE
    }
}
