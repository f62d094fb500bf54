import Glibc
import SwvpnLinux
import Synchronization

/// A datagram link on one end of a `SOCK_SEQPACKET` pair whose other end is another data plane's
/// link (or the test). Each received packet is reported as coming from `source`, which a test moves
/// to play a peer that floats. Sends split UDP GSO trains into their segments, as the kernel would.
final class SocketPairLink: TunnelLink, @unchecked Sendable {  // `source` is behind a Mutex; `fd` immutable
    let fd: Int32
    let source: Mutex<SocketAddress>

    init(fd: Int32, source: SocketAddress) {
        self.fd = fd
        self.source = Mutex(source)
    }

    var readFD: Int32 { fd }
    var isDatagram: Bool { true }

    func receive(into batch: PacketBatch) throws(LinkError) -> Int {
        let from = source.withLock { $0 }
        var received = 0
        while received < batch.capacity {
            let slot = batch.slotBase(received) + batch.headroom
            let n = read(fd, slot, batch.stride - batch.headroom)
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { break }
                throw .system(SystemError(errno: errno, syscall: "read fake link"))
            }
            guard batch.setPacket(at: received, offset: batch.headroom, length: n) else { break }
            batch.setAddress(from, at: received)
            batch.setSegmentSize(0, at: received)
            received += 1
        }
        batch.count = received
        return received
    }

    func send(_ batch: PacketBatch, start: Int, count: Int, to peer: SocketAddress) throws(LinkError) -> Int {
        var lost = 0
        for i in start..<start + count {
            let packet = batch.packet(at: i)
            let segment = batch.segmentSize(at: i) > 0 ? batch.segmentSize(at: i) : packet.count
            var offset = 0
            while offset < packet.count {
                let part = min(segment, packet.count - offset)
                if write(fd, packet.baseAddress! + offset, part) != part { lost += 1 }
                offset += part
            }
        }
        return lost
    }
}
