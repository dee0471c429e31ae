import Foundation
import Simulation
import Yams

/// A descriptor that could not be loaded, with the file and the field at fault.
public struct DescriptorError: Error, CustomStringConvertible, Equatable {
    public var path: String
    /// What is wrong. A YAML syntax error is kept as the parser's error and put into words only
    /// when read: its text quotes the offending line, which costs more than the parse itself, and
    /// callers that only try a file (the layout fuzzer, `try?`) never read it.
    public var message: String {
        get {
            switch text {
            case .plain(let message): message
            case .yaml(let error): "not valid YAML: \(error)"
            }
        }
        set { text = .plain(newValue) }
    }
    private var text: Text

    private enum Text {
        case plain(String)
        case yaml(any Error)
    }

    public init(path: String, message: String) {
        self.path = path
        self.text = .plain(message)
    }

    /// A YAML syntax error from the parser, described on demand.
    init(path: String, yaml error: any Error) {
        self.path = path
        self.text = .yaml(error)
    }

    public var description: String { "\(path): \(message)" }

    public static func == (a: DescriptorError, b: DescriptorError) -> Bool { a.path == b.path && a.message == b.message }
}

/// Loads board descriptors (`Boards/<name>/board.yml`) and partition layouts
/// (`Layouts/<name>.yml`, nRF Connect SDK `pm_static.yml` form) at run time.
public struct DescriptorLoader: Sendable {
    /// The folder that holds `Boards/` and `Layouts/`.
    public var root: URL

    public init(root: URL) { self.root = root }

    /// Finds the descriptor root: `$LIFEBOAT_ROOT`, else the first folder holding `Boards/` found
    /// walking up from the working directory, then from the executable's location.
    public static func locate() -> DescriptorLoader? {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["LIFEBOAT_ROOT"] {
            return DescriptorLoader(root: URL(fileURLWithPath: env))
        }
        let starts = [
            URL(fileURLWithPath: fm.currentDirectoryPath),
            URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent(),
        ]
        for start in starts {
            var dir = start.standardizedFileURL
            while true {
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: dir.appendingPathComponent("Boards").path, isDirectory: &isDir), isDir.boolValue {
                    return DescriptorLoader(root: dir)
                }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        return nil
    }

    /// Board names found under `Boards/`.
    public func boardNames() -> [String] {
        let dir = root.appendingPathComponent("Boards")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter {
            FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).appendingPathComponent("board.yml").path)
        }.sorted()
    }

    /// Layout names found under `Layouts/`.
    public func layoutNames() -> [String] {
        let dir = root.appendingPathComponent("Layouts")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".yml") }.map { String($0.dropLast(4)) }.sorted()
    }

    public func boardURL(_ name: String) -> URL {
        root.appendingPathComponent("Boards").appendingPathComponent(name).appendingPathComponent("board.yml")
    }

    /// A layout by name (`Layouts/NAME.yml`) or by path (anything with a `/` or a `.yml` suffix).
    public func layoutURL(_ nameOrPath: String) -> URL {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".yml") || nameOrPath.hasSuffix(".yaml") {
            return URL(fileURLWithPath: nameOrPath)
        }
        return root.appendingPathComponent("Layouts").appendingPathComponent(nameOrPath + ".yml")
    }

    public func loadBoard(_ name: String) throws(DescriptorError) -> BoardDescription {
        let url = boardURL(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            let known = boardNames().joined(separator: ", ")
            throw DescriptorError(path: url.path, message: "no board named '\(name)' (known boards: \(known))")
        }
        return try Self.parseBoard(yaml: try Self.read(url), path: url.path)
    }

    public func loadLayout(_ nameOrPath: String) throws(DescriptorError) -> PartitionLayout {
        let url = layoutURL(nameOrPath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            let known = layoutNames().joined(separator: ", ")
            throw DescriptorError(path: url.path, message: "no layout file (known layouts: \(known))")
        }
        let name = url.deletingPathExtension().lastPathComponent
        return try Self.parseLayout(yaml: try Self.read(url), name: name, path: url.path)
    }

    static func read(_ url: URL) throws(DescriptorError) -> String {
        do { return try String(contentsOf: url, encoding: .utf8) } catch {
            throw DescriptorError(path: url.path, message: "cannot read: \(error.localizedDescription)")
        }
    }

    // MARK: Parsing

    public static func parseBoard(yaml: String, path: String) throws(DescriptorError) -> BoardDescription {
        let root = try mapping(try compose(yaml, path: path), "board", path: path)
        let name = try string(root["name"], "name", path: path)
        guard let flashNode = root["flash"]?.mapping, !flashNode.isEmpty else {
            throw DescriptorError(path: path, message: "flash: a mapping of device name → geometry is required")
        }
        var devices: [FlashDeviceDescription] = []
        for (key, value) in flashNode {
            let deviceName = try string(key, "flash key", path: path)
            let d = try mapping(value, "flash.\(deviceName)", path: path)
            let field = "flash.\(deviceName)"
            let timing = d["timing"]?.mapping
            let erasedValue = try int(d["erased-value"], "\(field).erased-value", path: path)
            guard erasedValue == 0x00 || erasedValue == 0xFF else {
                throw DescriptorError(path: path, message: "\(field).erased-value must be 0x00 or 0xff, not \(erasedValue)")
            }
            let device = FlashDeviceDescription(
                name: deviceName,
                region: try string(d["region"], "\(field).region", path: path),
                size: try address(d["size"], "\(field).size", path: path),
                eraseSize: try address(d["erase-size"], "\(field).erase-size", path: path),
                writeSize: try address(d["write-size"], "\(field).write-size", path: path),
                erasedValue: UInt8(erasedValue),
                controller: d["controller"]?.string ?? "nvmc",
                base: (try? address(d["base"], "", path: path)) ?? 0,
                pageEraseMicroseconds: (try? int(timing?["page-erase-us"], "", path: path)) ?? 0,
                wordWriteMicroseconds: (try? int(timing?["word-write-us"], "", path: path)) ?? 0,
                chip: d["chip"]?.string
            )
            for (label, value) in [("size", device.size), ("erase-size", device.eraseSize), ("write-size", device.writeSize)] {
                guard value > 0, value & (value - 1) == 0 else {
                    throw DescriptorError(path: path, message: "\(field).\(label) must be a power of two, not \(value)")
                }
            }
            guard device.eraseSize % device.writeSize == 0, device.size % device.eraseSize == 0 else {
                throw DescriptorError(path: path, message: "\(field): erase-size must be a multiple of write-size and divide size")
            }
            devices.append(device)
        }
        let console = root["console"]?.mapping
        var button: ButtonDescription?
        if let b = root["recovery-button"]?.mapping {
            button = ButtonDescription(
                pin: try string(b["pin"], "recovery-button.pin", path: path),
                activeLow: (b["active"]?.string ?? "low") == "low",
                pull: b["pull"]?.string ?? "none"
            )
        }
        var ram: Range<Int>?
        if let r = root["ram"]?.mapping {
            let base = try address(r["base"], "ram.base", path: path)
            let size = try address(r["size"], "ram.size", path: path)
            guard size <= (1 << 32) - base else { throw DescriptorError(path: path, message: "ram: base + size is outside the 32-bit address space") }
            ram = base..<(base + size)
        }
        var retained: [String: Int] = [:]
        for (key, value) in root["retained-registers"]?.mapping ?? [:] {
            let register = try string(key, "retained-registers key", path: path)
            retained[register] = try address(value, "retained-registers.\(register)", path: path)
        }
        var bootStageRAM = BootStageRAM.standard
        if let b = root["boot-stage"] {
            let budget = try mapping(b, "boot-stage", path: path)
            bootStageRAM = BootStageRAM(
                stack: try address(budget["stack"], "boot-stage.stack", path: path),
                heap: try address(budget["heap"], "boot-stage.heap", path: path))
            guard bootStageRAM.stack > 0, bootStageRAM.stack % 8 == 0, bootStageRAM.heap % 8 == 0 else {
                throw DescriptorError(path: path, message: "boot-stage: the stack must be > 0, stack and heap multiples of 8 (the AAPCS stack alignment)")
            }
            if let ram, bootStageRAM.stack + bootStageRAM.heap > ram.count {
                throw DescriptorError(path: path, message: "boot-stage: stack + heap (\(hex(bootStageRAM.stack + bootStageRAM.heap))) is more than the RAM (\(hex(ram.count)))")
            }
        }
        var adapter: AdapterWiring?
        if let a = root["recovery-adapter"] {
            let wiring = try mapping(a, "recovery-adapter", path: path)
            adapter = AdapterWiring(
                resetLine: try string(wiring["reset-line"], "recovery-adapter.reset-line", path: path),
                bootLine: try string(wiring["boot-line"], "recovery-adapter.boot-line", path: path))
            for (field, line) in [("reset-line", adapter!.resetLine), ("boot-line", adapter!.bootLine)] {
                do { _ = try PinAssignment(parsing: line) } catch {
                    throw DescriptorError(path: path, message: "recovery-adapter.\(field): \(error.description)")
                }
            }
        }
        var clock = 64_000_000
        if root["cpu-clock-hz"] != nil {
            clock = try int(root["cpu-clock-hz"], "cpu-clock-hz", path: path)
            guard (1_000_000...1_000_000_000).contains(clock) else {
                throw DescriptorError(path: path, message: "cpu-clock-hz must be 1 MHz … 1 GHz, not \(clock)")
            }
        }
        var description = BoardDescription(
            name: name,
            summary: root["description"]?.string ?? name,
            soc: root["soc"]?.string ?? "",
            flash: devices,
            console: ConsoleDescription(
                uart: console?["uart"]?.string ?? "uart0",
                baud: (try? int(console?["baud"], "", path: path)) ?? 115_200,
                tx: console?["tx"]?.string,
                rx: console?["rx"]?.string,
                base: console?["base"] == nil ? nil : try address(console?["base"], "console.base", path: path)
            ),
            recoveryButton: button,
            ram: ram,
            retainedRegisters: retained,
            bootStageRAM: bootStageRAM,
            recoveryAdapter: adapter
        )
        description.cpuClockHz = clock
        return description
    }

    public static func parseLayout(yaml: String, name: String, path: String) throws(DescriptorError) -> PartitionLayout {
        let root = try mapping(try compose(yaml, path: path, resolver: .basic), "layout", path: path)
        var partitions: [Partition] = []
        for (key, value) in root {
            let pname = try string(key, "partition name", path: path)
            let p = try mapping(value, pname, path: path)
            // Every value is checked against the 32-bit address space before any arithmetic, so a
            // hostile file (0x7fffffffffffffff, a negative address) is an error, never an overflow.
            let address = try Self.address(p["address"], "\(pname).address", path: path)
            let size: Int
            if p["size"] != nil {
                size = try Self.address(p["size"], "\(pname).size", path: path)
            } else {
                size = try Self.address(p["end_address"], "\(pname).end_address", path: path) - address
            }
            guard size > 0 else {
                throw DescriptorError(path: path, message: "\(pname): size must be > 0")
            }
            guard address + size <= addressSpace else {
                throw DescriptorError(path: path, message: "\(pname): \(hex(address)) + \(hex(size)) ends past the 32-bit address space")
            }
            if p["end_address"] != nil {
                let end = try Self.address(p["end_address"], "\(pname).end_address", path: path)
                guard end == address + size else {
                    throw DescriptorError(path: path, message: "\(pname): end_address \(hex(end)) is not address + size (\(hex(address + size)))")
                }
            }
            let span = p["span"]?.sequence?.compactMap(\.string) ?? []
            partitions.append(
                Partition(name: pname, address: address, size: size, region: p["region"]?.string ?? "flash_primary", span: span))
        }
        return PartitionLayout(name: name, partitions: partitions)
    }

    // MARK: YAML helpers

    /// `resolver`: `.basic` (every scalar a string) where the loader parses every value itself,
    /// as layouts do (``int(_:_:path:)`` reads decimal and `0x` text): no implicit typing is
    /// needed, and none of Yams' per-scalar regular expressions run.
    static func compose(_ yaml: String, path: String, resolver: Resolver = .default) throws(DescriptorError) -> Node {
        do {
            guard let node = try Yams.compose(yaml: yaml, resolver) else {
                throw DescriptorError(path: path, message: "the file is empty")
            }
            return node
        } catch let error as DescriptorError {
            throw error
        } catch {
            throw DescriptorError(path: path, yaml: error)
        }
    }

    // `field` names the value in an error: built only when there is one (the fuzz target's time
    // went to interpolating names of fields that were fine).

    static func mapping(_ node: Node?, _ field: @autoclosure () -> String, path: String) throws(DescriptorError) -> Node.Mapping {
        guard let m = node?.mapping else { throw DescriptorError(path: path, message: "\(field()): expected a mapping") }
        return m
    }

    static func string(_ node: Node?, _ field: @autoclosure () -> String, path: String) throws(DescriptorError) -> String {
        guard let s = node?.string else { throw DescriptorError(path: path, message: "\(field()): expected a string") }
        return s
    }

    /// Integers in decimal or `0x` hexadecimal, as pm_static.yml writes them.
    /// Decimal or `0x` hexadecimal text, `_` allowed between digits (`0x10_0000`), an optional
    /// leading `-` or `+`. Parsed over the UTF-8 bytes: no copies of the text.
    static func int(_ node: Node?, _ field: @autoclosure () -> String, path: String) throws(DescriptorError) -> Int {
        guard let text = node?.scalar?.string else {
            throw DescriptorError(path: path, message: "\(field()): expected an integer")
        }
        guard let value = parseInteger(text) else {
            throw DescriptorError(path: path, message: "\(field()): '\(text)' is not an integer")
        }
        return value
    }

    /// The integer `text` spells, or nil (not a number, or past `Int`).
    public static func parseInteger(_ text: String) -> Int? {
        var utf8 = text.utf8[...]
        var negative = false
        if let sign = utf8.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            utf8 = utf8.dropFirst()
        }
        var radix = 10
        if utf8.count > 2, utf8.first == UInt8(ascii: "0"),
            let x = utf8.dropFirst().first, x | 0x20 == UInt8(ascii: "x") {
            radix = 16
            utf8 = utf8.dropFirst(2)
        }
        var value = 0
        var digits = 0
        for byte in utf8 {
            if byte == UInt8(ascii: "_") { continue }
            let digit: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte &- UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f") where radix == 16: digit = Int(byte &- UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F") where radix == 16: digit = Int(byte &- UInt8(ascii: "A")) + 10
            default: return nil
            }
            let (shifted, o1) = value.multipliedReportingOverflow(by: radix)
            let (sum, o2) = shifted.addingReportingOverflow(negative ? -digit : digit)
            guard !o1, !o2 else { return nil }
            value = sum
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    /// Addresses and sizes of flash partitions and devices: 32-bit (`0 ... 2^32`).
    static let addressSpace = 0x1_0000_0000

    /// An integer that is an address or a size in the 32-bit address space.
    static func address(_ node: Node?, _ field: @autoclosure () -> String, path: String) throws(DescriptorError) -> Int {
        let value = try int(node, field(), path: path)
        guard value >= 0, value <= addressSpace else {
            throw DescriptorError(path: path, message: "\(field()): \(value < 0 ? "-" : "")\(hex(value.magnitude)) is outside the 32-bit address space")
        }
        return value
    }

    static func hex(_ v: UInt) -> String { "0x" + String(v, radix: 16) }

    static func hex(_ v: Int) -> String { "0x" + String(v, radix: 16) }
}
