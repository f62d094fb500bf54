import CSwvpnLinux
import Glibc

/// What the kernel offers for UDP segmentation offload (probed once per process).
package struct UDPOffloadSupport: Sendable, Equatable {
    /// `UDP_SEGMENT`: one `send` of many equal-size datagrams.
    package var segmentation: Bool
    /// `UDP_GRO`: one `recv` returns several coalesced datagrams.
    package var receiveCoalescing: Bool
}

/// A nonblocking UDP socket (IPv4 or IPv6) moving whole `PacketBatch`es with one syscall.
package final class UDPSocket {
    private let owned: OwnedFD
    package var fd: Int32 { owned.raw }
    package let family: SocketAddress.Family
    /// `multihome`: every received datagram carries its arrival address (see `enablePacketInfo`).
    package private(set) var packetInfo = false

    /// Creates a nonblocking socket bound to `address` (port 0 = ephemeral).
    package init(bindingTo address: SocketAddress, reuseAddress: Bool = false) throws(SystemError) {
        family = address.family
        // On a failure below `owned` is dropped, which closes the socket.
        let owned = OwnedFD(
            Int32(
                try syscallNoWait("socket(UDP)") {
                    negErrno(
                        socket(
                            address.family.rawValue,
                            Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0
                        ))
                }))
        let fd = owned.raw
        if reuseAddress {
            _ = try syscallNoWait("setsockopt(SO_REUSEADDR)") {
                Int(swvpn_setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1))
            }
        }
        _ = try address.withSockAddr { (sa, length) throws(SystemError) in
            try syscallNoWait("bind \(address)") { negErrno(bind(fd, sa, length)) }
        }
        self.owned = owned
    }

    /// The bound address (useful after binding port 0).
    package func localAddress() throws(SystemError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { (pointer) throws(SystemError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (sa) throws(SystemError) in
                try syscallNoWait("getsockname") { negErrno(getsockname(fd, sa, &length)) }
            }
        }
        guard let address = SocketAddress(&storage) else {
            throw SystemError(errno: EAFNOSUPPORT, syscall: "getsockname")
        }
        return address
    }

    /// Fixes the peer (OpenVPN without `float`): the kernel then drops datagrams from other sources.
    package func connect(to peer: SocketAddress) throws(SystemError) {
        _ = try peer.withSockAddr { (sa, length) throws(SystemError) in
            try syscallNoWait("connect \(peer)") { negErrno(Glibc.connect(fd, sa, length)) }
        }
    }

    /// Sets SO_RCVBUF/SO_SNDBUF (OpenVPN `rcvbuf`/`sndbuf`). Tries the FORCE variants first so root/CAP_NET_ADMIN
    /// can exceed `net.core.rmem_max`, then falls back to the capped ones. Returns the sizes the kernel reports
    /// (which it doubles for bookkeeping).
    @discardableResult
    package func setBufferSizes(receive: Int?, send: Int?) throws(SystemError) -> (receive: Int, send: Int) {
        func apply(_ bytes: Int, force: Int32, plain: Int32, name: String) throws(SystemError) {
            let value = Int32(clamping: bytes)
            if (try? syscallNoWait("setsockopt(\(name)FORCE)") {
                Int(swvpn_setsockopt_int(fd, SOL_SOCKET, force, value))
            }) != nil {
                return
            }
            _ = try syscallNoWait("setsockopt(\(name), \(bytes))") {
                Int(swvpn_setsockopt_int(fd, SOL_SOCKET, plain, value))
            }
        }
        if let receive { try apply(receive, force: swvpn_SO_RCVBUFFORCE, plain: SO_RCVBUF, name: "SO_RCVBUF") }
        if let send { try apply(send, force: swvpn_SO_SNDBUFFORCE, plain: SO_SNDBUF, name: "SO_SNDBUF") }
        var actualReceive: Int32 = 0
        var actualSend: Int32 = 0
        _ = try syscallNoWait("getsockopt(SO_RCVBUF)") {
            Int(swvpn_getsockopt_int(fd, SOL_SOCKET, SO_RCVBUF, &actualReceive))
        }
        _ = try syscallNoWait("getsockopt(SO_SNDBUF)") {
            Int(swvpn_getsockopt_int(fd, SOL_SOCKET, SO_SNDBUF, &actualSend))
        }
        return (Int(actualReceive), Int(actualSend))
    }

    /// Kernel support for UDP GSO/GRO, probed on a throwaway socket.
    package static let offloadSupport = UDPOffloadSupport(
        segmentation: swvpn_udp_gso_supported() != 0,
        receiveCoalescing: swvpn_udp_gro_supported() != 0)

    /// Asks the kernel to coalesce received datagrams (see `PacketBatch.segmentSize(at:)`).
    package func enableReceiveCoalescing() throws(SystemError) {
        _ = try syscallNoWait("setsockopt(UDP_GRO)") { Int(swvpn_setsockopt_int(fd, swvpn_SOL_UDP, swvpn_UDP_GRO, 1)) }
    }

    /// `multihome`: IP_PKTINFO / IPV6_RECVPKTINFO, so `PacketBatch.arrivalAddress(at:)` can tell which
    /// local address each datagram came to.
    package func enablePacketInfo() throws(SystemError) {
        _ = try syscallNoWait("setsockopt(\(family == .inet ? "IP_PKTINFO" : "IPV6_RECVPKTINFO"))") {
            Int(swvpn_enable_pktinfo(fd, family.rawValue))
        }
        packetInfo = true
    }

    /// One `recvmmsg` into all of `batch`'s slots (at `headroom`); sets `batch.count`, lengths, sources.
    /// Returns the number received, or `.wouldBlock` when nothing is queued.
    @inlinable
    package func receive(into batch: PacketBatch) throws(SystemError) -> IOResult<Int> {
        if packetInfo { batch.reserveControlRoom(PacketBatch.packetInfoControlRoom) }  // Hook: multihome
        batch.prepareReceive(count: batch.capacity)
        let result = try syscall("recvmmsg") {
            Int(swvpn_recvmmsg(fd, batch.messages, UInt32(batch.capacity), 0))
        }
        switch result {
        case .processed(let received):
            batch.finishReceive(received: received)
        case .wouldBlock:
            batch.count = 0
        }
        return result
    }

    /// One `sendmmsg` of packets `start ..< start + count` to their addresses (none = connected peer).
    /// Returns how many the kernel took; the caller retries the rest when the socket is writable.
    /// `source` (multihome): the pktinfo control message every message carries.
    @inlinable
    package func send(
        from batch: PacketBatch, start: Int = 0, count: Int, source: UnsafeRawBufferPointer? = nil
    ) throws(SystemError) -> IOResult<Int> {
        precondition(start >= 0 && count >= 0 && start + count <= batch.capacity, "send range outside batch")
        if count == 0 { return .processed(0) }
        if source != nil { batch.reserveControlRoom(PacketBatch.packetInfoControlRoom) }  // Hook: multihome
        batch.prepareSend(start: start, count: count, source: source)
        return try syscall("sendmmsg") {
            Int(swvpn_sendmmsg(fd, batch.messages + start, UInt32(count), 0))
        }
    }
}
