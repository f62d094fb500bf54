/// Tunnel → link: MSS clamp, compression framing, optional fragmentation, seal.
///
/// Owned by one queue (the TX queue): it holds the sealer, whose packet-id counter must advance
/// in send order. Not thread-safe. Everything works in place on the caller's buffer.
public final class OutboundPath: @unchecked Sendable {  // owned by one queue (see above)
    public let settings: PacketPathSettings
    public let sealer: DataChannelSealer
    private var splitter: FragmentSplitter?
    /// `allow-compression yes` with an algorithm: tunnel packets are compressed when that shrinks them.
    private let compressor: (any PayloadCompressor)?
    private let compressionAlgorithm: CompressionAlgorithm

    public init(
        settings: PacketPathSettings, sealer: DataChannelSealer, fragmentSequenceSeed: UInt8 = 0,
        compressor: (any PayloadCompressor)? = nil, compressionAlgorithm: CompressionAlgorithm = .lzo
    ) {
        self.settings = settings
        self.sealer = sealer
        self.compressor = settings.compression == .none ? nil : compressor
        self.compressionAlgorithm = compressionAlgorithm
        if let max = settings.maxFragmentSize {
            splitter = FragmentSplitter(maxFragmentSize: max, initialSequenceID: fragmentSequenceSeed)
        }
    }

    /// Starts a new session (restart): packet-id 1 and a new epoch on the next packet.
    public func resetSession() { sealer.resetSession() }

    /// Seals the tunnel packet at `buffer[settings.payloadOffset ..< payloadOffset + length]`.
    /// `buffer` must be `settings.bufferSize` bytes. With `fragment`, a datagram too big for one
    /// piece is sealed into `fragments` (slots `0 ..< count`, none of them `buffer`) and the result
    /// is `.fragmented(count)`: one call, no state left behind.
    @inline(__always)
    public func sealTunnelPacket(
        _ buffer: UnsafeMutableRawPointer, length: Int, now: UInt32,
        fragments: PacketSlots
    ) -> OutboundResult {
        let buf = UnsafeMutableRawBufferPointer(start: buffer, count: settings.bufferSize)
        let offset = settings.payloadOffset
        guard length > 0, length <= settings.maxTunnelPacket else { return .dropped(.noRoom) }
        clampMSS(buf, offset: offset, length: length)
        if let compressor, length >= compressionThreshold,
            let packed = compressor.compress(
                compressionAlgorithm, UnsafeRawBufferPointer(rebasing: buf[offset..<offset + length]))
        {
            // Smaller than the packet, so it fits where the packet was (openvpn copies it back too).
            (buf.baseAddress! + offset).copyMemory(from: packed.baseAddress!, byteCount: packed.count)
            return sealPayload(
                buf, offset: offset, length: packed.count, now: now, fragments: fragments, compressed: true)
        }
        return sealPayload(buf, offset: offset, length: length, now: now, fragments: fragments)
    }

    /// True when every tunnel packet becomes exactly one sealed packet with one packet-id (no
    /// compression, no `fragment`): then ids can be taken in order on the owner's queue
    /// (`sealer.takePacketID`) and the packets sealed elsewhere (`sealTunnelPacket(...packetID:)`).
    public var sealsOnePacketEach: Bool { compressor == nil && splitter == nil }

    /// `sealTunnelPacket` with a packet-id the owner's sealer took, on this path's own sealer: for a
    /// helper path (same settings, a helper sealer) on a crypto worker thread. Only for paths where
    /// `sealsOnePacketEach`.
    @inline(__always)
    public func sealTunnelPacket(
        _ buffer: UnsafeMutableRawPointer, length: Int, packetID: (id: UInt32, time: UInt32)
    ) -> OutboundResult {
        let buf = UnsafeMutableRawBufferPointer(start: buffer, count: settings.bufferSize)
        let offset = settings.payloadOffset
        guard length > 0, length <= settings.maxTunnelPacket else { return .dropped(.noRoom) }
        clampMSS(buf, offset: offset, length: length)
        return sealPayload(buf, offset: offset, length: length, now: 0, fragments: .none, packetID: packetID)
    }

    /// `sealTunnelPacket` for callers with no fragment slots (a split is dropped as `.noRoom`).
    @inline(__always)
    public func sealTunnelPacket(_ buffer: UnsafeMutableRawPointer, length: Int, now: UInt32) -> OutboundResult {
        sealTunnelPacket(buffer, length: length, now: now, fragments: .none)
    }

    /// Seals a keepalive ping (PROTOCOL.md §6) into `buffer` (`settings.bufferSize` bytes).
    public func sealPing(_ buffer: UnsafeMutableRawPointer, now: UInt32, fragments: PacketSlots) -> OutboundResult {
        let buf = UnsafeMutableRawBufferPointer(start: buffer, count: settings.bufferSize)
        let length = Ping.write(into: buf, at: settings.payloadOffset)
        return sealPayload(buf, offset: settings.payloadOffset, length: length, now: now, fragments: fragments)
    }

    /// Seals an OCC message (PROTOCOL.md §7) into `buffer` (`settings.bufferSize` bytes).
    public func sealOCC(
        _ message: OCCMessage, _ buffer: UnsafeMutableRawPointer, now: UInt32,
        fragments: PacketSlots
    ) -> OutboundResult {
        let buf = UnsafeMutableRawBufferPointer(start: buffer, count: settings.bufferSize)
        guard let length = message.encode(into: buf, at: settings.payloadOffset) else { return .dropped(.noRoom) }
        return sealPayload(buf, offset: settings.payloadOffset, length: length, now: now, fragments: fragments)
    }

    public func sealPing(_ buffer: UnsafeMutableRawPointer, now: UInt32) -> OutboundResult {
        sealPing(buffer, now: now, fragments: .none)
    }

    public func sealOCC(_ message: OCCMessage, _ buffer: UnsafeMutableRawPointer, now: UInt32) -> OutboundResult {
        sealOCC(message, buffer, now: now, fragments: .none)
    }

    @inline(__always)
    private func clampMSS(_ buf: UnsafeMutableRawBufferPointer, offset: Int, length: Int) {
        if let limit = settings.mssLimit {
            MSSClamp.clamp(
                UnsafeMutableRawBufferPointer(rebasing: buf[offset..<offset + length]),
                ethernet: settings.ethernetFrames, maxMSS: limit)
        }
    }

    @inline(__always)
    private func sealPayload(
        _ buf: UnsafeMutableRawBufferPointer, offset: Int, length: Int,
        now: UInt32, fragments: PacketSlots, compressed: Bool = false,
        packetID: (id: UInt32, time: UInt32)? = nil
    ) -> OutboundResult {
        let framed: (offset: Int, length: Int)? =
            compressed
            ? settings.compression.frameCompressed(buf, offset: offset, length: length)
            : settings.compression.frame(buf, offset: offset, length: length)
        guard var (start, len) = framed else { return .dropped(.noRoom) }
        if splitter != nil {
            guard let plan = splitter!.plan(length: len) else { return .dropped(.noRoom) }
            if !plan.isWhole {
                return sealPieces(
                    plan, of: UnsafeRawBufferPointer(rebasing: buf[start..<start + len]), now: now,
                    into: fragments)
            }
            start -= FragmentHeader.length
            FragmentHeader.whole.write(into: buf, at: start)
            len += FragmentHeader.length
        }
        let sealed =
            if let packetID {
                sealer.seal(
                    buf.baseAddress!, payloadOffset: start, payloadLength: len, capacity: settings.bufferSize,
                    packetID: packetID)
            } else {
                seal(buf.baseAddress!, payloadOffset: start, payloadLength: len, now: now)
            }
        switch sealed {
        case .sealed(let s, let l): return .sealed(start: s, length: l)
        case .dropped(let why): return .dropped(why)
        }
    }

    /// Writes header ‖ piece of the framed datagram into each slot and seals it there. A piece that
    /// fails to seal drops the whole datagram: the peer could never reassemble it.
    private func sealPieces(
        _ plan: FragmentPlan, of datagram: UnsafeRawBufferPointer, now: UInt32,
        into slots: PacketSlots
    ) -> OutboundResult {
        guard plan.count <= slots.capacity else { return .dropped(.noRoom) }
        let start = settings.payloadOffset - FragmentHeader.length - settings.compression.maxOverhead
        for piece in 0..<plan.count {
            let base = slots.slotBase(piece)
            guard
                let written = plan.write(
                    piece: piece, of: datagram,
                    into: UnsafeMutableRawBufferPointer(start: base, count: settings.bufferSize),
                    at: start)
            else { return .dropped(.noRoom) }
            switch seal(base, payloadOffset: start, payloadLength: written, now: now) {
            case .sealed(let s, let l): slots.setPiece(piece, start: s, length: l)
            case .dropped(let why): return .dropped(why)
            }
        }
        return .fragmented(count: plan.count)
    }

    @inline(__always)
    private func seal(_ buffer: UnsafeMutableRawPointer, payloadOffset: Int, payloadLength: Int, now: UInt32)
        -> SealResult
    {
        sealer.seal(
            buffer, payloadOffset: payloadOffset, payloadLength: payloadLength,
            capacity: settings.bufferSize, now: now)
    }
}

public enum OutboundResult: Sendable, Hashable {
    /// The wire packet is `buffer[start ..< start + length]`.
    case sealed(start: Int, length: Int)
    /// `--fragment`: the datagram was split and each piece sealed into fragment slots `0 ..< count`.
    case fragmented(count: Int)
    case dropped(SealFailure)
}
