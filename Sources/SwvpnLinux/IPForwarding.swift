import Glibc

/// The users' setup routes other hosts' traffic through the tunnel, which needs `net.ipv4.ip_forward = 1`;
/// swvpnd only checks and warns (changing sysctls is the admin's call).
package enum IPForwarding {
    /// Reads `/proc/sys/net/ipv4/ip_forward` (or `path`): true when it holds `1`.
    package static func isEnabled(path: String = "/proc/sys/net/ipv4/ip_forward") throws(SystemError) -> Bool {
        let fd = try syscallNoWait("open \(path)") { negErrno(open(path, O_RDONLY | O_CLOEXEC)) }
        defer { closeIgnoringErrors(Int32(fd)) }
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = try syscallNoWait("read \(path)") {
            buffer.withUnsafeMutableBytes { negErrno(read(Int32(fd), $0.baseAddress, $0.count)) }
        }
        return count > 0 && buffer[0] == UInt8(ascii: "1")
    }
}
