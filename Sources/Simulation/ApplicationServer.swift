import DFUTarget
import FlashKit
import MCUbootImage
import Recovery
import SMP

/// The simulator's application stage: a stand-in for a Zephyr application with MCUmgr
/// (`samples/subsys/mgmt/mcumgr/smp_svr`), so the test → confirm / revert flow runs against the
/// tools engineers use. It answers what smp_svr answers over the console:
///
/// - os (group 0): echo, reset (with `boot_mode`: 1 asks the bootloader for serial recovery at
///   the next boot, through the retained boot mode), MCUmgr params, info, bootloader info;
/// - image (group 1): state read (every slot whose header and SHA-256 TLV read, with Zephyr's five
///   flags always present), state write (test by hash, confirm; inapp-dfu.md §1.3), upload (into
///   the free slot, or smp_svr's direct-upload numbering; the `upgrade` flag; the final `match`),
///   erase (refused for a slot in use), slot info;
/// - enumeration (group 10): count, list, single, details.
///
/// Errors are Zephyr's: SMP v2 `{"err": {"group": g, "rc": n}}`, SMP v1 `{"rc": n}` with
/// img_mgmt's v1 translation (``DFUTarget/DFUError/zephyrMGMTError``). The image logic is the
/// portable DFU target core (``DFUTarget/DFUCore``, ``DFUTarget/UploadSession``), the same
/// recovery uses.
public struct ApplicationServer<Slots: SlotMap>: SMPRequestHandler {
    public let slots: Slots
    public var overwriteOnly: Bool
    /// The MCUboot mode bootloader info reports.
    public var bootloaderMode: Int
    public var receiveBufferSize: Int
    public var upload = UploadSession()
    /// Set by `os reset` with `boot_mode`: what the board writes to its retained register.
    public var requestedBootMode: UInt8?

    public init(slots: Slots, overwriteOnly: Bool, bootloaderMode: Int, receiveBufferSize: Int = ConsoleFrameDecoder.capacity) {
        self.slots = slots
        self.overwriteOnly = overwriteOnly
        self.bootloaderMode = bootloaderMode
        self.receiveBufferSize = receiveBufferSize
    }

    var core: DFUCore<Slots> { DFUCore(slots: slots, overwriteOnly: overwriteOnly) }

    public mutating func reboot() {
        upload = UploadSession()
        requestedBootMode = nil
    }

    /// The groups this application supports, as the enumeration group lists them, with their
    /// names and handler counts (Zephyr `enum_mgmt`).
    static var groups: [(id: UInt16, name: StaticString, handlers: Int)] {
        [(SMPGroup.os, "os", 6), (SMPGroup.image, "img", 4), (Self.enumerationGroup, "enum", 4)]
    }

    /// Zephyr's enumeration management group.
    public static var enumerationGroup: UInt16 { 10 }

    public mutating func handle(request message: UnsafeRawBufferPointer, response: UnsafeMutableRawBufferPointer) -> RecoveryReply {
        guard let header = SMPHeader.parseRequest(message), response.count > SMPHeader.size else { return RecoveryReply(length: 0) }
        let payload = UnsafeRawBufferPointer(rebasing: message[SMPHeader.size...])
        var x = AppExchange(header: header, writer: CBORWriter(UnsafeMutableRawBufferPointer(rebasing: response[SMPHeader.size...])))
        if header.version > 1 {
            x.fail(.unsupportedTooNew)
        } else if (try? CBORReader.checkRequestBody(payload)) == nil {
            x.fail(.invalid)
        } else {
            dispatch(&x, payload)
        }
        if x.writer.overflowed {
            x.writer = CBORWriter(UnsafeMutableRawBufferPointer(rebasing: response[SMPHeader.size...]))
            x.fail(.noMemory)
        }
        let length = x.writer.count
        header.response(payloadLength: length).encode(into: response)
        return RecoveryReply(length: SMPHeader.size + length, action: x.action, event: x.event)
    }

    private mutating func dispatch(_ x: inout AppExchange, _ payload: UnsafeRawBufferPointer) {
        let write = x.header.operation == .write
        switch (x.header.group, x.header.command) {
        case (SMPGroup.os, OSCommand.echo): echo(&x, payload)
        case (SMPGroup.os, OSCommand.reset) where write: reset(&x, payload)
        case (SMPGroup.os, OSCommand.mcumgrParams) where !write: params(&x)
        case (SMPGroup.os, 7) where !write: info(&x)
        case (SMPGroup.os, OSCommand.bootloaderInfo) where !write: bootloaderInfo(&x, payload)
        case (SMPGroup.image, ImageCommand.state) where !write: stateRead(&x)
        case (SMPGroup.image, ImageCommand.state): stateWrite(&x, payload)
        case (SMPGroup.image, ImageCommand.upload) where write: imageUpload(&x, payload)
        case (SMPGroup.image, ImageCommand.erase) where write: erase(&x, payload)
        case (SMPGroup.image, ImageCommand.slotInfo) where !write: slotInfo(&x)
        case (Self.enumerationGroup, 0) where !write: enumCount(&x)
        case (Self.enumerationGroup, 1) where !write: enumList(&x)
        case (Self.enumerationGroup, 2) where !write: enumSingle(&x, payload)
        case (Self.enumerationGroup, 3) where !write: enumDetails(&x)
        default: x.fail(.notSupported)
        }
    }

    // MARK: os

    func echo(_ x: inout AppExchange, _ payload: UnsafeRawBufferPointer) {
        let text: UnsafeRawBufferPointer?
        do throws(CBORError) { text = try SMPBodies.text("d", in: payload) } catch { return x.fail(.invalid) }
        guard let text else { return x.fail(.invalid) }
        x.writer.beginMap()
        x.writer.key("r")
        x.writer.text(bytes: text)
        x.writer.end()
    }

    mutating func reset(_ x: inout AppExchange, _ payload: UnsafeRawBufferPointer) {
        var bootMode: UInt64?
        var reader = CBORReader(payload)
        do throws(CBORError) {
            var scan = try CBORMapScanner(&reader, keys: ["force", "boot_mode"])
            while let key = try scan.next(&reader) {
                if key == 0 { _ = try reader.readUnsigned() } else { bootMode = try reader.readUnsigned() }
            }
        } catch {
            return x.fail(.invalid)
        }
        if let bootMode {
            guard bootMode <= 0xFF else { return x.fail(.invalid) }
            requestedBootMode = UInt8(bootMode)
        }
        x.action = .reset
        x.writer.beginMap()
        x.writer.end()
    }

    func params(_ x: inout AppExchange) {
        x.writer.beginMap()
        x.writer.key("buf_size")
        x.writer.unsigned(UInt64(receiveBufferSize))
        x.writer.key("buf_count")
        x.writer.unsigned(1)
        x.writer.end()
    }

    func info(_ x: inout AppExchange) {
        x.writer.beginMap()
        x.writer.key("output")
        x.writer.text("Lifeboat smp_svr stand-in (simulated Zephyr application)")
        x.writer.end()
    }

    func bootloaderInfo(_ x: inout AppExchange, _ payload: UnsafeRawBufferPointer) {
        let query: UnsafeRawBufferPointer?
        do throws(CBORError) { query = try SMPBodies.text("query", in: payload) } catch { return x.fail(.invalid) }
        if let query, !CBORReader.equal(query, "mode") {
            return x.fail(v1: .invalid, group: SMPGroup.os, v2: OSManagementError.queryYieldsNoAnswer.rawValue)
        }
        x.writer.beginMap()
        if query == nil {
            x.writer.key("bootloader")
            x.writer.text("MCUboot")
        } else {
            x.writer.key("mode")
            x.writer.unsigned(UInt64(bootloaderMode))
        }
        x.writer.end()
    }

    // MARK: image

    /// Zephyr's state read: every slot whose image header and hash TLV read (no signature
    /// check), with all five flags.
    func stateRead(_ x: inout AppExchange) {
        x.writer.beginMap()
        x.writer.key("images")
        x.writer.beginArray()
        for image in 0..<slots.imageCount {
            let state = core.state(image: image)
            for slot in 0..<2 {
                guard let found = core.info(SlotAddress(image: image, slot: slot)) else { continue }
                x.writer.beginMap()
                if slots.imageCount > 1 {
                    x.writer.key("image")
                    x.writer.unsigned(UInt64(image))
                }
                x.writer.key("slot")
                x.writer.unsigned(UInt64(slot))
                SMPBodies.writeVersion(found.header.version, to: &x.writer)
                x.writer.key("hash")
                found.hash.withUnsafeBytes { x.writer.bytes($0) }
                let flags = state.flags(slot: slot)
                x.writer.key("bootable")
                x.writer.bool(!found.header.flags.contains(.nonBootable))
                x.writer.key("pending")
                x.writer.bool(flags.contains(.pending))
                x.writer.key("confirmed")
                x.writer.bool(flags.contains(.confirmed))
                x.writer.key("active")
                x.writer.bool(flags.contains(.active))
                x.writer.key("permanent")
                x.writer.bool(flags.contains(.permanent))
                x.writer.end()
            }
        }
        x.writer.end()
        x.writer.key("splitStatus")
        x.writer.unsigned(0)
        x.writer.end()
    }

    mutating func stateWrite(_ x: inout AppExchange, _ payload: UnsafeRawBufferPointer) {
        var hash: UnsafeRawBufferPointer?
        var confirm = false
        var reader = CBORReader(payload)
        do throws(CBORError) {
            var scan = try CBORMapScanner(&reader, keys: ["hash", "confirm"])
            while let key = try scan.next(&reader) {
                if key == 0 { hash = try reader.readBytes() } else { confirm = try reader.readBool() }
            }
        } catch {
            return x.fail(.invalid)
        }
        do throws(DFUError) {
            if let (address, active) = try core.stateWriteTarget(hash: hash, confirm: confirm) {
                try core.setNext(address, active: active, confirm: confirm)
                if upload.target == address { upload.abandon() }
                x.event = .imageMarked(address, active ? .confirmed : confirm ? .permanent : .test)
            } else {
                x.event = .stateWriteUnchanged
            }
        } catch {
            x.event = .stateWriteRefused(error)
            return x.fail(error)
        }
        stateRead(&x)
    }

    mutating func imageUpload(_ x: inout AppExchange, _ payload: UnsafeRawBufferPointer) {
        let chunk: UploadChunk
        do throws(CBORError) {
            guard let decoded = try UploadChunk.decode(payload) else { return x.fail(.invalid) }
            chunk = decoded
        } catch {
            return x.fail(.invalid)
        }
        do throws(DFUError) {
            if chunk.offset == 0 { try admit(chunk) }
            let outcome = try upload.receive(chunk, policy: ApplicationUploadTarget(), slots: slots)
            x.event = .upload(outcome, session: upload)
            SMPBodies.writeUploadReply(outcome, legacyRC: false, to: &x.writer)
        } catch {
            x.event = .uploadRefused(error)
            x.fail(error)
        }
    }

    /// img_mgmt's checks on a first chunk before the session starts: an image header with the
    /// right magic, and with `upgrade`, a version newer than the running image's.
    func admit(_ chunk: UploadChunk) throws(DFUError) {
        guard chunk.data.count >= ImageHeader.size else { throw .invalidImageHeader }
        let header: ImageHeader
        do throws(ImageRejection) {
            header = try ImageHeader(parsing: UnsafeRawBufferPointer(rebasing: chunk.data[0..<ImageHeader.size]))
        } catch {
            throw .invalidImageHeader
        }
        if chunk.upgrade {
            guard let running = core.info(SlotAddress(image: 0, slot: 0)) else { throw .currentVersionIsNewer }
            if !running.header.version.isLower(than: header.version, includingBuild: false) { throw .currentVersionIsNewer }
        }
    }

    mutating func erase(_ x: inout AppExchange, _ payload: UnsafeRawBufferPointer) {
        var index = 1  // the other slot of the running image
        var reader = CBORReader(payload)
        do throws(CBORError) {
            var scan = try CBORMapScanner(&reader, keys: ["slot"])
            while let key = try scan.next(&reader) {
                if key == 0 { index = Int(clamping: try reader.readUnsigned()) }
            }
        } catch {
            return x.fail(.invalid)
        }
        let address = SlotAddress(image: index / 2, slot: index % 2)
        guard index >= 0, let area = slots.area(image: address.image, slot: address.slot) else {
            return x.fail(v1: .invalid, group: SMPGroup.image, v2: ImageManagementError.invalidSlot.rawValue)
        }
        do throws(DFUError) {
            try core.checkErasable(address)
        } catch {
            return x.fail(error)
        }
        upload.abandon()
        do throws(FlashError) {
            if !(try area.isErased(at: 0, count: area.size)) { try area.erase(at: 0, count: area.size) }
        } catch {
            return x.fail(.eraseFailed(error))
        }
        x.event = .slotErased(address)
        x.writer.beginMap()
        x.writer.end()
    }

    func slotInfo(_ x: inout AppExchange) {
        SMPBodies.writeSlotInfo(slots, to: &x.writer) { ApplicationUploadTarget().uploadImageID(for: $0) }
    }

    // MARK: enumeration (group 10)

    func enumCount(_ x: inout AppExchange) {
        x.writer.beginMap()
        x.writer.key("count")
        x.writer.unsigned(UInt64(Self.groups.count))
        x.writer.end()
    }

    func enumList(_ x: inout AppExchange) {
        x.writer.beginMap()
        x.writer.key("groups")
        x.writer.beginArray()
        for group in Self.groups { x.writer.unsigned(UInt64(group.id)) }
        x.writer.end()
        x.writer.end()
    }

    func enumSingle(_ x: inout AppExchange, _ payload: UnsafeRawBufferPointer) {
        var index = 0
        var reader = CBORReader(payload)
        do throws(CBORError) {
            var scan = try CBORMapScanner(&reader, keys: ["index"])
            while let key = try scan.next(&reader) {
                if key == 0 { index = Int(clamping: try reader.readUnsigned()) }
            }
        } catch {
            return x.fail(.invalid)
        }
        let groups = Self.groups
        // Zephyr's ENUM_MGMT_ERR_INDEX_TOO_LARGE is 2.
        guard index >= 0, index < groups.count else { return x.fail(v1: .invalid, group: Self.enumerationGroup, v2: 2) }
        x.writer.beginMap()
        x.writer.key("group")
        x.writer.unsigned(UInt64(groups[index].id))
        if index == groups.count - 1 {
            x.writer.key("end")
            x.writer.bool(true)
        }
        x.writer.end()
    }

    func enumDetails(_ x: inout AppExchange) {
        x.writer.beginMap()
        x.writer.key("groups")
        x.writer.beginArray()
        for group in Self.groups {
            x.writer.beginMap()
            x.writer.key("group")
            x.writer.unsigned(UInt64(group.id))
            x.writer.key("name")
            x.writer.text(group.name)
            x.writer.key("handlers")
            x.writer.unsigned(UInt64(group.handlers))
            x.writer.end()
        }
        x.writer.end()
        x.writer.end()
    }
}

/// One request being answered by the application stage.
struct AppExchange {
    let header: SMPHeader
    var writer: CBORWriter
    var action = RecoveryAction.none
    var event: RecoveryEvent?

    /// An SMP-layer error: `{"rc": n}` in both protocol versions.
    mutating func fail(_ error: MGMTError) {
        writer.beginMap()
        writer.key("rc")
        writer.unsigned(UInt64(error.rawValue))
        writer.end()
    }

    /// A group error: `{"err": {"group": g, "rc": n}}` for SMP v2, `{"rc": v1}` for v1.
    mutating func fail(v1: MGMTError, group: UInt16, v2: UInt16) {
        guard header.version >= 1 else { return fail(v1) }
        writer.beginMap()
        writer.key("err")
        writer.beginMap()
        writer.key("group")
        writer.unsigned(UInt64(group))
        writer.key("rc")
        writer.unsigned(UInt64(v2))
        writer.end()
        writer.end()
    }

    /// A DFU target error, in img_mgmt's codes.
    mutating func fail(_ error: DFUError) {
        fail(v1: error.zephyrMGMTError, group: SMPGroup.image, v2: error.imageManagementError.rawValue)
    }
}
