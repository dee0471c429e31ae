import FlashKit
import NRF
import Testing
@testable import Simulation

/// Register sequences pinned access by access (nRF52840 base 0x40029000 unless stated).
@Suite struct QSPITraceTests {
    static let base: UInt32 = 0x4002_9000
    func st(_ r: QSPIRegister, _ v: UInt32, base: UInt32 = base) -> BusAccess { .store(address: base + r.rawValue, value: v) }
    func ld(_ r: QSPIRegister, _ v: UInt32, base: UInt32 = base) -> BusAccess { .load(address: base + r.rawValue, value: v) }

    /// One custom instruction: clear READY, CINSTRCONF (LIO2|LIO3 = 0x3000), READY seen.
    func cinstr(_ opcode: UInt8, length: UInt32, base: UInt32 = base) -> [BusAccess] {
        [st(.eventsReady, 0, base: base), st(.cinstrconf, 0x3000 | length << 8 | UInt32(opcode), base: base), ld(.eventsReady, 1, base: base)]
    }

    func rdsr(_ status: UInt32, base: UInt32 = base) -> [BusAccess] {
        cinstr(0x05, length: 2, base: base) + [ld(.cinstrdat0, status, base: base)]
    }

    @Test func activateWithQuadAlreadyEnabled() throws {
        let rig = try QSPIRig()
        rig.chip.setStatusBits(0x40)
        rig.bus.tracing = true
        try rig.flash.activate()
        let expected: [BusAccess] =
            [
                st(.ifconfig0, 0x1C),  // READOC read4io (4) | WRITEOC pp4io (3 << 3), 24-bit, 256 B pages
                st(.ifconfig1, 0x3000_0005),  // SCKFREQ 3: 32 MHz / 4 = 8 MHz; SCKDELAY 5; mode 0
                st(.enable, 1),
                st(.eventsReady, 0), st(.tasksActivate, 1), ld(.eventsReady, 1),
            ]
            + cinstr(0xAB, length: 1)  // RES: out of deep power-down, in case
            + cinstr(0x9F, length: 4) + [ld(.cinstrdat0, 0x0017_28C2)]  // RDID C2 28 17
            // QE already set: nothing to write. The upper bytes still hold RDID's answer (the
            // model keeps CINSTRDAT bytes beyond the transfer); the driver uses byte 0 only.
            + rdsr(0x0017_2840)
        #expect(rig.bus.trace == expected)
        #expect(rig.faults.isEmpty)
    }

    @Test func activateSetsQuadEnable() throws {
        let rig = try QSPIRig()
        rig.bus.tracing = true
        let start = rig.bus.clock.nanoseconds
        try rig.flash.activate()
        let trace = rig.bus.trace
        let head: [BusAccess] =
            [st(.ifconfig0, 0x1C), st(.ifconfig1, 0x3000_0005), st(.enable, 1), st(.eventsReady, 0), st(.tasksActivate, 1), ld(.eventsReady, 1)]
            + cinstr(0xAB, length: 1) + cinstr(0x9F, length: 4) + [ld(.cinstrdat0, 0x0017_28C2)]
            + rdsr(0x0017_2800)
            + cinstr(0x06, length: 1)  // WREN
            + [st(.cinstrdat0, 0x40)] + cinstr(0x01, length: 2)  // WRSR 0x40 (QE)
            + rdsr(0x43)  // WIP | WEL | QE while the register is written
        #expect(Array(trace.prefix(head.count)) == head)
        // Then RDSR polls until WIP clears, and one more RDSR to verify QE.
        let polls = Array(trace.dropFirst(head.count))
        #expect(polls.count % 4 == 0)
        #expect(Array(polls.suffix(8)) == rdsr(0x40) + rdsr(0x40))
        #expect(rig.chip.isQuadEnabled)
        // About the modelled WRSR time (10 ms).
        let elapsed = rig.bus.clock.nanoseconds - start
        #expect(elapsed >= 10_000_000 && elapsed < 10_100_000, "\(elapsed) ns")
        #expect(rig.faults.isEmpty)
    }

    @Test func jedecRead() throws {
        let rig = try QSPIRig.activated()
        rig.bus.tracing = true
        #expect(try rig.flash.readJEDECID() == SPINORJEDECID(manufacturer: 0xC2, memoryType: 0x28, capacity: 0x17))
        #expect(rig.bus.trace == cinstr(0x9F, length: 4) + [ld(.cinstrdat0, 0x0017_28C2)])
        #expect(rig.faults.isEmpty)
    }

    @Test func sectorErase() throws {
        let rig = try QSPIRig.activated()
        rig.bus.tracing = true
        try rig.flash.erase(at: 0x3000, count: 0x1000)
        let trace = rig.bus.trace
        let head: [BusAccess] = [
            st(.erasePtr, 0x3000), st(.eraseLen, 0),  // LEN 0 = 4 KiB
            st(.eventsReady, 0), st(.tasksEraseStart, 1), ld(.eventsReady, 1),
        ]
        #expect(Array(trace.prefix(head.count)) == head)
        let polls = Array(trace.dropFirst(head.count))
        // RDSR until WIP clears: busy polls show WIP|WEL|QE, the last one QE only.
        #expect(polls.count % 4 == 0 && polls.count > 4)
        #expect(Array(polls.prefix(4)) == rdsr(0x43))
        #expect(Array(polls.suffix(4)) == rdsr(0x40))
        #expect(rig.model.eraseLengths == [0])
        #expect(rig.faults.isEmpty)
    }

    @Test func write() throws {
        let rig = try QSPIRig.activated()
        rig.bus.tracing = true
        try rig.flash.write(at: 0x1000, bytes: [1, 2, 3, 4, 5, 6, 7, 8])
        let trace = rig.bus.trace
        let head: [BusAccess] = [
            st(.writeDst, 0x1000),
            st(.writeSrc, 0x2000_0000),  // the bounce buffer, lent to EasyDMA
            st(.writeCnt, 8),
            st(.eventsReady, 0), st(.tasksWriteStart, 1), ld(.eventsReady, 1),
        ]
        #expect(Array(trace.prefix(head.count)) == head)
        let polls = Array(trace.dropFirst(head.count))
        #expect(Array(polls.prefix(4)) == rdsr(0x43))
        #expect(Array(polls.suffix(4)) == rdsr(0x40))
        #expect(rig.chip.array.bytes(in: 0x1000..<0x1008) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(rig.faults.isEmpty)
    }

    @Test func readAtOddOffsetReadsTheWordAlignedWindow() throws {
        let rig = try QSPIRig.activated()
        try rig.chip.array.load(Array(0..<16), at: 0x2000)
        rig.bus.tracing = true
        #expect(try rig.flash.read(at: 0x2003, count: 6) == [3, 4, 5, 6, 7, 8])
        #expect(rig.bus.trace == [
            st(.readSrc, 0x2000), st(.readDst, 0x2000_0000), st(.readCnt, 12),  // 0x2000..<0x200C covers 0x2003..<0x2009
            st(.eventsReady, 0), st(.tasksReadStart, 1), ld(.eventsReady, 1),
        ])
        #expect(rig.faults.isEmpty)
    }

    @Test func nrf5340SecureInstance() throws {
        let base: UInt32 = 0x5002_B000
        let rig = try QSPIRig(variant: .nrf5340Secure)
        rig.chip.setStatusBits(0x40)
        rig.bus.tracing = true
        try rig.flash.activate()
        #expect(Array(rig.bus.trace.prefix(3)) == [
            st(.ifconfig0, 0x1C, base: base),
            st(.ifconfig1, 0xB000_0005, base: base),  // SCKFREQ 11: 96 MHz / 12 = 8 MHz
            st(.enable, 1, base: base),
        ])
        #expect(rig.flash.sckHz == 8_000_000)
        #expect(rig.faults.isEmpty)
    }

    @Test func pinsAreWrittenBeforeEnable() throws {
        var configuration = QSPIConfiguration()
        configuration.pins = .nrf52840DK
        let rig = try QSPIRig(configuration: configuration)
        rig.chip.setStatusBits(0x40)
        rig.bus.tracing = true
        try rig.flash.activate()
        #expect(Array(rig.bus.trace.prefix(9)) == [
            st(.pselSCK, 19), st(.pselCSN, 17), st(.pselIO0, 20), st(.pselIO1, 21), st(.pselIO2, 22), st(.pselIO3, 23),
            st(.ifconfig0, 0x1C), st(.ifconfig1, 0x3000_0005), st(.enable, 1),
        ])
        #expect(rig.faults.isEmpty)
    }
}
