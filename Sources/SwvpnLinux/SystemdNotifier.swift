import CSwvpnLinux
import Glibc

/// sd_notify(3) without libsystemd: datagrams to `$NOTIFY_SOCKET` (a path, or `@name` for an abstract socket).
/// With `Type=notify` the unit becomes active on `READY=1`; once the TUN device and socket are up, send it.
package struct SystemdNotifier: Sendable {
    package let socketPath: String

    /// Reads `$NOTIFY_SOCKET`; nil when not started by systemd (then notifications are simply not sent).
    package static func fromEnvironment() -> SystemdNotifier? {
        guard let value = getenv("NOTIFY_SOCKET") else { return nil }
        let path = String(cString: value)
        return path.isEmpty ? nil : SystemdNotifier(socketPath: path)
    }

    package init(socketPath: String) {
        self.socketPath = socketPath
    }

    package func ready(status: String? = nil) throws(SystemError) {
        try notify("READY=1" + (status.map { "\nSTATUS=\($0)" } ?? ""))
    }

    package func status(_ text: String) throws(SystemError) { try notify("STATUS=\(text)") }
    package func watchdog() throws(SystemError) { try notify("WATCHDOG=1") }
    package func stopping() throws(SystemError) { try notify("STOPPING=1") }
    /// Type=notify-reload wants the monotonic time of the reload with it, in microseconds.
    package func reloading() throws(SystemError) {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        try notify("RELOADING=1\nMONOTONIC_USEC=\(Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)")
    }

    /// Sends raw `KEY=VALUE` lines in one datagram.
    package func notify(_ state: String) throws(SystemError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        let abstract = pathBytes.first == UInt8(ascii: "@")
        if abstract { pathBytes[0] = 0 }  // abstract namespace: leading NUL, no terminator
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity, !pathBytes.isEmpty else {
            throw SystemError(errno: ENAMETOOLONG, syscall: "sd_notify \(socketPath)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        let length = socklen_t(pathOffset + pathBytes.count + (abstract ? 0 : 1))

        let fd = try syscallNoWait("socket(AF_UNIX) for sd_notify") {
            negErrno(socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0))
        }
        defer { closeIgnoringErrors(Int32(fd)) }
        let payload = Array(state.utf8)
        _ = try syscallNoWait("sendto \(socketPath)") {
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    payload.withUnsafeBytes { bytes in
                        negErrno(sendto(Int32(fd), bytes.baseAddress, bytes.count, 0, sa, length))
                    }
                }
            }
        }
    }

    /// The watchdog period from `$WATCHDOG_USEC`, if set for this process (`$WATCHDOG_PID` absent or ours).
    /// Send `watchdog()` at about half this interval.
    package static func watchdogInterval() -> Duration? {
        guard let usecText = getenv("WATCHDOG_USEC"), let usec = UInt64(String(cString: usecText)), usec > 0 else {
            return nil
        }
        if let pidText = getenv("WATCHDOG_PID"), let pid = Int32(String(cString: pidText)), pid != getpid() {
            return nil
        }
        return .microseconds(Int64(clamping: usec))
    }
}
