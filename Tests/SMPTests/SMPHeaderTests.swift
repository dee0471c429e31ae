import SMP
import Testing

@Suite("SMP header")
struct SMPHeaderTests {
    @Test func v2WriteFirstByte() {
        let h = SMPHeader(operation: .write, version: 1, length: 9, group: SMPGroup.os, sequence: 1, command: OSCommand.echo)
        var out = [UInt8](repeating: 0xEE, count: 8)
        out.withUnsafeMutableBytes { h.encode(into: $0) }
        #expect(out == hex("0a 00 0009 0000 01 00"))  // smpmgr's echo header, host-clients.md §2.3
    }

    static let headers: [SMPHeader] = [
        SMPHeader(operation: .read, length: 1, group: SMPGroup.image, sequence: 0, command: ImageCommand.state),
        SMPHeader(operation: .writeResponse, version: 1, flags: 0x5A, length: 0xABCD, group: 0xFE01, sequence: 0xFF, command: 0x80),
        SMPHeader(operation: .readResponse, version: 3, length: 0, group: SMPGroup.perUser, sequence: 7, command: 1),
    ]

    @Test(arguments: headers)
    func roundTrip(_ header: SMPHeader) throws {
        var out = [UInt8](repeating: 0, count: 8)
        out.withUnsafeMutableBytes { header.encode(into: $0) }
        #expect(out[0] == header.operation.rawValue | header.version << 3)
        #expect(out[2] == UInt8(header.length >> 8) && out[3] == UInt8(header.length & 0xFF))
        #expect(out[4] == UInt8(header.group >> 8) && out[5] == UInt8(header.group & 0xFF))
        let parsed = try out.withUnsafeBytes { try SMPHeader(parsing: $0) }
        #expect(parsed == header)
    }

    @Test func bitLayout() throws {
        // op bits 0-2, version bits 3-4, reserved bits 5-7 ignored.
        let h = try hex("ea 00 0000 0000 00 00").withUnsafeBytes { try SMPHeader(parsing: $0) }
        #expect(h.operation == .write)
        #expect(h.version == 1)
        let v3 = try hex("19 00 0000 0000 00 00").withUnsafeBytes { try SMPHeader(parsing: $0) }
        #expect(v3.operation == .readResponse && v3.version == 3)
    }

    @Test(arguments: [UInt8(4), 5, 6, 7, 0x0C, 0xFF])
    func invalidOperation(_ first: UInt8) {
        #expect(throws: SMPError.invalidOperation) {
            _ = try ([first] + hex("00 0000 0000 00 00")).withUnsafeBytes { try SMPHeader(parsing: $0) }
        }
    }

    @Test(arguments: 0..<8)
    func truncated(_ count: Int) {
        #expect(throws: SMPError.truncated) {
            _ = try Array(hex("02 00 0000 0000 00 00")[0..<count]).withUnsafeBytes { try SMPHeader(parsing: $0) }
        }
    }

    @Test func responseEchoesAndIncrementsOp() {
        let request = SMPHeader(operation: .write, version: 1, flags: 0x33, length: 161, group: 1, sequence: 1, command: 1)
        let response = request.response(payloadLength: 11)
        #expect(response == SMPHeader(operation: .writeResponse, version: 1, flags: 0, length: 11, group: 1, sequence: 1, command: 1))
        let read = SMPHeader(operation: .read, version: 3, length: 0, group: 0, sequence: 9, command: 6).response(payloadLength: 5)
        #expect(read.operation == .readResponse)
        #expect(read.version == 1, "version clamped to v2")
    }

    @Test func parseRequestMatchesMCUbootSanityChecks() {
        // Valid READ with one payload byte.
        func check(_ bytes: [UInt8]) -> SMPHeader? { bytes.withUnsafeBytes { SMPHeader.parseRequest($0) } }
        #expect(check(hex("00 00 0001 0001 00 00 a0"))?.group == 1)
        #expect(check(hex("00 00 0000 0001 00")) == nil, "shorter than 8")
        #expect(check(hex("01 00 0001 0001 00 00 a0")) == nil, "READ_RSP is not a request")
        #expect(check(hex("03 00 0001 0001 00 00 a0")) == nil, "WRITE_RSP is not a request")
        #expect(check(hex("00 00 0000 0001 00 00 a0")) == nil, "length smaller than payload")
        #expect(check(hex("02 00 0010 0001 00 00 a0"))?.length == 16, "length larger than payload: accepted like MCUboot")
    }
}

@Suite("Result codes")
struct ResultCodeTests {
    @Test func mgmtNames() {
        #expect(MGMTError.invalid.rawValue == 3 && MGMTError.invalid.name.description == "EINVAL")
        #expect(MGMTError.notSupported.rawValue == 8 && MGMTError.notSupported.name.description == "ENOTSUP")
        #expect(MGMTError.busy.rawValue == 10)
        #expect(MGMTError.unsupportedTooNew.rawValue == 13)
        #expect((0...13).allSatisfy { MGMTError(rawValue: $0) != nil })
        #expect(MGMTError(rawValue: 14) == nil)
    }

    @Test func groupCodes() {
        #expect(ImageManagementError.invalidOffset.rawValue == 20)
        #expect(ImageManagementError.invalidImageHeaderMagic.rawValue == 23)
        #expect(ImageManagementError.imageSettingTestToActiveDenied.rawValue == 33)
        #expect((0...33).allSatisfy { ImageManagementError(rawValue: $0) != nil })
        #expect(OSManagementError.queryYieldsNoAnswer.rawValue == 3)
        #expect(OSManagementError.heapStatsFetchFailed.rawValue == 7)
        #expect(ImageManagementError.noImage.name.description == "NO_IMAGE")
    }
}
