/// Everything the per-packet path needs to know, fixed for the life of a tunnel session.
///
/// Buffer geometry follows OpenVPN's `struct frame` idea: one stride for every packet buffer, with
/// headroom in front of the tunnel packet for every header the path may prepend (TCP length,
/// HMAC, IV, packet-id/time, fragment header, compression byte) and tailroom behind it (CBC
/// padding, the swap byte of `compress stub`). TUN reads land at `payloadOffset`, so sealing never
/// moves the packet.
public struct PacketPathSettings: Sendable, Hashable {
    public var layout: FrameLayout
    public var compression: CompressionFraming
    /// MSS clamp for TCP SYNs in both directions; nil disables it (`mssfix 0`).
    public var mssLimit: Int?
    /// Largest fragment body (`fragment`), already reduced by the encapsulation overhead; nil when off.
    public var maxFragmentSize: Int?
    /// `tun-mtu`: the largest packet read from or written to the TUN device.
    public var tunMTU: Int
    /// Leave room for the 2-byte TCP record length in front of the wire packet.
    public var tcpFraming: Bool
    /// Tunnel packets are Ethernet frames (a tap device): the MSS clamp looks past the Ethernet header.
    public var ethernetFrames: Bool

    public init(
        layout: FrameLayout, compression: CompressionFraming = .none, mssLimit: Int? = nil,
        maxFragmentSize: Int? = nil, tunMTU: Int = 1500, tcpFraming: Bool = false,
        ethernetFrames: Bool = false
    ) {
        self.layout = layout
        self.compression = compression
        self.mssLimit = mssLimit
        self.maxFragmentSize = maxFragmentSize
        self.tunMTU = tunMTU
        self.tcpFraming = tcpFraming
        self.ethernetFrames = ethernetFrames
    }

    /// Bytes in front of the wire packet reserved for the TCP record length.
    public var linkHeadroom: Int { tcpFraming ? WireFormat.tcpLengthPrefix : 0 }

    /// Where a tunnel packet is placed in a buffer (rounded up to 16 so IP headers stay aligned).
    public var payloadOffset: Int {
        let raw =
            linkHeadroom + layout.cryptoHeadroom + (maxFragmentSize != nil ? FragmentHeader.length : 0)
            + compression.maxOverhead
        return (raw + 15) & ~15
    }

    /// Largest tunnel packet the path accepts: the TUN MTU plus slack for a peer with a larger MTU,
    /// which OpenVPN also tolerates (its buffers are sized from link-mtu, not tun-mtu). The slack
    /// also holds a tap frame's Ethernet header and VLAN tag.
    public var maxTunnelPacket: Int { tunMTU + 128 }

    /// The stride of every packet buffer; a multiple of 64 to keep buffers on their own cache lines.
    public var bufferSize: Int {
        let raw = payloadOffset + maxTunnelPacket + compression.maxTailroom + layout.tailroom
        return (raw + 63) & ~63
    }

    /// Largest wire packet this path produces or accepts (for receive buffers and TCP records).
    public var maxWirePacket: Int { bufferSize - linkHeadroom }
}
