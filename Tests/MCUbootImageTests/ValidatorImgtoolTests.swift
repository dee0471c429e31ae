import BootCrypto
import Foundation
import MCUbootImage
import Testing

/// Which extra imgtool options a signing case adds.
enum SignExtra: String, CaseIterable, Sendable {
    case none
    case securityCounter = "--security-counter 7"
    case padConfirm = "--pad --confirm"
}

struct AcceptCase: Sendable, CustomTestStringConvertible {
    var options: SignOptions
    var testDescription: String { options.testDescription }
}

/// imgtool-signed images of every key type validate with exactly that key trusted.
@Suite(.enabled(if: imgtoolPath != nil, validatorImgtoolMissing))
struct ValidatorImgtoolTests {
    static let acceptCases: [AcceptCase] = KeyType.allCases.flatMap { type in
        [true, false].flatMap { padHeader in
            SignExtra.allCases.map { extra in
                AcceptCase(
                    options: SignOptions(
                        key: type, padHeader: padHeader, securityCounter: extra == .securityCounter ? 7 : nil,
                        padConfirm: extra == .padConfirm))
            }
        }
    }

    @Test(arguments: acceptCases)
    func imgtoolImageValidates(_ c: AcceptCase) throws {
        let signed = try signedImage(c.options)
        let type = try #require(c.options.key)
        let keyA = try keyFixture(type)

        // The slot: imgtool's --pad output is the whole slot; otherwise the image in a 0x20000 slot.
        let slotSize = c.options.padConfirm ? signed.bytes.count : SignOptions.slotSize
        if c.options.padConfirm {
            #expect(signed.bytes.count == SignOptions.slotSize)
            // MCUboot's boot magic ends the padded slot.
            #expect(
                Array(signed.bytes.suffix(16))
                    == [0x77, 0xC2, 0x95, 0xF3, 0x60, 0xD2, 0xEF, 0x7F, 0x35, 0x52, 0x50, 0x0F, 0x2C, 0xB6, 0x79, 0x80])
        } else {
            #expect(signed.bytes.count == signed.end)
        }

        // Layout as imgtool wrote it: header padding (0xff with --pad-header, the input's zeros
        // without), the payload at 0x200, SHA256 + KEYHASH + signature TLVs.
        #expect(signed.headerSize == 0x200)
        #expect(Array(signed.bytes[0x200..<(0x200 + signed.payload.count)]) == signed.payload)
        let padding = Set(signed.bytes[32..<0x200])
        #expect(padding == [c.options.padHeader ? 0xFF : 0x00])
        #expect(signed.unprotectedEntries.map(\.type) == [0x10, 0x01, type.signatureTLV])
        let keyHash = try #require(signed.entry(0x01))
        // `imgtool getpub -e raw` prints exactly the bytes whose SHA-256 imgtool puts in KEYHASH.
        #expect(Array(signed.bytes[(keyHash.offset + 4)..<(keyHash.offset + 4 + 32)]) == keyA.keyHash)
        #expect(signed.protectedSize == (c.options.securityCounter == nil ? 0 : 12))

        let result = validate(signed.bytes, slotSize: slotSize, policy: policy(trusting: keyA))
        let validated = try #require(result.image, "rejected: \(String(describing: result.rejection))")
        #expect(validated.keyIndex == 0)
        #expect(validated.securityCounter == c.options.securityCounter)
        #expect(validated.version == ImageVersion(major: 1, minor: 2, revision: 3, build: 9))
        #expect(validated.image.occupiedSize == signed.end)
        #expect(validated.image.header.imageSize == UInt32(signed.payload.count))
        #expect(validated.image.hash == Array(signed.bytes[0..<signed.unprotectedStart]).withUnsafeBytes { SHA256.hash($0) })
    }

    /// The signing key second among two trusted keys: first another key of the same type, then
    /// one of another type; the index reported is 1 either way. And first among two: index 0.
    @Test(arguments: KeyType.allCases)
    func keyIndexIsPositionInPolicy(_ type: KeyType) throws {
        let signed = try signedImage(SignOptions(key: type, securityCounter: 7))
        let a = try keyFixture(type), b = try keyFixture(type, 1), other = try keyFixture(type.other)
        for (keys, index) in [([b, a], 1), ([other, a], 1), ([a, b], 0), ([a, other], 0)] {
            let result = validate(signed.bytes, policy: ImagePolicy(trustedKeys: keys.map(\.trusted)))
            let validated = try #require(result.image, "rejected: \(String(describing: result.rejection))")
            #expect(validated.keyIndex == index)
            #expect(validated.securityCounter == 7)
        }
    }

    /// A build's signature algorithms (firmware links only the one it names): an image validates
    /// with its own algorithm chosen, alone or with all; with only another one chosen (or none,
    /// hash only) its key never verifies, so a policy that requires a signature refuses it.
    @Test(arguments: KeyType.allCases)
    func onlyTheChosenAlgorithmVerifies(_ type: KeyType) throws {
        let signed = try signedImage(SignOptions(key: type))
        let keys = [try keyFixture(type).trusted]
        func result(_ algorithms: SignatureAlgorithms) -> Result<ValidatedImage, ImageRejection> {
            validate(signed.bytes, policy: ImagePolicy(signatureAlgorithms: algorithms, trustedKeys: keys))
        }
        let own: SignatureAlgorithms = switch type {
        case .ecdsaP256: .onlyECDSAP256
        case .ed25519: .onlyEd25519
        case .rsa2048, .rsa3072: .onlyRSAPSS
        }
        let others: [SignatureAlgorithms] = switch type {
        case .ecdsaP256: [.onlyEd25519, .onlyRSAPSS, .hashOnly]
        case .ed25519: [.onlyECDSAP256, .onlyRSAPSS, .hashOnly]
        case .rsa2048, .rsa3072: [.onlyECDSAP256, .onlyEd25519, .hashOnly]
        }
        #expect(result(own).image?.keyIndex == 0, "\(String(describing: result(own).rejection))")
        #expect(result(.all).image?.keyIndex == 0)
        for other in others {
            #expect(result(other).rejection == .signatureInvalid)
        }
    }

    /// A PUBKEY TLV with the whole key (`--public-key-format full`) instead of KEYHASH.
    @Test(arguments: KeyType.allCases)
    func fullPublicKeyTLVValidates(_ type: KeyType) throws {
        let signed = try signedImage(SignOptions(key: type, publicKeyFull: true))
        let a = try keyFixture(type), b = try keyFixture(type, 1)
        let pubkey = try #require(signed.entry(0x02))
        #expect(signed.entry(0x01) == nil)
        #expect(Array(signed.bytes[(pubkey.offset + 4)..<(pubkey.offset + 4 + pubkey.length)]) == a.publicBytes)
        let result = validate(signed.bytes, policy: policy(trusting: b, a))
        #expect(result.image?.keyIndex == 1, "\(String(describing: result.rejection))")
        // The full key of an untrusted key selects nothing.
        #expect(validate(signed.bytes, policy: policy(trusting: b)).rejection == .signatureMissing)
    }

    /// imgtool `--pad-sig` zero-pads the ECDSA DER signature to 72 bytes (MCUboot < 1.5 format).
    @Test func ecdsaPaddedSignatureValidates() throws {
        let signed = try signedImage(SignOptions(key: .ecdsaP256, padSig: true))
        let sig = try #require(signed.entry(0x22))
        #expect(sig.length == 72)
        let result = validate(signed.bytes, policy: policy(trusting: try keyFixture(.ecdsaP256)))
        #expect(result.image?.keyIndex == 0, "\(String(describing: result.rejection))")
    }

    /// Images hashed with something other than SHA-256 (ECDSA P-384 uses SHA-384; `--sha 512`;
    /// Ed25519 `--pure`) carry no SHA-256 TLV: refused whatever the policy, as by a MCUboot built
    /// for SHA-256.
    @Test(arguments: [
        ("ecdsa-p384", [String]()),
        ("ed25519", ["--sha", "512"]),
        ("ed25519", ["--pure"]),
    ])
    func otherHashAlgorithmsAreMissingHash(_ keyType: String, _ extra: [String]) throws {
        let dir = try makeScratchDirectory("hash")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(repeating: 0xA5, count: 3000).write(to: dir.appendingPathComponent("app.bin"))
        try imgtool(["keygen", "-k", "k.pem", "-t", keyType], in: dir)
        try imgtool(
            ["sign", "-k", "k.pem", "--header-size", "0x200", "--slot-size", "0x20000", "--version", "1.0.0", "--pad-header"]
                + extra + ["app.bin", "signed.bin"], in: dir)
        let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent("signed.bin")))
        let ed = try keyFixture(.ed25519)
        #expect(validate(bytes, policy: ImagePolicy()).rejection == .missingHash)
        #expect(validate(bytes, policy: policy(trusting: ed)).rejection == .missingHash)
    }

    // MARK: Wrong keys, no keys, unsigned images

    @Test(arguments: KeyType.allCases)
    func untrustedSigningKeyIsSignatureMissing(_ type: KeyType) throws {
        let signed = try signedImage(SignOptions(key: type))
        let b = try keyFixture(type, 1), other = try keyFixture(type.other), otherB = try keyFixture(type.other, 1)
        // Same type, other key: the KEYHASH matches nothing, the signature is skipped.
        #expect(validate(signed.bytes, policy: policy(trusting: b)).rejection == .signatureMissing)
        // Another type: nothing matches either.
        #expect(validate(signed.bytes, policy: policy(trusting: other)).rejection == .signatureMissing)
        #expect(validate(signed.bytes, policy: policy(trusting: b, other, otherB)).rejection == .signatureMissing)
        // No keys: hash only, no key index.
        let hashOnly = try #require(validate(signed.bytes, policy: ImagePolicy()).image)
        #expect(hashOnly.keyIndex == nil)
        // Keys trusted but explicitly not required: valid with or without the right key, and no
        // key index is reported.
        let optional = validate(signed.bytes, policy: ImagePolicy(trustedKeys: [b.trusted], requireSignature: false))
        #expect(optional.image?.keyIndex == nil)
    }

    @Test func unsignedImage() throws {
        let signed = try signedImage(SignOptions(key: nil, securityCounter: 3))
        #expect(signed.unprotectedEntries.map(\.type) == [0x10])
        let hashOnly = try #require(validate(signed.bytes, policy: ImagePolicy()).image)
        #expect(hashOnly.keyIndex == nil)
        #expect(hashOnly.securityCounter == 3)
        #expect(validate(signed.bytes, policy: ImagePolicy(requireSignature: true)).rejection == .signatureMissing)
        for type in KeyType.allCases {
            #expect(validate(signed.bytes, policy: policy(trusting: try keyFixture(type))).rejection == .signatureMissing)
        }
    }

    // MARK: Policy floors

    struct VersionFloor: Sendable, CustomTestStringConvertible {
        var minimum: ImageVersion
        var accepted: Bool
        var testDescription: String {
            "minimum \(minimum.major).\(minimum.minor).\(minimum.revision)+\(minimum.build) \(accepted ? "accepts" : "refuses") 1.2.3+9"
        }
    }

    static let versionFloors: [VersionFloor] = [
        // Above.
        VersionFloor(minimum: ImageVersion(major: 1, minor: 2, revision: 4), accepted: false),
        VersionFloor(minimum: ImageVersion(major: 1, minor: 3, revision: 0), accepted: false),
        VersionFloor(minimum: ImageVersion(major: 2, minor: 0, revision: 0), accepted: false),
        VersionFloor(minimum: ImageVersion(major: 1, minor: 2, revision: 0x104), accepted: false),  // revision is u16
        // Equal (the build number is ignored, above or below).
        VersionFloor(minimum: ImageVersion(major: 1, minor: 2, revision: 3, build: 9), accepted: true),
        VersionFloor(minimum: ImageVersion(major: 1, minor: 2, revision: 3, build: 0), accepted: true),
        VersionFloor(minimum: ImageVersion(major: 1, minor: 2, revision: 3, build: 10), accepted: true),
        VersionFloor(minimum: ImageVersion(major: 1, minor: 2, revision: 3, build: .max), accepted: true),
        // Below.
        VersionFloor(minimum: ImageVersion(major: 1, minor: 2, revision: 2, build: .max), accepted: true),
        VersionFloor(minimum: ImageVersion(major: 1, minor: 1, revision: 0xFFFF), accepted: true),
        VersionFloor(minimum: ImageVersion(major: 0, minor: 255, revision: 0xFFFF), accepted: true),
        VersionFloor(minimum: ImageVersion(major: 0, minor: 0, revision: 0), accepted: true),
    ]

    @Test(arguments: versionFloors)
    func minimumVersion(_ floor: VersionFloor) throws {
        let a = try keyFixture(.ed25519)
        let signed = try signedImage(SignOptions(key: .ed25519))
        for keys in [[a], []] {
            let result = validate(
                signed.bytes, policy: ImagePolicy(trustedKeys: keys.map(\.trusted), minimumVersion: floor.minimum))
            if floor.accepted {
                #expect(result.image?.version == ImageVersion(major: 1, minor: 2, revision: 3, build: 9))
            } else {
                #expect(result.rejection == .downgrade)
            }
        }
    }

    @Test(arguments: [
        (nil, 1, ImageRejection?.some(.securityCounterMissing)),
        (nil, 0, .securityCounterMissing),  // a floor of 0 still requires the TLV
        (7, 8, .securityCounterTooLow),
        (7, .max, .securityCounterTooLow),
        (7, 7, nil),
        (7, 6, nil),
        (7, 0, nil),
    ] as [(UInt32?, UInt32, ImageRejection?)])
    func minimumSecurityCounter(_ counter: UInt32?, _ minimum: UInt32, _ expected: ImageRejection?) throws {
        let a = try keyFixture(.ecdsaP256)
        let signed = try signedImage(SignOptions(key: .ecdsaP256, securityCounter: counter))
        for keys in [[a], []] {
            let result = validate(
                signed.bytes, policy: ImagePolicy(trustedKeys: keys.map(\.trusted), minimumSecurityCounter: minimum))
            if let expected {
                #expect(result.rejection == expected)
            } else {
                #expect(result.image?.securityCounter == counter)
            }
        }
        // Without a floor the counter is reported, not checked.
        #expect(validate(signed.bytes, policy: policy(trusting: a)).image?.securityCounter == counter)
    }

    /// imgtool `--security-counter auto` derives the counter from the version.
    @Test func autoSecurityCounterFromVersion() throws {
        let dir = try makeScratchDirectory("auto")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(repeating: 0x5A, count: 1000).write(to: dir.appendingPathComponent("app.bin"))
        try imgtool(
            [
                "sign", "--header-size", "0x200", "--slot-size", "0x20000", "--version", "1.2.3+9", "--pad-header",
                "--security-counter", "auto", "app.bin", "signed.bin",
            ], in: dir)
        let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent("signed.bin")))
        // imgtool: (major << 24) + (minor << 16) + revision.
        #expect(validate(bytes, policy: ImagePolicy()).image?.securityCounter == 0x0102_0003)
    }
}
