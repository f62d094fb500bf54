import Glibc
import SwvpnProtocol

/// OpenVPN's `replay-persist FILE`: the receive side's high-water mark (session time T, highest
/// packet-id H) kept across restarts, so a restarted receiver still rejects old packets.
///
/// Format (PROTOCOL.md §4.5, what openvpn 2.6 writes on 64-bit Linux): 16 bytes, `int64 T` little-endian,
/// `uint32 H` little-endian, 4 bytes of padding (we write zeros). The file is created 0600 and held
/// with an exclusive `flock`, so two processes cannot share one file.
final class ReplayPersistFile {
    let path: String
    private let fd: Int32
    private(set) var stored: (time: UInt32, id: UInt32)?

    init(path: String) throws(SetupError) {
        self.path = path
        fd = PosixFileSystem.openForWriting(path, flags: O_RDWR | O_CREAT, mode: 0o600)
        guard fd >= 0 else {
            throw .replayPersist(path: path, reason: SystemError(errno: errno, syscall: "open").message)
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason =
                errno == EWOULDBLOCK ? "in use by another process" : SystemError(errno: errno, syscall: "flock").message
            close(fd)
            throw .replayPersist(path: path, reason: reason)
        }
        var raw = [UInt8](repeating: 0, count: 16)
        let n = raw.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 16, 0) }
        if n >= 12 {
            let time = raw.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
            let id = raw.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) }
            if time > 0 && time <= Int64(UInt32.max) { stored = (UInt32(time), id) }
        }
    }

    deinit { close(fd) }

    /// Writes the mark if it changed since the last write.
    func save(time: UInt32, id: UInt32) {
        if let stored, stored.time == time, stored.id == id { return }
        guard time != 0 else { return }
        var raw = [UInt8](repeating: 0, count: 16)
        raw.withUnsafeMutableBytes {
            $0.storeBytes(of: Int64(time).littleEndian, as: Int64.self)
            $0.storeBytes(of: id.littleEndian, toByteOffset: 8, as: UInt32.self)
        }
        if raw.withUnsafeBytes({ pwrite(fd, $0.baseAddress, 16, 0) }) == 16 {
            stored = (time, id)
        }
    }
}
