import BootCrypto
import Testing

/// Lower-case hex of a digest (test helper; String is fine on the host).
func hex(_ digest: SHA256.Digest) -> String {
    digest.withUnsafeBytes { raw in
        raw.map { byte in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }
}

func sha256(_ bytes: [UInt8]) -> SHA256.Digest {
    bytes.withUnsafeBytes { SHA256.hash($0) }
}

struct KnownAnswer: CustomTestStringConvertible, Sendable {
    let name: String
    let message: [UInt8]
    let digest: String
    var testDescription: String { name }
}

/// FIPS 180-4 examples and the NIST CSRC "SHA256.pdf" / SHAVS short and long messages.
let knownAnswers: [KnownAnswer] = [
    KnownAnswer(
        name: "empty", message: [],
        digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    KnownAnswer(
        name: "abc", message: Array("abc".utf8),
        digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    KnownAnswer(
        name: "448-bit", message: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
        digest: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    KnownAnswer(
        name: "896-bit",
        message: Array(
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
                .utf8),
        digest: "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    KnownAnswer(
        name: "one million a", message: [UInt8](repeating: 0x61, count: 1_000_000),
        digest: "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    // Lengths around the padding boundary (55/56/64 bytes), checked against coreutils sha256sum.
    KnownAnswer(
        name: "55 zero bytes", message: [UInt8](repeating: 0, count: 55),
        digest: "02779466cdec163811d078815c633f21901413081449002f24aa3e80f0b88ef7"),
    KnownAnswer(
        name: "56 zero bytes", message: [UInt8](repeating: 0, count: 56),
        digest: "d4817aa5497628e7c77e6b606107042bbba3130888c5f47a375e6179be789fbb"),
    KnownAnswer(
        name: "64 zero bytes", message: [UInt8](repeating: 0, count: 64),
        digest: "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b"),
]

@Suite struct SHA256Tests {
    @Test(arguments: knownAnswers)
    func knownAnswer(_ vector: KnownAnswer) {
        #expect(hex(sha256(vector.message)) == vector.digest)
    }

    @Test(arguments: knownAnswers)
    func spanOverloadMatches(_ vector: KnownAnswer) {
        let digest = SHA256.hash(vector.message.span)
        #expect(hex(digest) == vector.digest)
    }

    @Test func oneMillionAInOddChunks() {
        var sha = SHA256()
        let chunk = [UInt8](repeating: 0x61, count: 997)
        var left = 1_000_000
        while left > 0 {
            let n = min(left, chunk.count)
            chunk.withUnsafeBytes { sha.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            left -= n
        }
        #expect(hex(sha.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Splitting a 200-byte message at every offset (and in three parts) never changes the digest.
    @Test(arguments: 0...200)
    func incrementalSplitEqualsOneShot(split: Int) {
        let message = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let expected = sha256(message)
        message.withUnsafeBytes { raw in
            var sha = SHA256()
            sha.update(UnsafeRawBufferPointer(rebasing: raw[0..<split]))
            sha.update(UnsafeRawBufferPointer(rebasing: raw[split..<200]))
            #expect(sha.finalize() == expected)

            var three = SHA256()
            let mid = split + (200 - split) / 2
            three.update(UnsafeRawBufferPointer(rebasing: raw[0..<split]))
            three.update(UnsafeRawBufferPointer(rebasing: raw[split..<mid]))
            three.update(UnsafeRawBufferPointer(rebasing: raw[mid..<200]))
            #expect(three.finalize() == expected)
        }
    }

    @Test func byteAtATimeEqualsOneShot() {
        let message = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var sha = SHA256()
        for byte in message {
            [byte].withUnsafeBytes { sha.update($0) }
        }
        #expect(sha.finalize() == sha256(message))
    }

    @Test func unalignedInputEqualsAligned() {
        let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
        let padded = [0xAA] + message
        let unaligned = padded.withUnsafeBytes { SHA256.hash(UnsafeRawBufferPointer(rebasing: $0[1...])) }
        #expect(unaligned == sha256(message))
    }

    @Test func digestInitCopyingRequiresExactly32Bytes() {
        let d = sha256(Array("abc".utf8))
        let copied = d.withUnsafeBytes { SHA256.Digest(copying: $0) }
        #expect(copied == d)
        #expect([UInt8](repeating: 0, count: 31).withUnsafeBytes { SHA256.Digest(copying: $0) } == nil)
        #expect([UInt8](repeating: 0, count: 33).withUnsafeBytes { SHA256.Digest(copying: $0) } == nil)
        #expect(d[0] == 0xba && d[31] == 0xad)
    }
}

@Suite struct ConstantTimeTests {
    @Test(arguments: [
        ([UInt8](), [UInt8](), true),
        ([1, 2, 3], [1, 2, 3], true),
        ([1, 2, 3], [1, 2, 4], false),
        ([0, 2, 3], [1, 2, 3], false),
        ([1, 2, 3], [1, 2], false),
        ([1, 2], [1, 2, 3], false),
    ] as [([UInt8], [UInt8], Bool)])
    func equal(_ a: [UInt8], _ b: [UInt8], _ expected: Bool) {
        let result = a.withUnsafeBytes { ra in b.withUnsafeBytes { rb in ConstantTime.equal(ra, rb) } }
        #expect(result == expected)
    }
}
