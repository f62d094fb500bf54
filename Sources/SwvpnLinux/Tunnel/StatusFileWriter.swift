import Glibc

/// The `status FILE` target, opened once at set-up like openvpn does, so the file can still be rewritten
/// after `user`/`group` dropped the privileges needed to create files in its directory.
final class StatusFileWriter {
    let path: String
    private let fd: Int32

    init(path: String) throws(SystemError) {
        self.path = path
        fd = PosixFileSystem.openForWriting(path, flags: O_WRONLY | O_CREAT, mode: 0o644)
        guard fd >= 0 else { throw SystemError(errno: errno, syscall: "open") }
    }

    deinit { close(fd) }

    /// Rewrites the file in place: the new text first, then the length, so a reader never sees it empty.
    func write(_ text: String) throws(SystemError) {
        var bytes = Array(text.utf8)
        let n = bytes.withUnsafeMutableBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard n == bytes.count else { throw SystemError(errno: n < 0 ? errno : EIO, syscall: "pwrite") }
        guard ftruncate(fd, off_t(bytes.count)) == 0 else { throw SystemError(errno: errno, syscall: "ftruncate") }
    }
}
