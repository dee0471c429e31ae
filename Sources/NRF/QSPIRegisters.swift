/// The nRF QSPI register map (offsets from the peripheral base), identical on nRF52840 and nRF5340
/// except where noted.
///
/// Sources, checked for every offset:
/// - nRF52840: nrfx `mdk/nrf52840.h`, `NRF_QSPI_Type` (`@ 0x...` comments, base `NRF_QSPI_BASE
///   0x40029000UL`);
/// - nRF5340: nrfx `mdk/nrf5340_application.h`, `NRF_QSPI_Type` of `QSPI_NS` (base 0x4002B000;
///   secure alias 0x5002B000 from `QSPI_S`), same offsets plus SUBSCRIBE/PUBLISH, XIPEN,
///   XIP_ENC and DMA_ENC;
/// - cross-check: Apache NuttX `arch/arm/src/nrf52/hardware/nrf52_qspi.h` and
///   `nrf53/hardware/nrf53_qspi.h` (same offsets and bit fields; NuttX names WRITE.SRC/DST the other
///   way round, its comments agree with the MDK: 0x510 is the flash destination).
public enum QSPIRegister: UInt32, Sendable {
    case tasksActivate = 0x000  // TASKS_ACTIVATE
    case tasksReadStart = 0x004  // TASKS_READSTART
    case tasksWriteStart = 0x008  // TASKS_WRITESTART
    case tasksEraseStart = 0x00C  // TASKS_ERASESTART
    case tasksDeactivate = 0x010  // TASKS_DEACTIVATE
    case eventsReady = 0x100  // EVENTS_READY ("generated as a response to any QSPI task"; nRF5340: all but DEACTIVATE)
    case inten = 0x300  // INTEN
    case intenset = 0x304  // INTENSET
    case intenclr = 0x308  // INTENCLR
    case enable = 0x500  // ENABLE
    case readSrc = 0x504  // READ.SRC  flash source address
    case readDst = 0x508  // READ.DST  RAM destination
    case readCnt = 0x50C  // READ.CNT  length
    case writeDst = 0x510  // WRITE.DST flash destination address
    case writeSrc = 0x514  // WRITE.SRC RAM source
    case writeCnt = 0x518  // WRITE.CNT length
    case erasePtr = 0x51C  // ERASE.PTR start address of the block to erase
    case eraseLen = 0x520  // ERASE.LEN 0 = 4 KiB, 1 = 64 KiB, 2 = all
    case pselSCK = 0x524  // PSEL.SCK
    case pselCSN = 0x528  // PSEL.CSN
    case pselIO0 = 0x530  // PSEL.IO0 (0x52C reserved)
    case pselIO1 = 0x534  // PSEL.IO1
    case pselIO2 = 0x538  // PSEL.IO2
    case pselIO3 = 0x53C  // PSEL.IO3
    case xipOffset = 0x540  // XIPOFFSET
    case ifconfig0 = 0x544  // IFCONFIG0
    case xipEnable = 0x54C  // XIPEN (nRF5340 only)
    case ifconfig1 = 0x600  // IFCONFIG1
    case status = 0x604  // STATUS (read-only)
    case dpmdur = 0x614  // DPMDUR
    case addrconf = 0x624  // ADDRCONF
    case cinstrconf = 0x634  // CINSTRCONF
    case cinstrdat0 = 0x638  // CINSTRDAT0
    case cinstrdat1 = 0x63C  // CINSTRDAT1
    case iftiming = 0x640  // IFTIMING (RXDELAY bits 8–10)

    /// nRF5340 only: XIP_ENC (KEY0–3, NONCE0–2, ENABLE) at 0x560–0x57C and DMA_ENC at 0x580–0x59C.
    public static let xipEncryptionRange: ClosedRange<UInt32> = 0x560...0x57C
    public static let dmaEncryptionRange: ClosedRange<UInt32> = 0x580...0x59C
}

/// Bit fields (nrfx `nrf52840_bitfields.h` names; values as in NuttX `nrf52_qspi.h`, which lists
/// them numerically; the nRF52840/nRF5340 product specifications give the same layout).
public enum QSPIField {
    /// ENABLE: 1 enables the peripheral and takes the PSEL pins.
    public static let enableEnabled: UInt32 = 1

    /// ERASE.LEN values.
    public static let eraseLength4KB: UInt32 = 0
    public static let eraseLength64KB: UInt32 = 1
    public static let eraseLengthAll: UInt32 = 2

    /// IFCONFIG0.READOC (bits 0–2): 0 FASTREAD (0x0B), 1 READ2O (0x3B), 2 READ2IO (0xBB),
    /// 3 READ4O (0x6B), 4 READ4IO (0xEB).
    public static let ifconfig0ReadOCMask: UInt32 = 0x7
    /// IFCONFIG0.WRITEOC (bits 3–5): 0 PP (0x02), 1 PP2O (0xA2), 2 PP4O (0x32), 3 PP4IO (0x38).
    public static let ifconfig0WriteOCShift: UInt32 = 3
    public static let ifconfig0WriteOCMask: UInt32 = 0x7 << 3
    /// IFCONFIG0.ADDRMODE (bit 6): 0 = 24-bit, 1 = 32-bit.
    public static let ifconfig0AddrMode32: UInt32 = 1 << 6
    /// IFCONFIG0.DPMENABLE (bit 7): let the peripheral send DP/RDP itself (unused here).
    public static let ifconfig0DPMEnable: UInt32 = 1 << 7
    /// IFCONFIG0.PPSIZE (bit 12): 0 = 256-byte pages, 1 = 512-byte pages.
    public static let ifconfig0PageSize512: UInt32 = 1 << 12

    /// IFCONFIG1.SCKDELAY (bits 0–7): CSN timing in 62.5 ns (16 MHz) periods.
    public static let ifconfig1SCKDelayMask: UInt32 = 0xFF
    /// IFCONFIG1.DPMEN (bit 24): 1 = enter deep power-down (with IFCONFIG0.DPMENABLE).
    public static let ifconfig1DPMEnter: UInt32 = 1 << 24
    /// IFCONFIG1.SPIMODE (bit 25): 0 = mode 0, 1 = mode 3.
    public static let ifconfig1SPIMode3: UInt32 = 1 << 25
    /// IFCONFIG1.SCKFREQ (bits 28–31): SCK = base clock / (SCKFREQ + 1).
    public static let ifconfig1SCKFreqShift: UInt32 = 28
    public static let ifconfig1SCKFreqMask: UInt32 = 0xF << 28

    /// STATUS.DPM (bit 2), STATUS.READY (bit 3: 1 = ready), STATUS.SREG (bits 24–31: the flash's
    /// status register as last read by the peripheral).
    public static let statusDPM: UInt32 = 1 << 2
    public static let statusReady: UInt32 = 1 << 3
    public static let statusSREGShift: UInt32 = 24

    /// CINSTRCONF: OPCODE bits 0–7, LENGTH bits 8–11 (1 = opcode only … 9 = opcode + 8 bytes),
    /// LIO2 bit 12 / LIO3 bit 13 (levels of IO2/IO3 = WP#/HOLD# during the instruction), WIPWAIT
    /// bit 14, WREN bit 15 (send WREN first), LFEN bit 16 / LFSTOP bit 17 (long frame).
    public static let cinstrLengthShift: UInt32 = 8
    public static let cinstrLIO2: UInt32 = 1 << 12
    public static let cinstrLIO3: UInt32 = 1 << 13
    public static let cinstrWIPWait: UInt32 = 1 << 14
    public static let cinstrWREN: UInt32 = 1 << 15
    public static let cinstrLongFrameEnable: UInt32 = 1 << 16
    public static let cinstrLongFrameStop: UInt32 = 1 << 17

    /// PSEL: pin bits 0–4, port bit 5, CONNECT bit 31 (1 = disconnected).
    public static let pselDisconnected: UInt32 = 1 << 31
}
