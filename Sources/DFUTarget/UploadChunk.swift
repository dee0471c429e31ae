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

    public init(image: Int? = nil, length: Int? = nil, offset: Int, data: UnsafeRawBufferPointer, sha: UnsafeRawBufferPointer? = nil) {
        self.image = image
        self.length = length
        self.offset = offset
        self.data = data
        self.sha = sha
    }
}
