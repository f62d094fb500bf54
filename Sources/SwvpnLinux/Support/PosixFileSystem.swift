import Glibc
import SwvpnConfig
import SwvpnCrypto

/// The real file system for the config parser and the key loader.
package struct PosixFileSystem: ConfigFileSystem, Sendable {
    package init() {}

    package func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileReadError(errno: errno) }
        defer { close(fd) }
        return try Self.readAll(fd)
    }

    /// Key files and configs with an inline `<secret>` pass through here: the result is sized from
    /// `fstat` so it does not grow (leaving freed copies behind), and the read buffer is wiped.
    private static func readAll(_ fd: Int32) throws -> [UInt8] {
        var result: [UInt8] = []
        var info = stat()
        if fstat(fd, &info) == 0, info.st_size > 0, info.st_size <= 4 * 1024 * 1024 {
            result.reserveCapacity(Int(info.st_size))
        }
        var chunk = [UInt8](repeating: 0, count: 16384)
        defer { SecureMemory.wipe(&chunk) }
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileReadError(errno: errno)
            }
            if n == 0 { break }
            result += chunk[0..<n]
            // Config and key files are small; refuse to slurp something that is clearly not one.
            if result.count > 4 * 1024 * 1024 { throw FileReadError(errno: EFBIG) }
        }
        return result
    }
}

extension PosixFileSystem {
    /// Opens a file the daemon writes as root (log, status, replay state) with `O_NOFOLLOW`: a
    /// symlink planted at that path would otherwise make root write wherever it points. Fails with
    /// ELOOP ("Too many levels of symbolic links") on a symlink. Returns the fd or -1 (errno set).
    package static func openForWriting(_ path: String, flags: Int32, mode: mode_t) -> Int32 {
        open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode)
    }

    /// Reads a key file and returns its permission bits too, from the same open file (no race).
    package func readWithMode(_ path: String) throws -> (bytes: [UInt8], mode: mode_t) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileReadError(errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileReadError(errno: errno) }
        return (try Self.readAll(fd), info.st_mode & 0o7777)
    }
}

/// Why a file could not be read, as the bare system reason: callers already name the file and
/// the directive that pointed to it.
package struct FileReadError: Error, CustomStringConvertible {
    package let errno: Int32
    package var description: String { SystemError.text(for: errno) }
}

extension PosixFileSystem {
    /// Replaces `path` with `contents` so readers never see half a file: a temporary file in the same
    /// directory (created with `mode`), optionally fsynced, renamed over the target, and the directory
    /// fsynced. Used for keys (0600, synced), status and pid files.
    package static func replace(_ path: String, with contents: String, mode: mode_t, sync: Bool = false)
        throws(SystemError)
    {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        var template = Array((directory + "/.swvpnd-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SystemError(errno: errno, syscall: "create a file in \(directory)") }
        let tmp = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var failure: SystemError?
        var bytes = Array(contents.utf8)
        if fchmod(fd, mode) != 0 {
            failure = SystemError(errno: errno, syscall: "fchmod \(tmp)")
        } else if bytes.withUnsafeMutableBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) != bytes.count {
            failure = SystemError(errno: errno, syscall: "write \(tmp)")
        } else if sync && fsync(fd) != 0 {
            failure = SystemError(errno: errno, syscall: "fsync \(tmp)")
        }
        close(fd)
        if failure == nil && rename(tmp, path) != 0 {
            failure = SystemError(errno: errno, syscall: "rename to \(path)")
        }
        if let failure {
            unlink(tmp)
            throw failure
        }
        if sync {
            let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dfd >= 0 {
                fsync(dfd)
                close(dfd)
            }
        }
    }
}
