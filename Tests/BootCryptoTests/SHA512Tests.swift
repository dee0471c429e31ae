import BootCrypto
import Testing

/// Lower-case hex of a SHA-512 digest (test helper).
func hex(_ digest: SHA512.Digest) -> String {
    digest.withUnsafeBytes { raw in sha512HexString(raw) }
}

/// Lower-case hex of raw bytes (test helper).
func sha512HexString(_ raw: UnsafeRawBufferPointer) -> String {
    raw.map { byte in
        let s = String(byte, radix: 16)
        return s.count == 1 ? "0" + s : s
    }.joined()
}

func sha512(_ bytes: [UInt8]) -> SHA512.Digest {
    bytes.withUnsafeBytes { SHA512.hash($0) }
}

/// FIPS 180-4 examples (NIST CSRC "SHA512.pdf", SHAVS) and lengths around the padding boundary
/// (111/112/128/239/240 bytes: one or two padding blocks), checked against Python's hashlib.
let sha512KnownAnswers: [KnownAnswer] = [
    KnownAnswer(
        name: "empty", message: [],
        digest: "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"),
    KnownAnswer(
        name: "abc", message: Array("abc".utf8),
        digest: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
    KnownAnswer(
        name: "448-bit", message: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
        digest: "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445"),
    KnownAnswer(
        name: "896-bit",
        message: Array(
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
                .utf8),
        digest: "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"),
    KnownAnswer(
        name: "one million a", message: [UInt8](repeating: 0x61, count: 1_000_000),
        digest: "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"),
    KnownAnswer(
        name: "111 zero bytes", message: [UInt8](repeating: 0, count: 111),
        digest: "77ddd3a542e530fd047b8977c657ba6ce72f1492e360b2b2212cd264e75ec03882e4ff0525517ab4207d14c70c2259ba88d4d335ee0e7e20543d22102ab1788c"),
    KnownAnswer(
        name: "112 zero bytes", message: [UInt8](repeating: 0, count: 112),
        digest: "2be2e788c8a8adeaa9c89a7f78904cacea6e39297d75e0573a73c756234534d6627ab4156b48a6657b29ab8beb73334040ad39ead81446bb09c70704ec707952"),
    KnownAnswer(
        name: "128 zero bytes", message: [UInt8](repeating: 0, count: 128),
        digest: "ab942f526272e456ed68a979f50202905ca903a141ed98443567b11ef0bf25a552d639051a01be58558122c58e3de07d749ee59ded36acf0c55cd91924d6ba11"),
    KnownAnswer(
        name: "239 zero bytes", message: [UInt8](repeating: 0, count: 239),
        digest: "5ab1250bc60e105fc71ab84c4866822778e8a40fda48be703be283d1acf7959933ec3024e196c8f4cb548012786f692eb210899323060f28254d3d47a7018205"),
    KnownAnswer(
        name: "240 zero bytes", message: [UInt8](repeating: 0, count: 240),
        digest: "ba21e55aa88dc8b12e13ebff9e67570177db6aacfb606658650397e6423937d882b1e1c93ed62d12de0dfd59791d78c6a73d68e55f343cfa1f85235daf3b89ec"),
]

/// 1000 bytes of `i mod 251`: no block repeats, so a wrong split offset shows.
let sha512Pattern: [UInt8] = (0..<1000).map { UInt8($0 % 251) }
let sha512PatternDigest =
    "5096498d96f50f9a137c4db5b8b0cd38383ad55350fb5a98805fedc31fa1262f1f0cf4d6f12d7ecd8dedd933a4c9126344fe22e937a8ad35fdeae1e876ae698b"

@Suite struct SHA512Tests {
    @Test(arguments: sha512KnownAnswers)
    func knownAnswer(_ vector: KnownAnswer) {
        #expect(hex(sha512(vector.message)) == vector.digest)
    }

    @Test(arguments: sha512KnownAnswers)
    func spanOverloadMatches(_ vector: KnownAnswer) {
        #expect(hex(SHA512.hash(vector.message.span)) == vector.digest)
    }

    @Test func oneMillionAInOddChunks() {
        var sha = SHA512()
        let chunk = [UInt8](repeating: 0x61, count: 997)
        var left = 1_000_000
        while left > 0 {
            let n = min(left, chunk.count)
            chunk.withUnsafeBytes { sha.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            left -= n
        }
        #expect(hex(sha.finalize()) == sha512KnownAnswers[4].digest)
    }

    /// Every split point of the pattern into two updates, plus byte-at-a-time.
    @Test func incrementalSplitsMatchOneShot() {
        #expect(hex(sha512(sha512Pattern)) == sha512PatternDigest)
        sha512Pattern.withUnsafeBytes { all in
            for split in 0...all.count {
                var sha = SHA512()
                sha.update(UnsafeRawBufferPointer(rebasing: all[0..<split]))
                sha.update(UnsafeRawBufferPointer(rebasing: all[split...]))
                #expect(hex(sha.finalize()) == sha512PatternDigest, "split at \(split)")
            }
            var sha = SHA512()
            for i in 0..<all.count { sha.update(UnsafeRawBufferPointer(rebasing: all[i..<(i + 1)])) }
            #expect(hex(sha.finalize()) == sha512PatternDigest)
        }
    }

    @Test func emptyUpdatesChangeNothing() {
        var sha = SHA512()
        sha.update(UnsafeRawBufferPointer(start: nil, count: 0))
        "abc".utf8.withContiguousStorageIfAvailable { sha.update(UnsafeRawBufferPointer($0)) }
        sha.update(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(hex(sha.finalize()) == sha512KnownAnswers[1].digest)
    }
}
