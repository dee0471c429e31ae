import ArgumentParser
import Foundation
import LifeboatHost

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate signing keys and export public keys, in imgtool's formats.",
        subcommands: [Generate.self, Public.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a private key (PKCS#8 PEM, as `imgtool keygen` writes).")

        @Option(help: "Key type: \(KeyType.allCases.map(\.rawValue).joined(separator: ", ")).")
        var type: KeyTypeOption

        @Argument(help: "Output PEM file.")
        var output: String

        @Flag(help: "Overwrite an existing file.")
        var force = false

        func run() throws {
            if !force && FileManager.default.fileExists(atPath: output) {
                throw CLIError("\(output) exists; use --force to overwrite it")
            }
            let key = try SigningKey.generate(type.keyType)
            try key.pemRepresentation.write(toFile: output, atomically: true, encoding: .utf8)
            chmod(output, 0o600)
            print("wrote \(type.rawValue) private key to \(output)")
        }
    }

    struct Public: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the public key of a key file.",
            discussion: """
                --format pem: SubjectPublicKeyInfo PEM (`imgtool getpub -e pem`). --format swift: the \
                bytes MCUboot keeps in the bootloader (SPKI for ECDSA and Ed25519, PKCS#1 for RSA) \
                as a Swift constant for the firmware's trusted-key table. --format hash: the KEYHASH \
                (SHA-256 of those bytes, `imgtool getpubhash`).
                """)

        @Argument(help: "Private or public key PEM file.")
        var key: String

        @Option(help: "Output format: pem, swift or hash.")
        var format: Format = .pem

        enum Format: String, ExpressibleByArgument, CaseIterable { case pem, swift, hash }

        func run() throws {
            let publicKey = try PublicKey.load(path: key)
            switch format {
            case .pem: print(publicKey.pemRepresentation, terminator: "")
            case .hash: print(publicKey.keyHash.map { String(format: "%02x", $0) }.joined())
            case .swift: print(publicKey.swiftSource(name: swiftName))
            }
        }

        var swiftName: String {
            let base = URL(fileURLWithPath: key).deletingPathExtension().lastPathComponent
            let words = base.split { !$0.isLetter && !$0.isNumber }
            let camel = words.enumerated().map { $0 == 0 ? $1.lowercased() : $1.prefix(1).uppercased() + $1.dropFirst().lowercased() }.joined()
            let name = camel.isEmpty ? "trusted" : camel
            return (name.first!.isNumber ? "key" + name : name) + "Key"
        }
    }
}

struct KeyTypeOption: ExpressibleByArgument {
    var keyType: KeyType
    var rawValue: String { keyType.rawValue }
    init?(argument: String) {
        guard let type = KeyType(rawValue: argument) else { return nil }
        keyType = type
    }
    static var allValueStrings: [String] { KeyType.allCases.map(\.rawValue) }
}
