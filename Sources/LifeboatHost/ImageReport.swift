import BootCrypto
import FlashKit
import Foundation
import MCUbootImage
import Simulation

/// Everything `lifeboat image info` / `verify` says about an image file: header, TLVs, hash,
/// signature verdict and trailer, read with the same portable parsers and validator the
/// bootloader uses (over an in-memory flash holding the file).
public struct ImageReport {
    public struct TLV: Sendable {
        public var type: UInt16
        public var isProtected: Bool
        public var value: [UInt8]
        public var name: String { TLVType(rawValue: type).name }
    }

    public var size: Int
    public var slotSize: Int
    public var header: ImageHeader?
    public var tlvs: [TLV] = []
    public var computedHash: [UInt8]?
    /// The validator's verdict under the given keys.
    public var verdict: Result<ValidatedImage, ImageRejection>
    /// The trusted keys the verdict was reached with.
    public var keys: [PublicKey]
    /// Trailer magic at the end of the slot-sized file, and the image_ok byte.
    public var trailerMagic: Bool = false
    public var imageOK: UInt8?

    /// Reads `bytes` as the content of a slot of `slotSize` bytes (default: the file rounded up
    /// past its end to 4 KiB, so the image fits strictly inside, as MCUboot requires).
    public init(bytes: [UInt8], keys: [PublicKey], slotSize: Int? = nil) throws {
        size = bytes.count
        let slot = slotSize ?? ((bytes.count + 1 + 4095) / 4096 * 4096)
        guard slot >= bytes.count else {
            throw SigningError("the file (\(bytes.count) bytes) is larger than the slot size (\(slot))")
        }
        self.slotSize = slot
        self.keys = keys
        let flash = try NORFlashModel(size: (slot + 4095) / 4096 * 4096, eraseSize: 4096, writeSize: 1)
        try flash.load(bytes, at: 0)
        let area = try FlashArea(device: flash, offset: 0, size: (slot + 4095) / 4096 * 4096)

        let validator = ImageValidator(policy: ImagePolicy(trustedKeys: keys.map(\.trustedKey)))
        verdict = Result { () throws(ImageRejection) in try validator.validate(area) }

        if let header = try? ImageInspector().readHeader(from: area) {
            self.header = header
            if header.hashedSize <= UInt32(bytes.count) {
                computedHash = Array(bytes[0..<Int(header.hashedSize)]).withUnsafeBytes { SHA256.hash($0) }.withUnsafeBytes { Array($0) }
            }
            if let layout = try? TLVLayout(reading: area, header: header) {
                var entries = layout.entries(in: area)
                while let entry = try? entries.next() {
                    let value = entry.offset + entry.length <= bytes.count ? Array(bytes[entry.offset..<(entry.offset + entry.length)]) : []
                    tlvs.append(TLV(type: entry.type.rawValue, isProtected: entry.isProtected, value: value))
                }
            }
        }
        // A slot-sized file may carry a trailer (imgtool --pad): either form of the magic, and
        // image_ok where a trailer for that BOOT_MAX_ALIGN keeps it.
        if bytes.count == slot, bytes.count >= 64,
            let align = Array(bytes.suffix(16)).withUnsafeBytes({ ImageTrailer.magicAlign($0) }), align <= 32
        {
            trailerMagic = true
            let layout = TrailerLayout(slotSize: slot, writeSize: 1, maxAlign: align, statusSectors: 0)
            imageOK = bytes[layout.imageOKOffset]
        }
    }

    public var isValid: Bool { if case .success = verdict { true } else { false } }

    /// The reason for a rejection, in words.
    public var rejection: String? {
        if case .failure(let reason) = verdict { return reason.description.description }
        return nil
    }

    /// The human-readable report.
    public func text(path: String) -> String {
        var lines = ["\(path): \(size) bytes (as a slot of \(slotSize) bytes)"]
        guard let header else {
            lines.append("not an MCUboot image: \(rejection ?? "no header")")
            return lines.joined(separator: "\n")
        }
        lines.append("header:    magic 0x96f3b83d, version \(header.version.imgtoolText), header size 0x\(hex(Int(header.headerSize))), "
                     + "image size \(header.imageSize) (0x\(hex(Int(header.imageSize)))), protected TLVs \(header.protectedTLVSize) bytes, "
                     + "load address 0x\(hex(Int(header.loadAddress))), flags \(flagNames(header.flags))")
        for isProtected in [true, false] where tlvs.contains(where: { $0.isProtected == isProtected }) {
            lines.append(isProtected ? "protected TLVs (0x6908):" : "TLVs (0x6907):")
            for tlv in tlvs where tlv.isProtected == isProtected {
                var value = tlv.value.count <= 32 ? tlv.value.map { String(format: "%02x", $0) }.joined() : "\(tlv.value.count) bytes"
                if tlv.type == TLVType.securityCounter.rawValue, tlv.value.count == 4 {
                    value = "\(UInt32(tlv.value[0]) | UInt32(tlv.value[1]) << 8 | UInt32(tlv.value[2]) << 16 | UInt32(tlv.value[3]) << 24)"
                }
                if tlv.type == TLVType.keyHash.rawValue {
                    if let index = keys.firstIndex(where: { $0.keyHash.starts(with: tlv.value) }) { value += " (key \(index + 1))" } else { value += " (not a given key)" }
                }
                lines.append("  0x\(String(format: "%02x", tlv.type)) \(tlv.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(String(format: "%4d", tlv.value.count)) B  \(value)")
            }
        }
        let stored = tlvs.first { $0.type == TLVType.sha256.rawValue }?.value
        lines.append("hash:      " + (stored != nil && stored == computedHash ? "ok (SHA-256 of the first \(header.hashedSize) bytes)" : "MISMATCH or missing"))
        switch verdict {
        case .success(let image):
            if let index = image.keyIndex {
                lines.append("signature: valid, by key \(index + 1) (\(keys[index].type.rawValue))")
            } else {
                lines.append("signature: not checked (no key given); the image is valid for a bootloader without a signature type")
            }
            if let counter = image.securityCounter { lines.append("security counter: \(counter)") }
        case .failure(let reason):
            lines.append("verdict:   REJECTED: \(reason.description)")
        }
        if trailerMagic {
            lines.append("trailer:   magic present (padded to the slot)" + (imageOK == 0x01 ? ", image_ok set (confirmed)" : ", image_ok unset (test)"))
        }
        return lines.joined(separator: "\n")
    }

    /// The report as JSON (for scripts).
    public func json(path: String) throws -> String {
        var object: [String: Any] = ["file": path, "size": size, "slot_size": slotSize, "valid": isValid]
        if let header {
            object["header"] = [
                "magic": 0x96F3_B83D, "load_address": Int(header.loadAddress), "header_size": Int(header.headerSize),
                "protected_tlv_size": Int(header.protectedTLVSize), "image_size": Int(header.imageSize), "flags": Int(header.flags.rawValue),
                "version": header.version.imgtoolText,
            ]
        }
        object["tlvs"] = tlvs.map { tlv in
            ["type": Int(tlv.type), "name": tlv.name, "protected": tlv.isProtected, "length": tlv.value.count,
             "value": tlv.value.map { String(format: "%02x", $0) }.joined()] as [String: Any]
        }
        if let computedHash { object["computed_hash"] = computedHash.map { String(format: "%02x", $0) }.joined() }
        switch verdict {
        case .success(let image):
            object["signature_key"] = image.keyIndex.map { $0 + 1 } as Any
            object["security_counter"] = image.securityCounter.map { Int($0) } as Any
        case .failure(let reason):
            object["rejection"] = reason.description.description
        }
        if trailerMagic { object["trailer"] = ["magic": true, "image_ok": imageOK == 0x01] }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    func hex(_ v: Int) -> String { String(v, radix: 16) }

    func flagNames(_ flags: ImageFlags) -> String {
        let names: [(ImageFlags, String)] = [(.pic, "PIC"), (.encryptedAES128, "ENCRYPTED_AES128"), (.encryptedAES256, "ENCRYPTED_AES256"),
                                             (.nonBootable, "NON_BOOTABLE"), (.ramLoad, "RAM_LOAD"), (.romFixed, "ROM_FIXED"),
                                             (.compressedLZMA1, "COMPRESSED_LZMA1"), (.compressedLZMA2, "COMPRESSED_LZMA2")]
        let set = names.filter { flags.contains($0.0) }.map(\.1)
        return set.isEmpty ? "none" : set.joined(separator: "|")
    }
}

extension ImageVersion {
    /// imgtool's spelling: `1.2.3+4`.
    public var imgtoolText: String { "\(major).\(minor).\(revision)+\(build)" }
}

extension TLVType {
    /// MCUboot's name for the TLV type.
    public var name: String {
        switch rawValue {
        case 0x01: "KEYHASH"
        case 0x02: "PUBKEY"
        case 0x10: "SHA256"
        case 0x11: "SHA384"
        case 0x12: "SHA512"
        case 0x20: "RSA2048_PSS"
        case 0x21: "ECDSA224"
        case 0x22: "ECDSA_SIG"
        case 0x23: "RSA3072_PSS"
        case 0x24: "ED25519"
        case 0x25: "SIG_PURE"
        case 0x30: "ENC_RSA2048"
        case 0x31: "ENC_KW"
        case 0x32: "ENC_EC256"
        case 0x33: "ENC_X25519"
        case 0x34: "ENC_X25519_SHA512"
        case 0x40: "DEPENDENCY"
        case 0x50: "SEC_CNT"
        case 0x60: "BOOT_RECORD"
        case 0x70: "DECOMP_SIZE"
        case 0x71: "DECOMP_SHA"
        case 0x72: "DECOMP_SIGNATURE"
        case 0x73: "COMP_DEC_SIZE"
        case 0x74: "UUID_VID"
        case 0x75: "UUID_CID"
        default: "UNKNOWN"
        }
    }
}
