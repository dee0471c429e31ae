import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file that keeps a ``NORFlashModel``'s bytes across restarts of the simulator process.
///
/// The file is a raw image of the device: byte `i` of the file is byte `i` of the flash, nothing
/// else (no header), so it can be inspected with `xxd` or handed to other tools. The model writes
/// every changed range straight through with `pwrite`; `sync()` adds an `fsync` for callers that
/// need the bytes on disk (not just in the page cache) before they go on.
final class FlashBackingFile {
    let path: String
    private let fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// Opens `path` and returns it with its contents, or creates it holding `size` bytes of
    /// `erasedValue` when it does not exist. An existing file must hold exactly `size` bytes: a
    /// file of another size is an image of some other device, and silently truncating or padding
    /// it would hide that.
    static func openOrCreate(
        path: String, size: Int, erasedValue: UInt8
    ) throws(NORFlashModelError) -> (file: FlashBackingFile, contents: [UInt8]) {
        var fd = open(path, O_RDWR | O_CLOEXEC)
        if fd >= 0 {
            let file = FlashBackingFile(path: path, fd: fd)
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw .backingFileIO(path: path, operation: "fstat", errno: errno) }
            let actual = Int(info.st_size)
            guard actual == size else { throw .backingFileSizeMismatch(path: path, expected: size, actual: actual) }
            var contents = [UInt8](repeating: erasedValue, count: size)
            let failure: Int32? = contents.withUnsafeMutableBytes { buffer in
                var done = 0
                while done < size {
                    let n = pread(fd, buffer.baseAddress! + done, size - done, off_t(done))
                    if n < 0 {
                        if errno == EINTR { continue }
                        return errno
                    }
                    if n == 0 { return EIO }  // shrank under us
                    done += n
                }
                return nil
            }
            if let failure { throw .backingFileIO(path: path, operation: "pread", errno: failure) }
            return (file, contents)
        }
        guard errno == ENOENT else { throw .backingFileIO(path: path, operation: "open", errno: errno) }
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(0o644))
        guard fd >= 0 else { throw .backingFileIO(path: path, operation: "create", errno: errno) }
        let file = FlashBackingFile(path: path, fd: fd)
        let contents = [UInt8](repeating: erasedValue, count: size)
        if let failure = contents.withUnsafeBytes({ file.store($0, offset: 0, count: size) }) {
            throw .backingFileIO(path: path, operation: "pwrite", errno: failure)
        }
        return (file, contents)
    }

    /// Writes `count` bytes of `image` starting at `offset` to the same offset of the file.
    /// Returns the `errno` of a failure, nil on success.
    func store(_ image: UnsafeRawBufferPointer, offset: Int, count: Int) -> Int32? {
        guard count > 0 else { return nil }
        let base = image.baseAddress! + offset
        var done = 0
        while done < count {
            let n = pwrite(fd, base + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += n
        }
        return nil
    }

    /// Flushes the file to stable storage. Returns the `errno` of a failure, nil on success.
    func sync() -> Int32? {
        fsync(fd) == 0 ? nil : errno
    }
}
