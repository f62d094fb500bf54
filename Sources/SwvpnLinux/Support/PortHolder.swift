import Glibc

/// Which process holds a local port: its socket's inode from /proc/net/{udp,tcp}[6], then the
/// process whose /proc/PID/fd has that socket. Best effort, for an error message ("held by pid
/// 812 (openvpn)"); nil when it cannot be told (another namespace, no permission).
package enum PortHolder {
    package static func describe(port: UInt16, stream: Bool) -> String? {
        let tables = stream ? ["/proc/net/tcp", "/proc/net/tcp6"] : ["/proc/net/udp", "/proc/net/udp6"]
        var inodes: Set<String> = []
        for table in tables {
            guard let text = readText(table) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                guard fields.count > 9, let colon = fields[1].lastIndex(of: ":"),
                    UInt16(fields[1][fields[1].index(after: colon)...], radix: 16) == port
                else { continue }
                if stream && fields[3] != "0A" { continue }  // TCP: only the listener
                inodes.insert(String(fields[9]))
            }
        }
        guard !inodes.isEmpty, let proc = opendir("/proc") else { return nil }
        defer { closedir(proc) }
        while let entry = readdir(proc) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = Int32(name), pid != getpid(), holds(pid: name, inodes: inodes) else { continue }
            let command = readText("/proc/\(name)/comm").map { $0.split(separator: "\n").first.map(String.init) ?? "" }
            return "pid \(pid)" + (command.map { " (\($0))" } ?? "")
        }
        return nil
    }

    private static func holds(pid: String, inodes: Set<String>) -> Bool {
        guard let dir = opendir("/proc/\(pid)/fd") else { return false }
        defer { closedir(dir) }
        var target = [CChar](repeating: 0, count: 64)
        while let entry = readdir(dir) {
            let fd = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            let n = readlink("/proc/\(pid)/fd/\(fd)", &target, target.count - 1)
            guard n > 9 else { continue }
            let link = String(decoding: target[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // "socket:[12345]"
            if link.hasPrefix("socket:["), inodes.contains(String(link.dropFirst(8).dropLast())) { return true }
        }
        return false
    }

    private static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += chunk[..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
