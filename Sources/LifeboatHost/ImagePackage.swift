import Foundation
import Simulation

/// A release bundle: signed images and a manifest saying what they are and which layout they were
/// signed for, in one JSON file (`lifeboat image package`). `lifeboat device update` accepts one
/// and refuses it when the device's slots (slot info) are not the layout's.
public struct ImagePackage: Codable, Sendable {
    public static let formatName = "lifeboat-package/1"

    public struct Entry: Codable, Sendable {
        public var image: Int
        public var file: String
        public var version: String
        /// The SHA-256 TLV, hex (what state read lists).
        public var hash: String
        /// SHA-256 of the file, hex.
        public var sha256: String
        public var size: Int
        /// The primary slot size of this image in the layout (the image fits it).
        public var slotSize: Int
        public var data: Data

        enum CodingKeys: String, CodingKey {
            case image, file, version, hash, sha256, size, slotSize = "slot_size", data
        }
    }

    public var format: String
    public var board: String
    public var layout: String
    public var created: String
    public var images: [Entry]

    /// Packages `files` (image 0, 1, … in order) for `layout` of `board`. Each must be a sound
    /// MCUboot image that fits its image's primary slot.
    public init(files: [String], board: String, layout: PartitionLayout) throws(DeviceFailure) {
        guard !files.isEmpty else { throw DeviceFailure(.other, "no image files given") }
        guard files.count <= layout.imageCount else {
            throw DeviceFailure(.imageInvalid, "\(files.count) images, but layout \(layout.name) has \(layout.imageCount) image slot pair(s)")
        }
        format = Self.formatName
        self.board = board
        self.layout = layout.name
        created = ISO8601DateFormatter().string(from: Date())
        images = []
        for (index, path) in files.enumerated() {
            let slot = layout.slot(image: index, slot: 0)!.size
            let file = try ImageFile(path: path, slotSize: slot)
            guard file.bytes.count < slot else {
                throw DeviceFailure(.imageInvalid, "\(path): \(file.bytes.count) bytes do not fit image \(index)'s primary slot (\(slot) bytes) in layout \(layout.name)")
            }
            images.append(Entry(
                image: index, file: (path as NSString).lastPathComponent, version: file.version, hash: hexString(file.hash),
                sha256: hexString(file.fileSHA), size: file.bytes.count, slotSize: slot, data: Data(file.bytes)))
        }
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }

    /// Reads `path` as a package; nil when it is not one (an image file), an error when it claims
    /// to be one and is broken.
    public static func load(path: String) throws(DeviceFailure) -> ImagePackage? {
        guard let data = FileManager.default.contents(atPath: path), data.first == UInt8(ascii: "{") else { return nil }
        let package: ImagePackage
        do { package = try JSONDecoder().decode(ImagePackage.self, from: data) } catch {
            throw DeviceFailure(.imageInvalid, "\(path) is not a Lifeboat package: \(error)")
        }
        guard package.format == formatName else {
            throw DeviceFailure(.imageInvalid, "\(path): package format \(package.format), this lifeboat reads \(formatName)")
        }
        return package
    }

    /// The image file of image `number`, checked again (the hash in the manifest must be the
    /// image's), written to a temporary path for the upload.
    public func imageFile(_ number: Int = 0) throws(DeviceFailure) -> ImageFile {
        guard let entry = images.first(where: { $0.image == number }) else {
            throw DeviceFailure(.imageInvalid, "the package has no image \(number)")
        }
        let path = NSTemporaryDirectory() + "lifeboat-package-\(getpid())-\(entry.file)"
        do { try entry.data.write(to: URL(fileURLWithPath: path)) } catch {
            throw DeviceFailure(.other, "cannot write \(path): \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        var file = try ImageFile(path: path, slotSize: entry.slotSize)
        file.path = entry.file
        guard hexString(file.hash) == entry.hash, hexString(file.fileSHA) == entry.sha256 else {
            throw DeviceFailure(.imageInvalid, "the package's image \(number) (\(entry.file)) does not match its manifest hash: the package was altered")
        }
        return file
    }

    /// Refuses the package when the device's slots (slot info's `size` of each image's primary)
    /// are not the ones of the layout the images were signed for.
    public func check(slotInfo: CBORValue) throws(DeviceFailure) {
        let listed = slotInfo["images"]?.arrayValue ?? []
        for entry in images {
            guard let image = listed.first(where: { ($0["image"]?.intValue ?? 0) == entry.image }),
                let primary = image["slots"]?.arrayValue?.first(where: { $0["slot"]?.intValue == 0 }),
                let size = primary["size"]?.intValue
            else {
                throw DeviceFailure(.verification, "the device does not list image \(entry.image)'s primary slot in slot info: the package for layout \(layout) cannot be checked against it")
            }
            guard size == entry.slotSize else {
                throw DeviceFailure(.imageInvalid, "the package was made for layout \(layout) (image \(entry.image)'s primary slot \(entry.slotSize) bytes); this device's is \(size) bytes: refusing an image signed for another layout")
            }
        }
    }
}
