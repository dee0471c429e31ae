/// A partition: a window of `size` bytes starting at `offset` on a ``NORFlash`` device.
///
/// It is itself a `NORFlash`, so code that works on a slot cannot tell it from a whole device, and
/// cannot reach outside it: every range is checked against the area before it is rebased onto the
/// device. The bootloader uses one per slot (MCUboot's `flash_area`).
///
/// ```
///  device  0 ───────────────── offset ───────────── offset+size ──── device.size
///          │      other        │ ███ this area ███ │     other        │
///                              0 ─────────────── size   (area offsets)
/// ```
public struct FlashArea<Device: NORFlash>: NORFlash {
    public let device: Device
    /// Start of the area on the device.
    public let offset: Int
    public let size: Int

    /// Fails with ``FlashError/outOfBounds`` when the area does not fit the device and with
    /// ``FlashError/misaligned`` when it does not start and end on sector boundaries.
    public init(device: Device, offset: Int, size: Int) throws(FlashError) {
        guard offset >= 0, size >= 0, offset <= device.size, size <= device.size - offset else {
            throw .outOfBounds
        }
        guard device.eraseSize > 0, device.writeSize > 0, offset % device.eraseSize == 0, size % device.eraseSize == 0 else { throw .misaligned }
        self.device = device
        self.offset = offset
        self.size = size
    }

    public var eraseSize: Int { device.eraseSize }
    public var writeSize: Int { device.writeSize }
    public var erasedValue: UInt8 { device.erasedValue }
    /// The device's block, when the area starts on a block boundary of the device (so area
    /// offsets that are multiples of it are device block boundaries too); else the sector.
    public var blockEraseSize: Int { offset % device.blockEraseSize == 0 ? device.blockEraseSize : eraseSize }

    public func read(at offset: Int, into buffer: inout MutableSpan<UInt8>) throws(FlashError) {
        try checkBounds(offset: offset, count: buffer.count)
        try device.read(at: self.offset + offset, into: &buffer)
    }

    public func write(at offset: Int, _ bytes: Span<UInt8>) throws(FlashError) {
        try checkWrite(offset: offset, count: bytes.count)
        try device.write(at: self.offset + offset, bytes)
    }

    public func erase(at offset: Int, count: Int) throws(FlashError) {
        try checkErase(offset: offset, count: count)
        try device.erase(at: self.offset + offset, count: count)
    }
}
