import SMP

/// The CBOR reader: `skip`, the typed reads, the map scanner and the request-body check must agree
/// with one another, and a read that throws must not move the reader.
enum CBORFuzz {
    static func run(_ input: UnsafeRawBufferPointer, _ v: inout FuzzViolations) {
        // Item by item with skip, and the same items with the typed walk: same ends.
        var skipper = CBORReader(input)
        var walker = CBORReader(input)
        var items = 0
        while !skipper.isAtEnd && items < 64 {
            let start = skipper.position
            do throws(CBORError) {
                try skipper.skip()
            } catch {
                v.check(skipper.position == start, "skip moved the reader on \(error)")
                break
            }
            v.check(skipper.position > start && skipper.position <= input.count, "skip ended at \(skipper.position)")
            // A well-formed item: the typed walk reads it to the same end, unless it meets what the
            // typed reads deliberately do not take (indefinite strings, integers beyond Int64).
            guard walker.position == start else { break }
            do throws(CBORError) {
                try walk(&walker, depth: 0)
                v.check(walker.position == skipper.position, "walk ended at \(walker.position), skip at \(skipper.position)")
            } catch {
                v.check(error == .unsupported || error == .outOfRange, "skip accepts an item the typed walk refuses with \(error)")
                walker = skipper
            }
            items += 1
        }

        // The request-body check: one map, nothing after it.
        var bodyOK = true
        do throws(CBORError) { try CBORReader.checkRequestBody(input) } catch { bodyOK = false }
        if bodyOK && !input.isEmpty {
            var r = CBORReader(input)
            v.check((try? r.skip()) != nil && r.isAtEnd, "checkRequestBody passed more than one item")
            v.check(input[0] >> 5 == 5, "checkRequestBody passed a non-map")
        }

        // The map scanner with the upload handler's keys: each key at most once, values consumed.
        var reader = CBORReader(input)
        do throws(CBORError) {
            var scan = try CBORMapScanner(&reader, keys: ["image", "len", "off", "data", "sha", "upgrade"])
            var seen: UInt32 = 0
            while let key = try scan.next(&reader) {
                let bit: UInt32 = 1 << UInt32(key)
                v.check(seen & bit == 0, "scanner returned key \(key) twice")
                seen |= bit
                let before = reader.position
                switch key {
                case 0, 1, 2:
                    do throws(CBORError) { _ = try reader.readUnsigned() } catch {
                        v.check(reader.position == before, "readUnsigned moved the reader on \(error)")
                        try reader.skip()
                    }
                case 3, 4:
                    do throws(CBORError) { _ = try reader.readBytes() } catch {
                        v.check(reader.position == before, "readBytes moved the reader on \(error)")
                        try reader.skip()
                    }
                default:
                    do throws(CBORError) { _ = try reader.readBool() } catch {
                        v.check(reader.position == before, "readBool moved the reader on \(error)")
                        try reader.skip()
                    }
                }
            }
            v.check(seen == scan.seen, "scanner's seen set disagrees")
        } catch {
            // Refusals are fine; traps are what the fuzzer looks for.
        }
    }

    /// Reads one item with the typed reads (the way handlers read), recursing into containers.
    static func walk(_ r: inout CBORReader, depth: Int) throws(CBORError) {
        let start = r.position
        let type = try r.peekType()
        do throws(CBORError) {
            switch type {
            case .unsigned: _ = try r.readUnsigned()
            case .negative: _ = try r.readSigned()
            case .bytes: _ = try r.readBytes()
            case .text: _ = try r.readText()
            case .bool: _ = try r.readBool()
            case .null: try r.readNull()
            case .map, .array:
                var container = type == .map ? try r.beginMap() : try r.beginArray()
                // skip() holds at most maxDepth open levels, and an empty definite container
                // takes none; the walk counts the same way.
                if container.isIndefinite && depth >= CBORReader.maxDepth { throw .tooDeep }
                var first = true
                while try r.next(in: &container) {
                    if first && depth >= CBORReader.maxDepth { throw .tooDeep }
                    first = false
                    try walk(&r, depth: depth + 1)
                    if type == .map { try walk(&r, depth: depth + 1) }
                }
            case .tag, .undefined, .float, .simple:
                try r.skip()
            case .break:
                throw .malformed
            }
        } catch {
            if r.position != start && type != .map && type != .array {
                // A scalar read that throws must leave the reader where it was; report through a
                // distinct error the caller does not accept.
                throw .duplicateKey
            }
            throw error
        }
    }
}
