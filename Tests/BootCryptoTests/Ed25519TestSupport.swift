import BootCrypto

/// Bytes from a hex string (test helper; traps on malformed test data, which is a test bug).
func ed25519Bytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    precondition(digits.count % 2 == 0, "odd-length hex")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: preconditionFailure("bad hex digit")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

/// Lower-case hex of bytes (test helper).
func ed25519Hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    bytes.map { byte in
        let s = String(byte, radix: 16)
        return s.count == 1 ? "0" + s : s
    }.joined()
}

func ed25519Key(raw: [UInt8]) throws(Ed25519Error) -> Ed25519PublicKey {
    let result = raw.withUnsafeBytes { buffer in
        Result { () throws(Ed25519Error) in try Ed25519PublicKey(rawRepresentation: buffer) }
    }
    return try result.get()
}

func ed25519Key(der: [UInt8]) throws(Ed25519Error) -> Ed25519PublicKey {
    let result = der.withUnsafeBytes { buffer in
        Result { () throws(Ed25519Error) in try Ed25519PublicKey(subjectPublicKeyInfo: buffer) }
    }
    return try result.get()
}

func ed25519Verify(signature: [UInt8], message: [UInt8], key: Ed25519PublicKey) -> Bool {
    signature.withUnsafeBytes { sig in
        message.withUnsafeBytes { msg in Ed25519.verify(signature: sig, message: msg, publicKey: key) }
    }
}

func ed25519RawBytes(_ key: Ed25519PublicKey) -> [UInt8] {
    key.withUnsafeBytes { Array($0) }
}
