/// Where bytes sit in a packet buffer, derived once from the settings: the I/O layer places reads,
/// virtio headers and segment trains with these instead of redoing the arithmetic.
extension PacketPathSettings {
    /// Bytes compression framing puts in front of the packet whatever its content
    /// (`compress`/`comp-lzo` prefix byte). `stub-v2` only escapes a leading 0x50, never an IP packet.
    public var framingPrefix: Int { compression == .lzoPrefix ? 1 : 0 }

    /// Bytes compression framing adds to an IP packet (prefix or swap byte); fixed per tunnel, so a
    /// segment's wire size is known before it is sealed.
    public var framingGrowth: Int { compression == .lzoPrefix || compression == .stubSwap ? 1 : 0 }

    /// Where an unfragmented sealed tunnel packet starts relative to the buffer base given to
    /// `OutboundPath.sealTunnelPacket`.
    public var wireStart: Int {
        payloadOffset - framingPrefix - (maxFragmentSize != nil ? FragmentHeader.length : 0) - layout.cryptoHeadroom
    }

    /// Bytes guaranteed in front of a tunnel packet `InboundPath.open` delivers: its former crypto
    /// header (and prefix byte). Reassembled fragments live in separate storage with none.
    public var inboundHeadroom: Int { maxFragmentSize != nil ? 0 : layout.cryptoHeadroom + framingPrefix }

    /// Kernel offloads (TUN virtio header, UDP GSO/GRO) fit this path: datagrams, whole packets only,
    /// and room for the virtio header in front of every delivered packet (written there, not copied).
    public var allowsOffload: Bool {
        // Segmentation and coalescing read an IP header at the packet's start: not a tap frame's.
        !tcpFraming && !ethernetFrames && maxFragmentSize == nil && inboundHeadroom >= VirtioNetHeader.size
    }

    /// Where a TUN read lands in a buffer: at `payloadOffset`, or the virtio header just before it.
    public func tunReadOffset(virtioHeader: Bool) -> Int {
        virtioHeader ? payloadOffset - VirtioNetHeader.size : payloadOffset
    }

    /// How sealed TSO segments are laid out back to back as UDP GSO trains.
    /// - Parameters:
    ///   - segmentPayload: the IP length of a full segment (all but the last of a super-packet).
    ///   - maxSegments, maxBytes: the kernel's limits for one `UDP_SEGMENT` send.
    public func segmentTrain(segmentPayload: Int, maxSegments: Int, maxBytes: Int) -> SegmentTrain {
        let wire = layout.wireLength(payload: segmentPayload + framingGrowth)
        return SegmentTrain(
            segmentWireLength: wire, segmentsPerTrain: max(1, min(maxSegments, maxBytes / wire)),
            wireStart: wireStart, payloadOffset: payloadOffset)
    }

    /// Bytes a train buffer needs in front of its first packet: the first segment's buffer base
    /// lies `wireStart` bytes before it.
    public var trainSlack: Int { payloadOffset }
}

/// A train of equal-size sealed segments, sealed straight into place: segment k's buffer base is put
/// `wireStart` bytes before the end of segment k-1, so its sealed bytes continue the train.
public struct SegmentTrain: Sendable, Hashable {
    /// The wire length of every full segment: the GSO segment size.
    public let segmentWireLength: Int
    public let segmentsPerTrain: Int
    public let wireStart: Int
    public let payloadOffset: Int

    /// The buffer base for `OutboundPath.sealTunnelPacket` of the segment starting `offset` bytes into
    /// the train at `train`.
    @inline(__always)
    public func sealBase(_ train: UnsafeMutableRawPointer, offset: Int) -> UnsafeMutableRawPointer {
        train + offset - wireStart
    }
}
