import SMP

/// SMP header parsing, the request filter and encoding.
enum SMPHeaderFuzz {
    static func run(_ input: UnsafeRawBufferPointer, _ v: inout FuzzViolations) {
        guard let header = try? SMPHeader(parsing: input) else {
            v.check(SMPHeader.parseRequest(input) == nil, "parseRequest accepts what the parser refuses")
            return
        }
        v.check(input.count >= SMPHeader.size, "parsed a header from \(input.count) bytes")
        var bytes = [UInt8](repeating: 0, count: SMPHeader.size)
        bytes.withUnsafeMutableBytes { header.encode(into: $0) }
        // Bits 5–7 of the first byte are reserved and not kept; everything else round-trips.
        v.check(bytes[0] == input[0] & 0x1F, "first byte does not round-trip")
        v.check(bytes[1...] == Array(input[1..<SMPHeader.size])[...], "header bytes 1–7 do not round-trip")
        if let request = SMPHeader.parseRequest(input) {
            v.check(request.operation.isRequest, "a response passed as a request")
            v.check(Int(request.length) >= input.count - SMPHeader.size, "a request shorter than its payload passed")
            let payload = min(input.count - SMPHeader.size, Int(UInt16.max))
            let response = request.response(payloadLength: payload)
            v.check(response.group == request.group && response.command == request.command && response.sequence == request.sequence,
                    "response does not echo group, command and sequence")
            v.check(!response.operation.isRequest && response.version <= 1, "response operation or version wrong")
            v.check(Int(response.length) == payload, "response length is not the payload's")
        }
    }
}
