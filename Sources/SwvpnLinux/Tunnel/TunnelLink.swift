import Glibc

/// The underlay a tunnel's sealed packets travel over: a UDP socket, or a TCP connection carrying
/// length-prefixed records. The data plane calls it once per batch, never per packet, so the
/// existential call costs nothing measurable.
public protocol TunnelLink: AnyObject {
    /// The fd the RX loop waits on.
    var readFD: Int32 { get }
    /// Fills `batch` with received wire packets (slot i: `offset(at:)`/`length(at:)`, `address(at:)`).
    func receive(into batch: PacketBatch) throws(LinkError) -> Int
    /// Sends packets `start ..< start + count` of `batch` to `peer`; returns how many were lost.
    func send(_ batch: PacketBatch, start: Int, count: Int, to peer: SocketAddress) throws(LinkError) -> Int
    /// True when source addresses of received packets are meaningful per packet (UDP); a TCP link
    /// reports its connected peer for every packet.
    var isDatagram: Bool { get }
    /// True when input already read from the fd waits in the link (a TCP link's staging buffer):
    /// the fd may not signal readable again for it. Only asked of stream links.
    var hasBufferedInput: Bool { get }
}

extension TunnelLink {
    public var hasBufferedInput: Bool { false }
}

/// Why a link stopped working. UDP links only fail on local errors; TCP links also when the
/// connection ends, which restarts the session as in OpenVPN.
public enum LinkError: Error, CustomStringConvertible {
    case system(SystemError)
    case connectionClosed(String)

    public var description: String {
        switch self {
        case .system(let e): e.description
        case .connectionClosed(let why): why
        }
    }
}

/// UDP: one `recvmmsg` per receive, `sendmmsg` per send. A full send buffer briefly waits for room
/// (back-pressure on the TUN reader) before giving up on the rest of the batch, which is what a
/// router does when its queue is full.
public final class UDPLink: TunnelLink {
    public let socket: UDPSocket
    /// UDP GRO is on: received slots may hold several datagrams (see `PacketBatch.segmentSize`).
    public var receiveCoalescing = false
    public var readFD: Int32 { socket.fd }
    public var isDatagram: Bool { true }

    public init(socket: UDPSocket) { self.socket = socket }

    public func receive(into batch: PacketBatch) throws(LinkError) -> Int {
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

    public func send(_ batch: PacketBatch, start: Int, count: Int, to peer: SocketAddress) throws(LinkError) -> Int {
        for i in start..<start + count { batch.setAddress(peer, at: i) }
        var next = start
        let end = start + count
        var lost = 0
        var waits = 0
        while next < end {
            do {
                switch try socket.send(from: batch, start: next, count: end - next) {
                case .processed(let n):
                    next += max(n, 1)
                    if n == 0 { lost += 1 }
                case .wouldBlock:
                    waits += 1
                    if waits > Tunables.sendWaits {
                        lost += end - next
                        next = end
                    } else {
                        var pfd = pollfd(fd: socket.fd, events: Int16(POLLOUT), revents: 0)
                        _ = poll(&pfd, 1, Tunables.sendWaitMilliseconds)
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

/// Implementation constants of the packet path (not protocol facts: those are in `WireFormat`).
public enum Tunables {
    /// Packets per `recvmmsg`/`sendmmsg`/TUN read round (wireguard-go's IdealBatchSize is 128).
    public static let batchSize = 64
    /// Batches per wake-up before yielding the queue, so timers and the other direction get a turn.
    public static let roundsPerWake = 8
    /// How often a full UDP send buffer is waited for before the rest of a batch is dropped.
    public static let sendWaits = 20
    public static let sendWaitMilliseconds: Int32 = 5
    /// Offload mode: batch slots are 64 KB each, so fewer of them.
    public static let offloadBatchSize = 16
    /// Largest TSO read from TUN / GRO read from UDP (IP's 64 KB limit plus slack).
    public static let maxSuperPacket = 65_536 + 256
    /// UDP GSO: segments per send (the kernel's UDP_MAX_SEGMENTS is 64 on older kernels) and bytes
    /// per send (the whole train must fit one 64 KB IP datagram).
    public static let maxGSOSegments = 64
    public static let maxGSOBytes = 65_000
    /// GSO trains per `sendmmsg`.
    public static let gsoMessages = 8
    /// Socket buffers: OpenVPN's defaults (the kernel's ~212 KB) drop bursts at a few hundred Mbit/s.
    public static let socketBufferBytes = 4 * 1024 * 1024
}
