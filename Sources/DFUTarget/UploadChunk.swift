import SMP

/// One decoded image-upload request (SMP group 1, command 1).
///
/// `image` and `length` are only meaningful when `offset` is 0 (MCUboot reads them only then);
/// `data` and `sha` borrow the request buffer and are valid while the request is handled.
public struct UploadChunk {
    /// `"image"`: the upload target number, interpreted by the ``UploadPolicy``. Absent means 0.
    public var image: Int?
    /// `"len"`: the total image length, required when `offset` is 0.
    public var length: Int?
    /// `"off"`: where `data` belongs in the image.
    public var offset: Int
    /// `"data"`: the bytes of this chunk.
    public var data: UnsafeRawBufferPointer
    /// `"sha"`: an identifier of the whole upload (smpclient sends SHA-256 of the file). MCUboot
    /// ignores it; Lifeboat uses it, as Zephyr's application server does, to resume an
    /// interrupted upload instead of restarting it.
    public var sha: UnsafeRawBufferPointer?
    /// `"upgrade"`: the application refuses the upload unless the image is newer than the
    /// running one (MCUboot recovery ignores it).
    public var upgrade: Bool = false

    public init(image: Int? = nil, length: Int? = nil, offset: Int, data: UnsafeRawBufferPointer, sha: UnsafeRawBufferPointer? = nil) {
        self.image = image
        self.length = length
        self.offset = offset
        self.data = data
        self.sha = sha
    }

    /// Decodes an upload request `{image?, len?, off, data, sha?, upgrade?}`; nil when `off` or
    /// `data` is missing. Unknown keys are skipped; a duplicate key or a value of the wrong type
    /// throws.
    public static func decode(_ payload: UnsafeRawBufferPointer) throws(CBORError) -> UploadChunk? {
        var reader = CBORReader(payload)
        var scan = try CBORMapScanner(&reader, keys: ["image", "len", "off", "data", "sha", "upgrade"])
        var image: Int?, length: Int?, offset: Int?
        var data: UnsafeRawBufferPointer?, sha: UnsafeRawBufferPointer?
        var upgrade = false
        while let key = try scan.next(&reader) {
            switch key {
            // Values beyond Int (32 bits on the target) are clamped: they then fail the range
            // checks (slot size, expected offset, image number) instead of trapping.
            case 0: image = Int(clamping: try reader.readUnsigned())
            case 1: length = Int(clamping: try reader.readUnsigned())
            case 2: offset = Int(clamping: try reader.readUnsigned())
            case 3: data = try reader.readBytes()
            case 4: sha = try reader.readBytes()
            default: upgrade = try reader.readBool()
            }
        }
        guard let offset, let data else { return nil }
        var chunk = UploadChunk(image: image, length: length, offset: offset, data: data, sha: sha)
        chunk.upgrade = upgrade
        return chunk
    }
}
