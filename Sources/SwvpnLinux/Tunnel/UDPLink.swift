import CSwvpnLinux
import Glibc

/// UDP: one `recvmmsg` per receive, `sendmmsg` per send. A full send buffer briefly waits for room
/// (back-pressure on the TUN reader) before giving up on the rest of the batch, which is what a
/// router does when its queue is full.
package final class UDPLink: TunnelLink {
    package let socket: UDPSocket
    /// UDP GRO is on: received slots may hold several datagrams (see `PacketBatch.segmentSize`).
    package var receiveCoalescing = false
    package var readFD: Int32 { socket.fd }
    package var isDatagram: Bool { true }
    /// `multihome` (UDPLink+Multihome.swift); nil without it: one nil check per send call.
    package let multihome: MultihomeReplies?

    /// With `multihome` the socket must have `enablePacketInfo()` on.
    package init(socket: UDPSocket, multihome: Bool = false) {
        precondition(!multihome || socket.packetInfo, "multihome needs the socket's packet info")
        self.socket = socket
        self.multihome = multihome ? MultihomeReplies(socketFamily: socket.family.rawValue) : nil
    }

    /// IP_TOS, as openvpn's passtos sets it (on an IPv6 socket it applies to IPv4-mapped peers only).
    package func setTypeOfService(_ tos: UInt8) {
        _ = swvpn_setsockopt_int(socket.fd, Int32(IPPROTO_IP), IP_TOS, Int32(tos))
    }

    package func receive(into batch: PacketBatch) throws(LinkError) -> Int {
        do {
            switch try socket.receive(into: batch) {
            case .processed(let n): return n
            case .wouldBlock: return 0
            }
        } catch {
            // ICMP errors surface as ECONNREFUSED & co. on the next receive; they are not fatal for an
            // unconnected socket, so skip them and let the caller try again.
            if [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EHOSTDOWN].contains(error.errno) { return 0 }
            throw .system(error)
        }
    }

    package func send(_ batch: PacketBatch, start: Int, count: Int, to peer: SocketAddress) throws(LinkError) -> Int {
        for i in start..<start + count { batch.setAddress(peer, at: i) }
        let source = multihome?.controlMessage(to: peer)  // Hook: multihome
        var next = start
        let end = start + count
        var lost = 0
        var waits = 0
        while next < end {
            do {
                switch try socket.send(from: batch, start: next, count: end - next, source: source) {
                case .processed(let n):
                    next += max(n, 1)
                    if n == 0 { lost += 1 }
                case .wouldBlock:
                    waits += 1
                    if waits > Tunables.sendWaits {
                        lost += end - next
                        next = end
                    } else {
                        waitWritable(socket.fd, milliseconds: Tunables.sendWaitMilliseconds)
                    }
                }
            } catch {
                // The first message of the remaining run failed (no route, too big...): lose it, go on.
                lost += 1
                next += 1
            }
        }
        return lost
    }
}
