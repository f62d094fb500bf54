import Glibc
import SwvpnProtocol

/// The receive side's replay high-water mark (session time T, highest packet-id H) kept across
/// restarts, so a restarted receiver still rejects packets captured before the restart: openvpn's
/// `replay-persist FILE`, and by default under systemd `$STATE_DIRECTORY/NAME.replay`.
///
/// Format (PROTOCOL.md §4.5, what openvpn 2.6 writes on 64-bit Linux): 16 bytes, `int64 T`
/// little-endian, `uint32 H` little-endian, 4 bytes of padding (we write zeros).
///
/// A save replaces the file atomically: the mark goes into a temporary file in the same directory
/// (`O_EXCL|O_NOFOLLOW`, 0600), which is fsynced and renamed over the file, then the directory is
/// fsynced. A crash at any point leaves the old file or the new one, whole; a temporary file left
/// behind is removed at the next start.
///
/// Two processes cannot share one file: the current file is held with an exclusive `flock`. A new
/// file is locked before it is renamed into place, and an opener checks after locking that the path
/// still names the file it locked (else a save replaced it meanwhile, and it looks again).
///
/// When the directory refuses a new file (after a `user`/`group` privilege drop the daemon may no
/// longer create files in root's `/var/lib/swvpnd`), the mark is written in place into the file held
/// open since start-up and fdatasync'd: 16 bytes at offset 0, inside one sector, which disks write
/// whole in practice, but without the guarantee of the rename.
final class ReplayPersistFile {
    static let recordLength = 16

    let path: String
    private let directory: Int32
    private let name: String
    private let temporaryName: String
    private var fd: Int32
    private(set) var stored: (time: UInt32, id: UInt32)?
    /// True once the directory refused a temporary file: saves then write in place.
    var writesInPlace = false

    init(path: String) throws(SetupError) {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let directoryPath = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        temporaryName = "." + name + ".tmp"
        directory = open(directoryPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0, !name.isEmpty else {
            let reason =
                name.isEmpty ? "not a file name" : SystemError(errno: errno, syscall: "open its directory").message
            if directory >= 0 { close(directory) }
            throw .replayPersist(path: path, reason: reason)
        }
        do throws(SetupError) {
            fd = try Self.openLocked(directory: directory, name: name, path: path)
        } catch {
            close(directory)
            throw error
        }
        unlinkat(directory, temporaryName, 0)  // left by a crash mid-save; only the lock holder writes it
        var raw = [UInt8](repeating: 0, count: Self.recordLength)
        let n = raw.withUnsafeMutableBytes { pread(fd, $0.baseAddress, Self.recordLength, 0) }
        if n >= 12 { stored = Self.decode(raw) }
    }

    deinit {
        close(fd)
        close(directory)
    }

    /// Opens (creating it 0600) and locks the file; retries when a save of another process swapped it.
    private static func openLocked(directory: Int32, name: String, path: String) throws(SetupError) -> Int32 {
        for _ in 0..<10 {
            let fd = openat(directory, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                throw .replayPersist(path: path, reason: SystemError(errno: errno, syscall: "open").message)
            }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let reason =
                    errno == EWOULDBLOCK
                    ? "in use by another process" : SystemError(errno: errno, syscall: "flock").message
                close(fd)
                throw .replayPersist(path: path, reason: reason)
            }
            var held = stat()
            var current = stat()
            if fstat(fd, &held) == 0, fstatat(directory, name, &current, AT_SYMLINK_NOFOLLOW) == 0,
                held.st_ino == current.st_ino, held.st_dev == current.st_dev
            {
                return fd
            }
            close(fd)  // renamed over since we opened it: the new file is the one to lock
        }
        throw .replayPersist(path: path, reason: "in use by another process (it keeps replacing the file)")
    }

    /// Writes the mark if it moved past the stored one; returns what failed, for the caller to log.
    /// The window's mark never goes back (a preset keeps it as a floor), so an older one is a stale
    /// reading and is skipped.
    @discardableResult
    func save(time: UInt32, id: UInt32) -> SystemError? {
        if let stored, (time, id) <= (stored.time, stored.id) { return nil }
        guard time != 0 else { return nil }
        let record = Self.encode(time: time, id: id)
        if !writesInPlace {
            switch writeTemporary(record) {
            case .success(let temporary):
                if let failure = commit(temporary) { return failure }
                stored = (time, id)
                return nil
            case .failure(let error) where [EACCES, EPERM, EROFS].contains(error.errno):
                writesInPlace = true
            case .failure(let error):
                return error
            }
        }
        guard record.withUnsafeBytes({ pwrite(fd, $0.baseAddress, Self.recordLength, 0) }) == Self.recordLength else {
            return SystemError(errno: errno, syscall: "write \(path)")
        }
        guard fdatasync(fd) == 0 else { return SystemError(errno: errno, syscall: "fdatasync \(path)") }
        stored = (time, id)
        return nil
    }

    /// Step 1 of a save: the record in a new, locked, fsynced temporary file next to the target.
    /// A crash after this step leaves the target as it was (tests stop here to show it).
    func writeTemporary(_ record: [UInt8]) -> Result<Int32, SystemError> {
        unlinkat(directory, temporaryName, 0)
        let temporary = openat(directory, temporaryName, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard temporary >= 0 else { return .failure(SystemError(errno: errno, syscall: "create \(temporaryName)")) }
        var failure: SystemError?
        if fchmod(temporary, 0o600) != 0 {
            failure = SystemError(errno: errno, syscall: "fchmod \(temporaryName)")
        } else if flock(temporary, LOCK_EX | LOCK_NB) != 0 {
            failure = SystemError(errno: errno, syscall: "flock \(temporaryName)")
        } else if record.withUnsafeBytes({ write(temporary, $0.baseAddress, $0.count) }) != record.count {
            failure = SystemError(errno: errno, syscall: "write \(temporaryName)")
        } else if fsync(temporary) != 0 {
            failure = SystemError(errno: errno, syscall: "fsync \(temporaryName)")
        }
        guard let failure else { return .success(temporary) }
        close(temporary)
        unlinkat(directory, temporaryName, 0)
        return .failure(failure)
    }

    /// Step 2: the temporary file replaces the target, and becomes the locked file we hold.
    private func commit(_ temporary: Int32) -> SystemError? {
        guard renameat(directory, temporaryName, directory, name) == 0 else {
            let failure = SystemError(errno: errno, syscall: "rename to \(path)")
            close(temporary)
            unlinkat(directory, temporaryName, 0)
            return failure
        }
        close(fd)  // the replaced file, and its lock: the new file is locked already
        fd = temporary
        // The rename is durable only once the directory is.
        return fsync(directory) == 0 ? nil : SystemError(errno: errno, syscall: "fsync the directory of \(path)")
    }

    static func encode(time: UInt32, id: UInt32) -> [UInt8] {
        var raw = [UInt8](repeating: 0, count: recordLength)
        raw.withUnsafeMutableBytes {
            $0.storeBytes(of: Int64(time).littleEndian, as: Int64.self)
            $0.storeBytes(of: id.littleEndian, toByteOffset: 8, as: UInt32.self)
        }
        return raw
    }

    static func decode(_ raw: [UInt8]) -> (time: UInt32, id: UInt32)? {
        guard raw.count >= 12 else { return nil }
        let time = raw.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
        let id = raw.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) }
        return time > 0 && time <= Int64(UInt32.max) ? (UInt32(time), id) : nil
    }
}
