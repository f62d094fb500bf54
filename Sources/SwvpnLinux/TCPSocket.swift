import CSwvpnLinux
import Glibc

/// A nonblocking TCP socket for `proto tcp-server` / `tcp-client` (OpenVPN frames each packet with a 2-byte
/// length; framing lives in SwvpnProtocol, this type only moves bytes).
package final class TCPSocket {
    /// The socket; -1 once `releaseFD()` handed it to another owner.
    package private(set) var fd: Int32

    init(fd: Int32) { self.fd = fd }

    deinit { if fd >= 0 { closeIgnoringErrors(fd) } }

    /// Hands the fd to a new owner (a `TCPLink`), which closes it; this object no longer does.
    package func releaseFD() -> OwnedFD {
        let taken = OwnedFD(fd)
        fd = -1
        return taken
    }

    /// Options the tunnel sets on a new socket before it is bound or connects (openvpn's `mark`,
    /// `bind-dev`, `mtu-disc`); given the fd.
    package typealias Configure = (Int32) throws(SystemError) -> Void

    /// A listening socket bound to `address` (port 0 = ephemeral), SO_REUSEADDR set so restarts can rebind.
    /// The connections it accepts inherit what `configure` set (the kernel clones the listener's options).
    package static func listen(
        on address: SocketAddress, backlog: Int32 = 1, configure: Configure = { _ in }
    ) throws(SystemError) -> TCPSocket {
        let socket = try TCPSocket.make(address.family)
        try configure(socket.fd)
        _ = try syscallNoWait("setsockopt(SO_REUSEADDR)") {
            Int(swvpn_setsockopt_int(socket.fd, SOL_SOCKET, SO_REUSEADDR, 1))
        }
        _ = try address.withSockAddr { (sa, length) throws(SystemError) in
            try syscallNoWait("bind \(address)") { negErrno(bind(socket.fd, sa, length)) }
        }
        _ = try syscallNoWait("listen \(address)") { negErrno(Glibc.listen(socket.fd, backlog)) }
        return socket
    }

    /// Starts a nonblocking connect, from `local` if given (openvpn `local` on a tcp-client), after
    /// `configure`. Wait for writability, then call `finishConnect()`.
    package static func connect(
        to address: SocketAddress, from local: SocketAddress? = nil, configure: Configure = { _ in }
    ) throws(SystemError) -> TCPSocket {
        let socket = try TCPSocket.make(address.family)
        try configure(socket.fd)
        if let local {
            _ = try syscallNoWait("setsockopt(SO_REUSEADDR)") {
                Int(swvpn_setsockopt_int(socket.fd, SOL_SOCKET, SO_REUSEADDR, 1))
            }
            _ = try local.withSockAddr { (sa, length) throws(SystemError) in
                try syscallNoWait("bind \(local)") { negErrno(bind(socket.fd, sa, length)) }
            }
        }
        do throws(SystemError) {
            _ = try syscallNoWait("connect \(address)") {
                address.withSockAddr { sa, length in negErrno(Glibc.connect(socket.fd, sa, length)) }
            }
        } catch  where error.errno == EINPROGRESS {
            // The usual answer of a nonblocking connect: the outcome comes with writability.
        }
        return socket
    }

    private static func make(_ family: SocketAddress.Family) throws(SystemError) -> TCPSocket {
        let fd = try syscallNoWait("socket(TCP)") {
            negErrno(
                socket(
                    family.rawValue,
                    Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0))
        }
        return TCPSocket(fd: Int32(fd))
    }

    /// Reports the outcome of a nonblocking connect (SO_ERROR), e.g. "connect: Connection refused".
    package func finishConnect() throws(SystemError) {
        var code: Int32 = 0
        _ = try syscallNoWait("getsockopt(SO_ERROR)") { Int(swvpn_getsockopt_int(fd, SOL_SOCKET, SO_ERROR, &code)) }
        if code != 0 { throw SystemError(errno: code, syscall: "connect") }
    }

    /// Accepts one pending connection (nonblocking, close-on-exec), with the peer's address.
    package func accept() throws(SystemError) -> IOResult<(TCPSocket, SocketAddress)> {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = try syscall("accept4") {
            withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    Int(swvpn_accept(fd, sa, &length))
                }
            }
        }
        switch result {
        case .wouldBlock: return .wouldBlock
        case .processed(let client):
            let socket = TCPSocket(fd: Int32(client))
            guard let peer = SocketAddress(&storage) else {
                throw SystemError(errno: EAFNOSUPPORT, syscall: "accept4")
            }
            return .processed((socket, peer))
        }
    }

    /// Disables Nagle: tunnel packets must not wait for more data.
    package func setNoDelay() throws(SystemError) {
        _ = try syscallNoWait("setsockopt(TCP_NODELAY)") {
            Int(swvpn_setsockopt_int(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1))
        }
    }

    package func localAddress() throws(SystemError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try syscallNoWait("getsockname") {
            withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { negErrno(getsockname(fd, $0, &length)) }
            }
        }
        guard let address = SocketAddress(&storage) else {
            throw SystemError(errno: EAFNOSUPPORT, syscall: "getsockname")
        }
        return address
    }

    /// Reads available bytes; `.processed(0)` means the peer closed the connection.
    @inlinable
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try syscall("read tcp") { swvpn_read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes what the kernel accepts now (possibly fewer bytes than given).
    @inlinable
    package func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try syscall("write tcp") { swvpn_write(fd, bytes.baseAddress, bytes.count) }
    }
}
