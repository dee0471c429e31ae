import Foundation

/// An FTDI adapter found on the USB bus.
public struct FTDIAdapter: Codable, Equatable, Sendable {
    public var vendor: UInt16
    public var product: UInt16
    public var manufacturer: String
    public var description: String
    public var serial: String

    public init(vendor: UInt16, product: UInt16, manufacturer: String, description: String, serial: String) {
        self.vendor = vendor
        self.product = product
        self.manufacturer = manufacturer
        self.description = description
        self.serial = serial
    }

    /// The `--ftdi` selector that opens exactly this adapter.
    public var selector: String {
        String(format: "%04x:%04x", vendor, product) + (serial.isEmpty ? "" : ":" + serial)
    }
}

/// Which adapter `--ftdi` names: `VID:PID[:SERIAL]` (hex, e.g. `0403:6015:DK0001`), or a USB bus
/// path `d:BUS/DEVICE` (e.g. `d:001/004`, as lsusb numbers them).
public struct FTDISelector: Equatable, Sendable, CustomStringConvertible {
    /// libftdi's `ftdi_usb_open_string` form: `i:0x0403:0x6015`, `s:0x0403:0x6015:SERIAL`, `d:001/004`.
    public var openString: String
    public var description: String

    public init(parsing text: String) throws(TransportError) {
        description = text
        if text.hasPrefix("d:") {
            let path = text.dropFirst(2).split(separator: "/")
            guard path.count == 2, path.allSatisfy({ Int($0) != nil }) else {
                throw TransportError("'\(text)' is not a bus path d:BUS/DEVICE (e.g. d:001/004)")
            }
            openString = text
            return
        }
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, let vid = UInt16(parts[0], radix: 16), let pid = UInt16(parts[1], radix: 16) else {
            throw TransportError("'\(text)' is not VID:PID[:SERIAL] in hex (e.g. 0403:6015 or 0403:6015:DK0001); `lifeboat device --ftdi list` shows the adapters")
        }
        openString = parts.count == 3
            ? String(format: "s:0x%04x:0x%04x:", vid, pid) + parts[2]
            : String(format: "i:0x%04x:0x%04x", vid, pid)
    }
}

/// The libftdi calls Lifeboat uses, as a protocol: the real library (``LibFTDI``) or a fake that
/// records what a test needs to pin down (line toggles, bytes, MPSSE commands).
public protocol FTDIDriver: ControlLineDriver {
    /// Adapters with FTDI's vendor id (0x0403) and the common product ids, or `vendor`/`product`.
    func adapters(vendor: UInt16?, product: UInt16?) throws(TransportError) -> [FTDIAdapter]
    func open(_ selector: FTDISelector) throws(TransportError)
    /// UART mode: `baud`, 8N1, no flow control, 2 ms latency.
    func configureUART(baud: Int) throws(TransportError)
    /// `ftdi_set_bitmode`: 0x00 reset to the UART, 0x02 MPSSE.
    func setBitmode(mask: UInt8, mode: UInt8) throws(TransportError)
    func write(_ bytes: [UInt8]) throws(TransportError)
    /// What the adapter has received (possibly nothing); never blocks long.
    func read(max: Int) throws(TransportError) -> [UInt8]
    func close()
}

/// libftdi1, loaded when first needed (`dlopen("libftdi1.so.2")`), so that building and running
/// Lifeboat needs no libftdi on machines without FTDI adapters; on Debian/Ubuntu the library is
/// the package `libftdi1-2` (`libftdi1-dev` brings it too).
public final class LibFTDI: FTDIDriver {
    typealias Context = OpaquePointer
    private struct Functions {
        let new: @convention(c) () -> Context?
        let free: @convention(c) (Context?) -> Void
        let findAll: @convention(c) (Context?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?, Int32, Int32) -> Int32
        let listFree: @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Void
        let getStrings: @convention(c) (Context?, UnsafeMutableRawPointer?, UnsafeMutablePointer<CChar>?, Int32,
                                        UnsafeMutablePointer<CChar>?, Int32, UnsafeMutablePointer<CChar>?, Int32) -> Int32
        let openString: @convention(c) (Context?, UnsafePointer<CChar>?) -> Int32
        let close: @convention(c) (Context?) -> Int32
        let setBaudrate: @convention(c) (Context?, Int32) -> Int32
        let setLineProperty: @convention(c) (Context?, Int32, Int32, Int32) -> Int32
        let setFlowControl: @convention(c) (Context?, Int32) -> Int32
        let setDTR: @convention(c) (Context?, Int32) -> Int32
        let setRTS: @convention(c) (Context?, Int32) -> Int32
        let setLatency: @convention(c) (Context?, UInt8) -> Int32
        let setBitmode: @convention(c) (Context?, UInt8, UInt8) -> Int32
        let readData: @convention(c) (Context?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32
        let writeData: @convention(c) (Context?, UnsafePointer<UInt8>?, Int32) -> Int32
        let errorString: @convention(c) (Context?) -> UnsafePointer<CChar>?
    }

    /// Where the library was found, for reports.
    public let libraryPath: String
    private let functions: Functions
    private let context: Context
    private var isOpen = false

    /// Loads libftdi1 and makes a context. Throws a transport error naming the package when the
    /// library is not installed.
    public init() throws(TransportError) {
        var handle: UnsafeMutableRawPointer?
        var tried: [String] = []
        var path = ""
        for name in ["libftdi1.so.2", "libftdi1.so"] {
            handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)
            if handle != nil { path = name; break }
            tried.append(dlerror().map { String(cString: $0) } ?? name)
        }
        libraryPath = path
        guard let handle else {
            throw TransportError("libftdi1 is not installed (\(tried.first ?? "not found")): apt-get install libftdi1-2")
        }
        func symbol<T>(_ name: String, _ type: T.Type) throws(TransportError) -> T {
            guard let pointer = dlsym(handle, name) else { throw TransportError("libftdi1 has no \(name): too old a version (1.4 or later is needed)") }
            return unsafeBitCast(pointer, to: type)
        }
        functions = Functions(
            new: try symbol("ftdi_new", (@convention(c) () -> Context?).self),
            free: try symbol("ftdi_free", (@convention(c) (Context?) -> Void).self),
            findAll: try symbol("ftdi_usb_find_all", (@convention(c) (Context?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?, Int32, Int32) -> Int32).self),
            listFree: try symbol("ftdi_list_free", (@convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Void).self),
            getStrings: try symbol("ftdi_usb_get_strings", (@convention(c) (Context?, UnsafeMutableRawPointer?, UnsafeMutablePointer<CChar>?, Int32,
                                                                            UnsafeMutablePointer<CChar>?, Int32, UnsafeMutablePointer<CChar>?, Int32) -> Int32).self),
            openString: try symbol("ftdi_usb_open_string", (@convention(c) (Context?, UnsafePointer<CChar>?) -> Int32).self),
            close: try symbol("ftdi_usb_close", (@convention(c) (Context?) -> Int32).self),
            setBaudrate: try symbol("ftdi_set_baudrate", (@convention(c) (Context?, Int32) -> Int32).self),
            setLineProperty: try symbol("ftdi_set_line_property", (@convention(c) (Context?, Int32, Int32, Int32) -> Int32).self),
            setFlowControl: try symbol("ftdi_setflowctrl", (@convention(c) (Context?, Int32) -> Int32).self),
            setDTR: try symbol("ftdi_setdtr", (@convention(c) (Context?, Int32) -> Int32).self),
            setRTS: try symbol("ftdi_setrts", (@convention(c) (Context?, Int32) -> Int32).self),
            setLatency: try symbol("ftdi_set_latency_timer", (@convention(c) (Context?, UInt8) -> Int32).self),
            setBitmode: try symbol("ftdi_set_bitmode", (@convention(c) (Context?, UInt8, UInt8) -> Int32).self),
            readData: try symbol("ftdi_read_data", (@convention(c) (Context?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32).self),
            writeData: try symbol("ftdi_write_data", (@convention(c) (Context?, UnsafePointer<UInt8>?, Int32) -> Int32).self),
            errorString: try symbol("ftdi_get_error_string", (@convention(c) (Context?) -> UnsafePointer<CChar>?).self))
        guard let context = functions.new() else { throw TransportError("ftdi_new failed (libusb could not start)") }
        self.context = context
    }

    deinit {
        close()
        functions.free(context)
    }

    private func check(_ status: Int32, _ what: String) throws(TransportError) {
        guard status >= 0 else {
            let reason = functions.errorString(context).map { String(cString: $0) } ?? "error \(status)"
            throw TransportError("\(what) failed: \(reason) (\(status))")
        }
    }

    /// FTDI's vendor id and the product ids of FT232R/FT2232/FT4232/FT232H/FT-X.
    static let knownProducts: [UInt16] = [0x6001, 0x6010, 0x6011, 0x6014, 0x6015]

    public func adapters(vendor: UInt16?, product: UInt16?) throws(TransportError) -> [FTDIAdapter] {
        let pairs: [(UInt16, UInt16)] = vendor.map { v in [(v, product ?? 0)] } ?? Self.knownProducts.map { (0x0403, $0) }
        var found: [FTDIAdapter] = []
        for (vid, pid) in pairs {
            var list: UnsafeMutableRawPointer?
            let count = functions.findAll(context, &list, Int32(vid), Int32(pid))
            defer { functions.listFree(&list) }
            try check(count, "ftdi_usb_find_all")
            var node = list
            while let current = node {
                // struct ftdi_device_list { struct ftdi_device_list *next; struct libusb_device *dev; }
                let next = current.load(as: UnsafeMutableRawPointer?.self)
                let device = current.load(fromByteOffset: MemoryLayout<UnsafeMutableRawPointer?>.stride, as: UnsafeMutableRawPointer?.self)
                var manufacturer = [CChar](repeating: 0, count: 128)
                var description = [CChar](repeating: 0, count: 128)
                var serial = [CChar](repeating: 0, count: 128)
                let status = functions.getStrings(context, device, &manufacturer, 128, &description, 128, &serial, 128)
                found.append(FTDIAdapter(
                    vendor: vid, product: pid,
                    manufacturer: status >= 0 ? String(cString: manufacturer) : "?",
                    description: status >= 0 ? String(cString: description) : "(no access to the strings: check the udev rules)",
                    serial: status >= 0 ? String(cString: serial) : ""))
                node = next
            }
        }
        return found
    }

    public func open(_ selector: FTDISelector) throws(TransportError) {
        try check(functions.openString(context, selector.openString), "opening FTDI adapter \(selector)")
        isOpen = true
    }

    public func configureUART(baud: Int) throws(TransportError) {
        try check(functions.setBaudrate(context, Int32(baud)), "ftdi_set_baudrate \(baud)")
        try check(functions.setLineProperty(context, 8, 0, 0), "ftdi_set_line_property 8N1")  // BITS_8, STOP_BIT_1, NONE
        try check(functions.setFlowControl(context, 0), "ftdi_setflowctrl none")  // SIO_DISABLE_FLOW_CTRL
        try check(functions.setLatency(context, 2), "ftdi_set_latency_timer 2 ms")
    }

    /// DTR and RTS (`ftdi_setdtr`, `ftdi_setrts`). CBUS pins need the bit-bang state that
    /// ``FTDITransport`` keeps: set them through it.
    public func setLine(_ line: ControlLine, asserted: Bool) throws(TransportError) {
        let status: Int32
        switch line {
        case .dtr: status = functions.setDTR(context, asserted ? 1 : 0)
        case .rts: status = functions.setRTS(context, asserted ? 1 : 0)
        case .cbus0, .cbus1, .cbus2, .cbus3: throw TransportError("\(line.rawValue): CBUS pins are set through the adapter's transport (CBUS bit-bang)")
        }
        try check(status, "setting \(line.rawValue.uppercased())")
    }

    public func setBitmode(mask: UInt8, mode: UInt8) throws(TransportError) {
        try check(functions.setBitmode(context, mask, mode), "ftdi_set_bitmode \(String(format: "0x%02x", mode))")
    }

    public func write(_ bytes: [UInt8]) throws(TransportError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBufferPointer { functions.writeData(context, $0.baseAddress, Int32($0.count)) }
            try check(n, "ftdi_write_data")
            offset += Int(n)
        }
    }

    public func read(max: Int) throws(TransportError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        let n = buffer.withUnsafeMutableBufferPointer { functions.readData(context, $0.baseAddress, Int32(max)) }
        try check(n, "ftdi_read_data")
        return Array(buffer[0..<Int(n)])
    }

    public func close() {
        if isOpen { _ = functions.close(context) }
        isOpen = false
    }
}

/// An SMP link through an FTDI adapter in UART mode, and the adapter's control lines: DTR and
/// RTS, and on an FT232R / FT-X the CBUS pins in bit-bang mode.
public final class FTDITransport: SMPTransport, ControlLineDriver {
    public let driver: FTDIDriver
    public let selector: FTDISelector
    public let baud: Int
    /// Which CBUS pins are driven low now.
    public private(set) var cbus = CBUSBitBang()
    public var endpoint: String { "FTDI \(selector) at \(baud) baud" }

    public init(driver: FTDIDriver, selector: FTDISelector, baud: Int) throws(TransportError) {
        self.driver = driver
        self.selector = selector
        self.baud = baud
        try driver.open(selector)
        try driver.configureUART(baud: baud)
    }

    public func write(_ bytes: [UInt8]) throws { try driver.write(bytes) }

    public func setLine(_ line: ControlLine, asserted: Bool) throws(TransportError) {
        guard let pin = line.cbusPin else { return try driver.setLine(line, asserted: asserted) }
        let mask = cbus.set(pin: pin, asserted: asserted)
        do {
            try driver.setBitmode(mask: mask, mode: CBUSBitBang.mode)
        } catch {
            throw TransportError("\(error.description) (is \(line.rawValue.uppercased()) set to GPIO in the adapter's EEPROM? CBUS bit-bang needs an FT232R or FT-X and CBUS_IOMODE, e.g. with ftdi_eeprom)")
        }
    }

    public func read(timeout: Double) throws -> [UInt8] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let bytes = try driver.read(max: 4096)
            if !bytes.isEmpty || Date() >= deadline { return bytes }
            usleep(1000)
        }
    }
}
