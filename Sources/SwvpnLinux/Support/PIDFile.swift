import Glibc

/// `writepid FILE`: the process ID while the tunnel runs, gone (or empty) once it exits.
///
/// With `user`/`group` the file is written as root but removed after the privilege drop, when the
/// directory (root's /run/swvpnd under the unit) no longer lets us unlink it, and the unit grants no
/// CAP_CHOWN to hand the file over. So the file's descriptor is kept open from its creation: at exit the
/// file is unlinked if we still can, and otherwise emptied through that descriptor. An empty pid file
/// names no process, so nothing can signal a reused PID through it.
package final class PIDFile: Sendable {
    package let path: String
    private let fd: Int32

    package enum Removal: Sendable, Equatable {
        case removed
        /// Left in place, empty: its directory is not writable by the account we dropped to.
        case emptied(unlinkErrno: Int32)
        /// Someone else's file is at the path now (a newer instance wrote it): left alone.
        case replaced
        case failed(SystemError)
    }

    /// Writes our PID (a new file, atomically) and keeps it open for `remove()`.
    package init(writing path: String) throws(SystemError) {
        try PosixFileSystem.replace(path, with: "\(getpid())\n", mode: 0o644)
        let fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError(errno: errno, syscall: "open(\(path))") }
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    package func remove() -> Removal {
        var mine = stat()
        var current = stat()
        guard fstat(fd, &mine) == 0 else { return .failed(SystemError(errno: errno, syscall: "fstat(\(path))")) }
        if lstat(path, &current) == 0 {
            guard current.st_dev == mine.st_dev && current.st_ino == mine.st_ino else { return .replaced }
        } else if errno == ENOENT {
            return .removed
        }
        // Else the directory is not even searchable (root's 0750 /run/swvpnd after the drop): the file
        // there can only be ours or root's, and truncating through our descriptor touches only ours.
        if unlink(path) == 0 { return .removed }
        let unlinkErrno = errno
        guard ftruncate(fd, 0) == 0 else {
            return .failed(SystemError(errno: errno, syscall: "unlink/truncate \(path)"))
        }
        return .emptied(unlinkErrno: unlinkErrno)
    }
}
