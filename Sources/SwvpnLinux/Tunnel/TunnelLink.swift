/// The underlay a tunnel's sealed packets travel over: a UDP socket, a TCP connection carrying
/// length-prefixed records, or a test's socketpair fake. The data plane is generic over it
/// (`PacketLoops<Device, Link>`) and calls it once per batch.
package protocol TunnelLink: AnyObject, SendableMetatype {
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
    /// `passtos`: the TOS byte of the packets sent from now on (IP_TOS); links without one ignore it.
    func setTypeOfService(_ tos: UInt8)
    /// The RX loop heard the peer in slot `slot` of `batch` (the first authenticated packet of a
    /// session, or the peer moved; never per packet): a `multihome` UDP link latches the local address
    /// that packet arrived on for its replies. Other links ignore it.
    func peerHeard(_ peer: SocketAddress, slot: Int, in batch: PacketBatch)
}

extension TunnelLink {
    package var hasBufferedInput: Bool { false }
    package func setTypeOfService(_ tos: UInt8) {}
    package func peerHeard(_ peer: SocketAddress, slot: Int, in batch: PacketBatch) {}
}

/// Why a link stopped working. UDP links only fail on local errors; TCP links also when the
/// connection ends, which restarts the session as in OpenVPN.
package enum LinkError: Error, CustomStringConvertible {
    case system(SystemError)
    case connectionClosed(String)

    package var description: String {
        switch self {
        case .system(let e): e.description
        case .connectionClosed(let why): why
        }
    }
}
