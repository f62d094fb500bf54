import CSwvpnLinux
import Glibc

/// Small TCP socket helpers for `proto tcp-server`/`tcp-client`. All sockets are nonblocking and
/// close-on-exec; the connected fd is handed to a `TCPLink`, which then owns it.
public enum TCPSocket {
    /// A listening socket on `address` (SO_REUSEADDR, as openvpn sets it, so a restart can rebind
    /// while old connections sit in TIME_WAIT).
    public static func listen(on address: SocketAddress, backlog: Int32 = 1) throws(SystemError) -> Int32 {
        let fd = try makeSocket(address.family)
        do {
            _ = try syscallNoWait("setsockopt(SO_REUSEADDR)") { Int(swvpn_setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1)) }
            _ = try address.withSockAddr { (sa, length) throws(SystemError) in
                try syscallNoWait("bind \(address)") { negErrno(bind(fd, sa, length)) }
            }
            _ = try syscallNoWait("listen \(address)") { negErrno(Glibc.listen(fd, backlog)) }
        } catch {
            closeIgnoringErrors(fd)
            throw error
        }
        return fd
    }

    /// Accepts one pending connection; `.wouldBlock` when none is queued.
    public static func accept(_ listener: Int32) throws(SystemError) -> IOResult<(fd: Int32, peer: SocketAddress?)> {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = try withUnsafeMutablePointer(to: &storage) { (pointer) throws(SystemError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (sa) throws(SystemError) in
                try syscall("accept") { negErrno(Glibc.accept(listener, sa, &length)) }
            }
        }
        switch result {
        case .wouldBlock: return .wouldBlock
        case .processed(let fd):
            let fd = Int32(fd)
            // accept4 is not visible through Glibc; the flags are set right after instead.
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            do throws(SystemError) {
                try setNonBlocking(fd, what: "accepted connection")
            } catch {
                closeIgnoringErrors(fd)
                throw error
            }
            configureConnection(fd)
            return .processed((fd, SocketAddress(&storage)))
        }
    }

    /// Starts a nonblocking connect. Returns the fd and whether it is already connected (loopback
    /// may finish at once); otherwise wait for POLLOUT and call `finishConnect`.
    public static func startConnect(to remote: SocketAddress, from local: SocketAddress?) throws(SystemError) -> (fd: Int32, connected: Bool) {
        let fd = try makeSocket(remote.family)
        do throws(SystemError) {
            if let local {
                _ = try syscallNoWait("setsockopt(SO_REUSEADDR)") { Int(swvpn_setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1)) }
                _ = try local.withSockAddr { (sa, length) throws(SystemError) in
                    try syscallNoWait("bind \(local)") { negErrno(bind(fd, sa, length)) }
                }
            }
            let code = remote.withSockAddr { (sa, length) -> Int in negErrno(Glibc.connect(fd, sa, length)) }
            if code == 0 {
                configureConnection(fd)
                return (fd, true)
            }
            let err = Int32(-code)
            guard err == EINPROGRESS || err == EINTR else { throw SystemError(errno: err, syscall: "connect \(remote)") }
            return (fd, false)
        } catch {
            closeIgnoringErrors(fd)
            throw error
        }
    }

    /// The outcome of a pending nonblocking connect once the socket became writable (SO_ERROR).
    public static func finishConnect(_ fd: Int32, to remote: SocketAddress) throws(SystemError) {
        var err: Int32 = 0
        _ = try syscallNoWait("getsockopt(SO_ERROR)") { Int(swvpn_getsockopt_int(fd, SOL_SOCKET, SO_ERROR, &err)) }
        if err != 0 { throw SystemError(errno: err, syscall: "connect \(remote)") }
        configureConnection(fd)
    }

    public static func localAddress(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        return ok ? SocketAddress(&storage) : nil
    }

    public static func close(_ fd: Int32) { closeIgnoringErrors(fd) }

    private static func makeSocket(_ family: SocketAddress.Family) throws(SystemError) -> Int32 {
        Int32(try syscallNoWait("socket(TCP)") {
            negErrno(socket(family.rawValue, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0))
        })
    }

    /// TCP_NODELAY: records are whole packets already and a batch goes out in one `sendmsg`, so
    /// Nagle would only delay pings and interactive traffic (openvpn's `--tcp-nodelay`). Best effort.
    private static func configureConnection(_ fd: Int32) {
        _ = swvpn_setsockopt_int(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
    }
}
