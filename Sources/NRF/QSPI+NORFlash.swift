import FlashKit

/// The word-aligned staging buffer EasyDMA reads from and writes to (on the stack).
typealias QSPIBounceBuffer = InlineArray<64, UInt32>

extension QSPI {
    /// Reads any range: the word-aligned window around it goes through the bounce buffer in
    /// ≤ 256-byte READ tasks, and only the requested bytes are copied out.
    public func read(at offset: Int, into buffer: inout MutableSpan<UInt8>) throws(FlashError) {
        let count = buffer.count
        try checkBounds(offset: offset, count: count)
        guard count > 0 else { return }
        // size is a multiple of 4, so the rounded-up end stays on the chip.
        let windowStart = offset & ~3
        let windowEnd = (offset + count + 3) & ~3
        var bounce = QSPIBounceBuffer(repeating: 0)
        var flash = windowStart
        var copied = 0
        while flash < windowEnd {
            let chunk = min(Self.bounceBufferSize, windowEnd - flash)
            let done = withUnsafeMutableBytes(of: &bounce) { raw in
                bus.withDMA(UnsafeMutableRawBufferPointer(rebasing: raw[0..<chunk])) { ram in
                    store(.readSrc, UInt32(truncatingIfNeeded: flash))
                    store(.readDst, ram)
                    store(.readCnt, UInt32(truncatingIfNeeded: chunk))
                    return run(.tasksReadStart)
                }
            }
            guard done else { throw .timeout }
            let skip = flash < offset ? offset - flash : 0
            let take = min(chunk - skip, count - copied)
            for i in 0..<take {
                let byte = skip + i
                let word = bounce[byte >> 2].littleEndian
                buffer[copied + i] = UInt8(truncatingIfNeeded: word >> (UInt32(byte & 3) * 8))
            }
            copied += take
            flash += chunk
        }
    }

    /// Programs `bytes` (offset and length multiples of 4): ≤ 256-byte WRITE tasks that never cross
    /// a page, each followed by a bounded WIP poll (page program maximum).
    public func write(at offset: Int, _ bytes: Span<UInt8>) throws(FlashError) {
        let count = bytes.count
        try checkWrite(offset: offset, count: count)
        var bounce = QSPIBounceBuffer(repeating: 0)
        var done = 0
        while done < count {
            let flash = offset + done
            let toPageEnd = chip.pageSize - flash % chip.pageSize
            let chunk = min(Self.bounceBufferSize, toPageEnd, count - done)
            for w in 0..<(chunk >> 2) {
                let b = done + w * 4
                let word = UInt32(bytes[b]) | UInt32(bytes[b + 1]) << 8 | UInt32(bytes[b + 2]) << 16 | UInt32(bytes[b + 3]) << 24
                bounce[w] = word.littleEndian
            }
            let ready = withUnsafeMutableBytes(of: &bounce) { raw in
                bus.withDMA(UnsafeMutableRawBufferPointer(rebasing: raw[0..<chunk])) { ram in
                    store(.writeDst, UInt32(truncatingIfNeeded: flash))
                    store(.writeSrc, ram)
                    store(.writeCnt, UInt32(truncatingIfNeeded: chunk))
                    return run(.tasksWriteStart)
                }
            }
            guard ready else { throw .timeout }
            try waitWhileBusy(maxMicroseconds: chip.timings.pageProgramMax)
            done += chunk
        }
    }

    /// Erases whole sectors: the whole chip in one ERASE (LEN = all) when that is the range, 64 KiB
    /// blocks where aligned and covered, 4 KiB sectors elsewhere; each followed by a bounded WIP
    /// poll (that erase's datasheet maximum).
    public func erase(at offset: Int, count: Int) throws(FlashError) {
        try checkErase(offset: offset, count: count)
        var flash = offset
        while flash < offset + count {
            let kind = chip.nextErase(at: flash, remaining: offset + count - flash)
            let length: UInt32
            switch kind {
            case .chip: length = QSPIField.eraseLengthAll
            case .block64: length = QSPIField.eraseLength64KB
            // The peripheral has no 32 KiB erase; nextErase never asks for one.
            case .sector, .block32: length = QSPIField.eraseLength4KB
            }
            store(.erasePtr, UInt32(truncatingIfNeeded: flash))
            store(.eraseLen, length)
            guard run(.tasksEraseStart) else { throw .timeout }
            try waitWhileBusy(maxMicroseconds: chip.eraseMaxMicroseconds(kind))
            flash += kind == .block32 ? chip.sectorSize : chip.eraseLength(kind)
        }
    }
}
