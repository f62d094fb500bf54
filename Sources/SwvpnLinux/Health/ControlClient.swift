import Glibc
import SwvpnHealth

/// `swvpnd status`'s side of the control sockets: find them, read each one's snapshot.
package enum ControlClient {
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    /// Names of the tunnels with a socket in `directory` (`NAME.sock`), sorted.
    package static func tunnels(in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".sock"), name.count > 5 { names.append(String(name.dropLast(5))) }
        }
        return names.sorted()
    }

    /// Connects to `path` and reads the snapshot it answers (at most 1 MiB, 2 s).
    package static func snapshot(path: String) throws(Failure) -> TunnelSnapshot {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "\(path): socket: \(SystemError.text(for: errno))") }
        defer { _ = close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard var address = try? UnixSocketAddress.make(path) else {
            throw Failure(description: "\(path): path too long")
        }
        let connected = UnixSocketAddress.with(&address) { connect(fd, $0, $1) }
        guard connected == 0 else {
            let why =
                errno == ECONNREFUSED || errno == ENOENT
                ? "not running (\(SystemError.text(for: errno)))" : SystemError.text(for: errno)
            throw Failure(description: "\(path): \(why)")
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while data.count < 1 << 20 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                if n < 0 { throw Failure(description: "\(path): read: \(SystemError.text(for: errno))") }
                break
            }
            data += buffer[0..<n]
        }
        do throws(SnapshotDecodingError) {
            return try TunnelSnapshot(json: String(decoding: data, as: UTF8.self), source: path)
        } catch {
            throw Failure(description: error.description)
        }
    }
}
