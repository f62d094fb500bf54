/// Tunnel → link: MSS clamp, compression framing, optional fragmentation, seal.
///
/// Owned by one queue (the TX queue): it holds the sealer, whose packet-id counter must advance
/// in send order. Not thread-safe. Everything works in place on the caller's buffer.
public final class OutboundPath: @unchecked Sendable {
    public let settings: PacketPathSettings
    public let sealer: DataChannelSealer
    private var splitter: FragmentSplitter?
    /// The framed datagram being split, and its plan, between `seal` and the `sealFragment` calls.
    private let fragmentScratch: UnsafeMutableRawBufferPointer
    private var pendingPlan: FragmentPlan?

    public init(settings: PacketPathSettings, sealer: DataChannelSealer, fragmentSequenceSeed: UInt8 = 0) {
        self.settings = settings
        self.sealer = sealer
        if let max = settings.maxFragmentSize {
            splitter = FragmentSplitter(maxFragmentSize: max, initialSequenceID: fragmentSequenceSeed)
        }
        fragmentScratch = .allocate(byteCount: settings.bufferSize, alignment: 16)
    }

    deinit { fragmentScratch.deallocate() }

    /// Starts a new session (restart): packet-id 1 and a new epoch on the next packet.
    public func resetSession() {
        sealer.resetSession()
        pendingPlan = nil
    }

    /// Seals the tunnel packet at `buffer[settings.payloadOffset ..< payloadOffset + length]`.
    /// `buffer` must be `settings.bufferSize` bytes. On `.fragmented(n)` call `sealFragment` n times.
    @inline(__always)
    public func sealTunnelPacket(_ buffer: UnsafeMutableRawPointer, length: Int, now: UInt32) -> OutboundResult {
        let buf = UnsafeMutableRawBufferPointer(start: buffer, count: settings.bufferSize)
        var offset = settings.payloadOffset
        guard length > 0, length <= settings.maxTunnelPacket else { return .dropped(.noRoom) }
        if let limit = settings.mssLimit {
            _ = MSSClamp.clamp(ipPacket: UnsafeMutableRawBufferPointer(rebasing: buf[offset..<offset + length]),
                               maxMSS: limit)
        }
        return sealPayload(buf, offset: &offset, length: length, now: now)
    }

    /// Seals a keepalive ping (spec §6) into `buffer` (`settings.bufferSize` bytes).
    public func sealPing(_ buffer: UnsafeMutableRawPointer, now: UInt32) -> OutboundResult {
        let buf = UnsafeMutableRawBufferPointer(start: buffer, count: settings.bufferSize)
        var offset = settings.payloadOffset
        let length = Ping.write(into: buf, at: offset)
        return sealPayload(buf, offset: &offset, length: length, now: now)
    }

    /// Seals an OCC message (spec §7) into `buffer` (`settings.bufferSize` bytes).
    public func sealOCC(_ message: OCCMessage, _ buffer: UnsafeMutableRawPointer, now: UInt32) -> OutboundResult {
        let buf = UnsafeMutableRawBufferPointer(start: buffer, count: settings.bufferSize)
        var offset = settings.payloadOffset
        guard let length = message.encode(into: buf, at: offset) else { return .dropped(.noRoom) }
        return sealPayload(buf, offset: &offset, length: length, now: now)
    }

    /// Seals piece `index` of the datagram split by the last `.fragmented` result into `buffer`.
    public func sealFragment(_ index: Int, into buffer: UnsafeMutableRawPointer, now: UInt32) -> SealResult {
        guard let plan = pendingPlan, index < plan.count else { return .dropped(.noRoom) }
        let buf = UnsafeMutableRawBufferPointer(start: buffer, count: settings.bufferSize)
        let start = settings.payloadOffset - FragmentHeader.length - settings.compression.maxOverhead
        let piece = plan.write(piece: index, of: UnsafeRawBufferPointer(rebasing: fragmentScratch[0..<plan.totalLength]),
                               into: buf, at: start)
        if index == plan.count - 1 { pendingPlan = nil }
        guard let written = piece else { return .dropped(.noRoom) }
        return seal(buffer, payloadOffset: start, payloadLength: written, now: now)
    }

    @inline(__always)
    private func sealPayload(_ buf: UnsafeMutableRawBufferPointer, offset: inout Int, length: Int,
                             now: UInt32) -> OutboundResult {
        guard var (start, len) = settings.compression.frame(buf, offset: offset, length: length) else {
            return .dropped(.noRoom)
        }
        if splitter != nil {
            guard let plan = splitter!.plan(length: len) else { return .dropped(.noRoom) }
            if !plan.isWhole {
                UnsafeMutableRawBufferPointer(rebasing: fragmentScratch[0..<len])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: buf[start..<start + len]))
                pendingPlan = plan
                return .fragmented(count: plan.count)
            }
            start -= FragmentHeader.length
            FragmentHeader.whole.write(into: buf, at: start)
            len += FragmentHeader.length
        }
        offset = start
        switch seal(buf.baseAddress!, payloadOffset: start, payloadLength: len, now: now) {
        case .sealed(let s, let l): return .sealed(start: s, length: l)
        case .dropped(let why): return .dropped(why)
        }
    }

    @inline(__always)
    private func seal(_ buffer: UnsafeMutableRawPointer, payloadOffset: Int, payloadLength: Int, now: UInt32) -> SealResult {
        sealer.seal(buffer, payloadOffset: payloadOffset, payloadLength: payloadLength,
                    capacity: settings.bufferSize, now: now)
    }
}

public enum OutboundResult: Sendable, Hashable {
    /// The wire packet is `buffer[start ..< start + length]`.
    case sealed(start: Int, length: Int)
    /// `--fragment`: the packet was split; seal each piece with `sealFragment(_:into:now:)`.
    case fragmented(count: Int)
    case dropped(SealFailure)
}
