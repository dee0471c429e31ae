import ArgumentParser
import Foundation
import LifeboatHost
import MCUbootImage

struct Image: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign and inspect MCUboot images (imgtool-compatible).",
        subcommands: [Sign.self, Verify.self, Info.self, Package.self]
    )

    struct Package: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bundle signed images with a manifest for a layout (what `lifeboat device update` installs).",
            discussion: """
                One JSON file: the images (image 0, 1, … in the order given) and a manifest with \
                each one's version, hash, size and the primary slot size of the layout they were \
                signed for. `lifeboat device update PACKAGE` checks the device's slot sizes (slot \
                info) against it and refuses a package made for another layout.
                """)
        @Option(help: "Board descriptor name.") var board = "nrf52840dk"
        @Option(help: "Layout name or file (default: the board's).") var layout: String?
        @Option(name: .shortAndLong, help: "Package file to write.") var output: String
        @Argument(help: "Signed images: image 0, then image 1, …") var images: [String]

        func run() throws {
            let (_, layout) = try loadPair(board: board, layout: layout ?? board)
            do {
                let package = try ImagePackage(files: images, board: board, layout: layout)
                try package.write(to: output)
                print("wrote \(output): layout \(layout.name) (\(board)), " + package.images.map { "image \($0.image) \($0.version) (\($0.hash.prefix(8))…, \($0.size) bytes)" }.joined(separator: ", "))
            } catch let failure as DeviceFailure {
                FileHandle.standardError.write(Data("Error: \(failure.message)\n".utf8))
                throw ExitCode(failure.kind.exitCode)
            }
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an MCUboot image from an application binary, as `imgtool sign` does.",
            discussion: """
                Without --key the image carries only its SHA-256 TLV (for a bootloader built without \
                a signature type). Unsigned and Ed25519 images are byte-identical to imgtool's for the \
                same inputs; ECDSA and RSA-PSS signatures are randomised, so only the layout matches.
                """)

        @Option(name: [.short, .long], help: "Private key PEM (ecdsa-p256, ed25519, rsa-2048, rsa-3072).")
        var key: String?

        @Option(help: "Image version: major[.minor[.revision]][+build].")
        var version: String

        @Option(name: [.customShort("H"), .long], help: "Header size in bytes (e.g. 0x200).")
        var headerSize: HexInt

        @Option(name: [.customShort("S"), .long], help: "Slot size in bytes (e.g. 0x76000).")
        var slotSize: HexInt

        @Option(help: "Flash write alignment: 1, 2, 4, 8, 16 or 32.")
        var align: Int = 1

        @Flag(help: "Add the header padding in front of the input instead of requiring it to be zeros.")
        var padHeader = false

        @Flag(help: "Pad the image to the slot size and add the trailer magic (marks it for a swap).")
        var pad = false

        @Flag(help: "Pad, and mark the image confirmed (image_ok) so it stays after the swap.")
        var confirm = false

        @Option(help: "Security counter for rollback protection (a number, or 'auto' for the version).")
        var securityCounter: String?

        @Option(help: "Sectors the trailer's swap status covers.")
        var maxSectors = 128

        @Option(help: "Maximum flash alignment (trailer fields), default max(8, align).")
        var maxAlign: Int?

        @Flag(help: "Trailer for an overwrite-only bootloader (no swap status).")
        var overwriteOnly = false

        @Option(help: "Value of erased flash: 0xff or 0.")
        var erasedVal: HexInt = HexInt(0xFF)

        @Option(help: "Public key in the image: hash (KEYHASH TLV) or full (PUBKEY TLV).")
        var publicKeyFormat: String = "hash"

        @Argument(help: "Application binary.")
        var input: String

        @Argument(help: "Output image.")
        var output: String

        func validate() throws {
            guard [1, 2, 4, 8, 16, 32].contains(align) else { throw ValidationError("--align must be 1, 2, 4, 8, 16 or 32") }
            guard ["hash", "full"].contains(publicKeyFormat) else { throw ValidationError("--public-key-format must be hash or full") }
            guard erasedVal.value == 0xFF || erasedVal.value == 0 else { throw ValidationError("--erased-val must be 0xff or 0") }
        }

        func run() throws {
            guard let parsedVersion = ImageVersion(parsing: version) else {
                throw CLIError("version '\(version)' is not major[.minor[.revision]][+build] within 255.255.65535+4294967295")
            }
            var options = SigningOptions(version: parsedVersion, slotSize: slotSize.value)
            options.headerSize = headerSize.value
            options.padHeader = padHeader
            options.align = align
            options.pad = pad
            options.confirm = confirm
            options.maxSectors = maxSectors
            options.maxAlign = maxAlign
            options.overwriteOnly = overwriteOnly
            options.erasedValue = UInt8(erasedVal.value)
            options.fullPublicKey = publicKeyFormat == "full"
            if let securityCounter {
                if securityCounter == "auto" {
                    options.securityCounter = UInt32(parsedVersion.major) << 24 | UInt32(parsedVersion.minor) << 16 | UInt32(parsedVersion.revision)
                } else if let value = HexInt(argument: securityCounter), let counter = UInt32(exactly: value.value) {
                    options.securityCounter = counter
                } else {
                    throw ValidationError("--security-counter must be a 32-bit number or 'auto'")
                }
            }
            let signingKey = try key.map { try SigningKey.load(path: $0) }
            guard let data = FileManager.default.contents(atPath: input) else {
                throw CLIError("cannot read \(input)")
            }
            do {
                let image = try ImageSigner(options: options, key: signingKey).sign(Array(data))
                try Data(image).write(to: URL(fileURLWithPath: output))
                let what = signingKey.map { "signed with \($0.type.rawValue)" } ?? "hash only (no key)"
                print("wrote \(output): \(image.count) bytes, version \(parsedVersion.text), \(what)")
            } catch let error as SigningError {
                throw CLIError(error.description)
            }
        }
    }
}

/// An integer option in decimal or 0x-hexadecimal, as imgtool accepts them.
struct HexInt: ExpressibleByArgument {
    var value: Int
    init(_ value: Int) { self.value = value }
    init?(argument: String) {
        let t = argument.lowercased()
        guard let v = t.hasPrefix("0x") ? Int(t.dropFirst(2), radix: 16) : Int(t), v >= 0 else { return nil }
        value = v
    }
    var defaultValueDescription: String { "0x" + String(value, radix: 16) }
}

extension Image {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an image as the bootloader would: exit 0 when valid, 1 with the reason.",
            discussion: """
                Checks the header, the TLV areas, the SHA-256 over header + body + protected TLVs and, \
                with --key, that a signature by one of the keys verifies. Without --key only the hash \
                is checked (a bootloader built without a signature type).
                """)

        @Argument(help: "Image file.")
        var file: String

        @Option(name: [.short, .long], help: "Trusted key PEM (public or private); repeat for several.")
        var key: [String] = []

        @Option(name: [.customShort("S"), .long], help: "Slot size; default: the file rounded up to 4 KiB past its end.")
        var slotSize: HexInt?

        func run() throws {
            let report = try loadReport(file: file, keys: key, slotSize: slotSize?.value)
            if report.isValid {
                let how = key.isEmpty ? "hash ok, signature not checked (no --key)" : "hash and signature ok"
                print("\(file): valid (\(how)), version \(report.header.map { $0.version.imgtoolText } ?? "?")")
            } else {
                FileHandle.standardError.write(Data("\(file): invalid: \(report.rejection ?? "unknown")\n".utf8))
                throw ExitCode.failure
            }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an image's header, TLVs, hash and signature check (imgtool dumpinfo + verify).")

        @Argument(help: "Image file.")
        var file: String

        @Option(name: [.short, .long], help: "Trusted key PEM to check the signature with; repeat for several.")
        var key: [String] = []

        @Option(name: [.customShort("S"), .long], help: "Slot size; default: the file rounded up to 4 KiB past its end.")
        var slotSize: HexInt?

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let report = try loadReport(file: file, keys: key, slotSize: slotSize?.value)
            print(json ? try report.json(path: file) : report.text(path: file))
        }
    }
}

func loadReport(file: String, keys: [String], slotSize: Int?) throws -> ImageReport {
    guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
    let publicKeys = try keys.map { path in
        do { return try PublicKey.load(path: path) } catch { throw CLIError("\(error)") }
    }
    do {
        return try ImageReport(bytes: Array(data), keys: publicKeys, slotSize: slotSize)
    } catch let error as SigningError {
        throw CLIError(error.description)
    }
}
