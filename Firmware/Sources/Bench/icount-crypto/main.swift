// Instruction counts of the boot stage's crypto on Cortex-M4, for tools/icount-crypto: SHA-256 over
// 4 KiB and one ECDSA P-256 verification, between `icount_mark` calls that
// ../shared/tools/cortex-m-icount records. Built like the boot stage (Embedded Swift, -Osize, full
// LTO). `main` returns a bitmask the tool checks, so the counted code is also proved right:
// bit 0 the signature verifies, bit 1 a tampered one does not, bit 2 the digest of "abc" is
// FIPS 180-4's, bit 3 the 4 KiB digest is Python hashlib's (bytes i·7 mod 256), bits 4–6 the
// recovery link's decoder delivered a full-size message whole in the console, COBS and raw
// framings (marks 5–10: its per-byte work, base64 / COBS and CRC-16 included, for the bench's
// CPU-time model); bits 8–19 and 20–31 carry the console and COBS frames' lengths on the wire.
#if hasFeature(Embedded)
import BootCrypto
import FirmwareRuntime
import SMP

/// A full-size frame in `framing` (the console's 2044-byte message, or a raw or COBS 2048-byte
/// one), a valid SMP write header in front: what the recovery link decodes per upload request.
/// Returns the bytes on the wire, or 0 when they do not fit.
func frame(_ framing: SerialFraming, into wire: inout InlineArray<3072, UInt8>) -> Int {
    let length = framing == .console ? 2044 : 2048
    var message = InlineArray<2048, UInt8>(repeating: 0)
    for i in 0..<length { message[i] = UInt8(truncatingIfNeeded: i &* 13 &+ 5) }
    let body = length - 8
    message[0] = 2; message[1] = 0; message[2] = UInt8(body >> 8); message[3] = UInt8(body & 0xFF)
    message[4] = 0; message[5] = 1; message[6] = 7; message[7] = 1
    var count = 0
    message.span.withUnsafeBytes { raw in
        SerialFrameEncoder.encode(message: UnsafeRawBufferPointer(rebasing: raw[0..<length]), framing: framing, lineLength: 128) {
            (piece: UnsafeRawBufferPointer) -> Void in
            for b in piece where count < 3072 {
                wire[count] = b
                count += 1
            }
        }
    }
    return count < 3072 ? count : 0
}

/// Feeds `count` bytes of `wire` to a decoder in `framing`; the length of the packet it delivered.
func decode(_ framing: SerialFraming, _ wire: inout InlineArray<3072, UInt8>, count: Int, mark: UInt32) -> Int {
    var decoder = SerialFrameDecoder(framing: framing)
    var delivered = 0
    icount_mark(mark)
    for i in 0..<count {
        if case .packet(let n) = decoder.feed(wire[i]) { delivered = n }
    }
    icount_mark(mark + 1)
    return delivered
}

func bench() -> UInt32 {
    // A Wycheproof ecdsa_secp256r1_sha256 key with a signature of the empty message (the base
    // vector of Tests/BootCryptoTests/ECDSAP256Tests.swift): uncompressed key, DER signature.
    let publicKey: InlineArray<65, UInt8> = [
        0x04, 0x04, 0xaa, 0xec, 0x73, 0x63, 0x57, 0x26, 0xf2, 0x13, 0xfb, 0x8a, 0x9e, 0x64, 0xda, 0x3b,
        0x86, 0x32, 0xe4, 0x14, 0x95, 0xa9, 0x44, 0xd0, 0x04, 0x5b, 0x52, 0x2e, 0xba, 0x72, 0x40, 0xfa,
        0xd5, 0x87, 0xd9, 0x31, 0x57, 0x98, 0xaa, 0xa3, 0xa5, 0xba, 0x01, 0x77, 0x57, 0x87, 0xce, 0xd0,
        0x5e, 0xaa, 0xf7, 0xb4, 0xe0, 0x9f, 0xc8, 0x1d, 0x6d, 0x1a, 0xa5, 0x46, 0xe8, 0x36, 0x5d, 0x52,
        0x5d,
    ]
    let signature: InlineArray<71, UInt8> = [
        0x30, 0x45, 0x02, 0x21, 0x00, 0xb2, 0x92, 0xa6, 0x19, 0x33, 0x9f, 0x6e, 0x56, 0x7a, 0x30, 0x5c,
        0x95, 0x1c, 0x0d, 0xcb, 0xcc, 0x42, 0xd1, 0x6e, 0x47, 0xf2, 0x19, 0xf9, 0xe9, 0x8e, 0x76, 0xe0,
        0x9d, 0x87, 0x70, 0xb3, 0x4a, 0x02, 0x20, 0x01, 0x77, 0xe6, 0x04, 0x92, 0xc5, 0xa8, 0x24, 0x2f,
        0x76, 0xf0, 0x7b, 0xfe, 0x36, 0x61, 0xbd, 0xe5, 0x9e, 0xc2, 0xa1, 0x7c, 0xe5, 0xbd, 0x2d, 0xab,
        0x2a, 0xbe, 0xbd, 0xf8, 0x9a, 0x62, 0xe2,
    ]
    var result: UInt32 = 0
    // Mark 1–2: SHA-256 of 4 KiB.
    var message = InlineArray<4096, UInt8>(repeating: 0)
    for i in 0..<4096 { message[i] = UInt8(truncatingIfNeeded: i &* 7) }
    icount_mark(1)
    let digest4K = message.span.withUnsafeBytes { SHA256.hash($0) }
    icount_mark(2)
    if digest4K.bytes[0] == 0xd0 && digest4K.bytes[1] == 0x10 && digest4K.bytes[2] == 0xf6 && digest4K.bytes[3] == 0xd7 {
        result |= 8
    }

    let abc: InlineArray<3, UInt8> = [0x61, 0x62, 0x63]
    let digestABC = abc.span.withUnsafeBytes { SHA256.hash($0) }
    let expectedABC: InlineArray<4, UInt8> = [0xba, 0x78, 0x16, 0xbf]
    if digestABC.bytes[0] == expectedABC[0] && digestABC.bytes[1] == expectedABC[1]
        && digestABC.bytes[2] == expectedABC[2] && digestABC.bytes[3] == expectedABC[3] {
        result |= 4
    }

    // Mark 3–4: one verification (key parse included, as the boot stage does per key).
    var empty = SHA256()
    let digest = empty.finalize()  // of the empty message
    icount_mark(3)
    let valid = publicKey.span.withUnsafeBytes { key in
        signature.span.withUnsafeBytes { sig in
            digest.bytes.span.withUnsafeBytes { d in
                guard let parsed = try? P256PublicKey(uncompressed: key) else { return false }
                return ECDSAP256.verify(digest: d, derSignature: sig, publicKey: parsed)
            }
        }
    }
    icount_mark(4)
    if valid { result |= 1 }

    var tampered = signature
    tampered[40] ^= 1
    let forged = publicKey.span.withUnsafeBytes { key in
        tampered.span.withUnsafeBytes { sig in
            digest.bytes.span.withUnsafeBytes { d in
                guard let parsed = try? P256PublicKey(uncompressed: key) else { return true }
                return ECDSAP256.verify(digest: d, derSignature: sig, publicKey: parsed)
            }
        }
    }
    if !forged { result |= 2 }

    // Marks 5–6, 7–8, 9–10: one full-size frame through the recovery link's decoder, in the
    // console, COBS and raw framings; bits 4–6 say each delivered its message whole.
    var wire = InlineArray<3072, UInt8>(repeating: 0)
    var lengths: UInt32 = 0
    var mark: UInt32 = 5
    var bit: UInt32 = 16
    for framing in [SerialFraming.console, .cobs, .raw] {
        let count = frame(framing, into: &wire)
        let delivered = decode(framing, &wire, count: count, mark: mark)
        if count > 0 && delivered == (framing == .console ? 2044 : 2048) { result |= bit }
        // The console and COBS frames' lengths go back above the check bits (raw is the message).
        if framing == .console { lengths |= UInt32(truncatingIfNeeded: count) & 0xFFF }
        if framing == .cobs { lengths |= (UInt32(truncatingIfNeeded: count) & 0xFFF) << 12 }
        mark += 2
        bit <<= 1
    }
    return result | lengths << 8
}

@_cdecl("lifeboat_bench_main")
func benchMain() -> UInt32 { bench() }
#endif
