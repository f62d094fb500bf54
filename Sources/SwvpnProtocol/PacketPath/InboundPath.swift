/// Link → tunnel: open (HMAC, decrypt, replay), fragment reassembly, compression unframing, then
/// classification into tunnel packet, ping or OCC message (PROTOCOL.md §3.5).
///
/// Owned by one queue (the RX queue): it holds the opener and its replay window. Not thread-safe.
public final class InboundPath: @unchecked Sendable {  // owned by one queue (see above)
    public let settings: PacketPathSettings
    public let opener: DataChannelOpener
    private let reassembler: FragmentReassembler?
    /// nil with `allow-compression no`: compressed packets are dropped with a reason.
    private let decompressor: (any PayloadDecompressor)?

    public init(settings: PacketPathSettings, opener: DataChannelOpener, decompressor: (any PayloadDecompressor)? = nil)
    {
        self.settings = settings
        self.opener = opener
        self.decompressor = decompressor
        reassembler =
            settings.maxFragmentSize != nil ? FragmentReassembler(capacity: settings.maxTunnelPacket + 8) : nil
    }

    /// A new session (restart): fresh replay window.
    public func resetSession() { opener.resetSession() }

    /// Opens the wire packet at `buffer[0 ..< length]`; everything happens inside those bytes.
    /// A delivered tunnel packet points into `buffer`, or into reassembly or decompression storage
    /// that stays valid until the next call.
    @inline(__always)
    public func open(_ buffer: UnsafeMutableRawPointer, length: Int, now: Int64) -> InboundResult {
        finish(buffer, authenticate(buffer, length: length, with: opener), now: now)
    }

    /// The crypto part of `open` (size check, HMAC, decryption), with `opener` this path's own or a
    /// helper's (same key and direction) on a crypto worker thread. Changes no state of this path.
    @inline(__always)
    public func authenticate(
        _ buffer: UnsafeMutableRawPointer, length: Int, with opener: DataChannelOpener
    ) -> OpenResult {
        guard length <= settings.maxWirePacket else { return .dropped(.tooLong) }
        return opener.authenticate(buffer, length: length)
    }

    /// The rest of `open` for a packet `authenticate` handled, on the owner's queue in arrival order:
    /// replay check, reassembly, unframing, classification.
    @inline(__always)
    public func finish(_ buffer: UnsafeMutableRawPointer, _ authenticated: OpenResult, now: Int64) -> InboundResult {
        var payload: UnsafeMutableRawBufferPointer
        switch opener.accept(authenticated, now: now) {
        case .dropped(let why): return .dropped(.crypto(why))
        case .payload(let offset, let len, _, _):
            payload = UnsafeMutableRawBufferPointer(start: buffer + offset, count: len)
        }
        if let reassembler {
            switch reassembler.receive(payload, offset: 0, length: payload.count, now: now) {
            case .packet(let o, let l): payload = UnsafeMutableRawBufferPointer(rebasing: payload[o..<o + l])
            case .reassembled(let whole): payload = whole
            case .pending: return .pending
            case .drop(let why): return .dropped(.fragment(why))
            }
        }
        switch settings.compression.unframe(payload, offset: 0, length: payload.count) {
        case .drop(let why): return .dropped(.compression(why))
        case .packet(let o, let l): payload = UnsafeMutableRawBufferPointer(rebasing: payload[o..<o + l])
        case .compressed(let algorithm, let o, let l):
            guard let decompressor else {
                return .dropped(.compression(algorithm == .lzo ? .lzoCompressedUnsupported : .lz4CompressedUnsupported))
            }
            switch decompressor.decompress(algorithm, UnsafeRawBufferPointer(rebasing: payload[o..<o + l])) {
            case .success(let plain): payload = plain
            case .failure(let why): return .dropped(.compression(why))
            }
        }
        guard payload.count > 0 else { return .dropped(.empty) }
        let view = UnsafeRawBufferPointer(payload)
        if payload.count == Ping.length && Ping.isPing(view) { return .ping }
        if OCCMessage.hasMagic(view) { return OCCMessage.decode(view).map { .occ($0) } ?? .dropped(.empty) }
        if let limit = settings.mssLimit { MSSClamp.clamp(payload, ethernet: settings.ethernetFrames, maxMSS: limit) }
        return .tunnelPacket(payload)
    }

    /// True when a stream link must end after `result`: on TCP a packet that fails authentication,
    /// decryption or the replay check means the stream is out of step, and openvpn restarts the
    /// connection (PROTOCOL.md §3.6). Datagrams are simply dropped.
    @inline(__always)
    public func endsStream(_ result: InboundResult) -> Bool {
        guard settings.tcpFraming, case .dropped(.crypto) = result else { return false }
        return true
    }

    /// Forgets partial fragments older than their 10 s lifetime; call from a timer.
    public func expireFragments(now: Int64) { reassembler?.expire(now: now) }
}

public enum InboundResult {
    /// An IP packet for the TUN device.
    case tunnelPacket(UnsafeMutableRawBufferPointer)
    /// A keepalive ping: authenticated traffic, nothing to deliver.
    case ping
    /// An OCC message for the control plane.
    case occ(OCCMessage)
    /// A fragment was stored; the datagram is not complete yet.
    case pending
    case dropped(InboundDrop)

    /// Everything but a crypto/replay drop came from the peer's key: it proves the peer is alive
    /// and may move the peer address (`float`).
    public var isAuthenticated: Bool {
        if case .dropped(.crypto) = self { return false }
        return true
    }
}

public enum InboundDrop: Sendable, Hashable, CustomStringConvertible {
    case crypto(DropReason)
    case fragment(FragmentDropReason)
    case compression(CompressionDropReason)
    /// Authenticated but nothing left after framing (or an OCC message too short to read).
    case empty

    public var description: String {
        switch self {
        case .crypto(let r): r.openVPNText
        case .fragment(let r): r.description
        case .compression(let r): r.description
        case .empty: "empty payload"
        }
    }
}
