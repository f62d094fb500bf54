import SwvpnProtocol
import Synchronization

/// The packet loop of one tunnel: device → seal → link on the TX queue, link → open → device on
/// the RX queue (the numbered walk is in docs/ARCHITECTURE.md, "The packet walk").
///
/// This class is the control plane's handle: what both loops share (counters, peer address,
/// activity clocks, the event sink) and the rare operations (start, stop, restart, control
/// messages). The loops themselves are `PacketLoops<Device, Link>`, generic over the packet device
/// and the link and specialised for the concrete pair at construction, so the per-packet code has
/// no existential calls; only these rare operations go through `any DataPlaneLoops`.
///
/// Ownership, not locks, keeps it correct: the TX queue alone owns the outbound path and its
/// batches, the RX queue the inbound path and its; facts both need are atomics or, for the peer
/// address, a versioned value read once per batch. Rare events (peer first heard, peer moved, OCC
/// message, link failure) go to `events`. Nothing on the per-packet path allocates, logs or locks.
package final class DataPlane: @unchecked Sendable {  // `loops` is written once, in init, before self escapes
    package enum Event: Sendable {
        /// First authenticated packet of the session, or the peer moved (`float`/no `remote`).
        case peerAuthenticated(SocketAddress)
        case occ(OCCMessage)
        case linkFailed(String)
        /// A stream (TCP) link received a packet that failed authentication, decryption or the
        /// replay check: openvpn treats that as a broken connection and restarts it (PROTOCOL.md §3.6).
        case streamDecryptFailed(InboundDrop)
        case tunFailed(String)
    }

    package let counters = TrafficCounters()
    package let peer: PeerAddress
    /// Monotonic seconds of the last packet sent to / authenticated from the peer.
    package let lastSent = Atomic<Int64>(0)
    package let lastReceived = Atomic<Int64>(0)
    /// Set by each loop when it runs a heartbeat; the watchdog policy (`TunnelSession+Watchdog`)
    /// pets systemd only if both moved, or the TX loop is in a bounded TCP send wait.
    package let txHeartbeat = Atomic<Int64>(0)
    package let rxHeartbeat = Atomic<Int64>(0)
    /// The receive side's replay mark, `time << 32 | id`, published by the RX heartbeat once a second:
    /// the control plane decides from it whether to save the mark without a trip to the RX queue.
    package let replayMark = Atomic<UInt64>(0)
    let events: @Sendable (Event) -> Void
    private var loops: (any DataPlaneLoops)?

    /// The daemon's data plane: the TUN device and a UDP or TCP link, each pair specialised.
    package convenience init(
        tun: TUNDevice, link: any TunnelLink, outbound: OutboundPath, inbound: InboundPath,
        peer: PeerAddress, pinnedSource: Bool, offload: Offload = .none, outputPolicy: OutputPolicy? = nil,
        helpers: CryptoHelpers = .none, events: @escaping @Sendable (Event) -> Void
    ) {
        self.init(peer: peer, events: events)
        let paths = LoopPaths(
            outbound: outbound, inbound: inbound, pinnedSource: pinnedSource, offload: offload,
            outputPolicy: outputPolicy, helpers: helpers)
        switch link {
        case let udp as UDPLink: loops = PacketLoops(plane: self, device: tun, link: udp, paths: paths)
        case let tcp as TCPLink: loops = PacketLoops(plane: self, device: tun, link: tcp, paths: paths)
        default: loops = makeLoops(device: tun, link: link, paths: paths)
        }
    }

    /// Any packet device and link (the root-free tests run two of these on socketpairs).
    package convenience init<Device: PacketDevice, Link: TunnelLink>(
        device: Device, link: Link, outbound: OutboundPath, inbound: InboundPath, peer: PeerAddress,
        pinnedSource: Bool, offload: Offload = .none, outputPolicy: OutputPolicy? = nil,
        helpers: CryptoHelpers = .none, events: @escaping @Sendable (Event) -> Void
    ) {
        self.init(peer: peer, events: events)
        let paths = LoopPaths(
            outbound: outbound, inbound: inbound, pinnedSource: pinnedSource, offload: offload,
            outputPolicy: outputPolicy, helpers: helpers)
        loops = makeLoops(device: device, link: link, paths: paths)
    }

    private init(peer: PeerAddress, events: @escaping @Sendable (Event) -> Void) {
        self.peer = peer
        self.events = events
    }

    private func makeLoops<Device: PacketDevice, Link: TunnelLink>(device: Device, link: Link, paths: LoopPaths)
        -> any DataPlaneLoops
    {
        PacketLoops(plane: self, device: device, link: link, paths: paths)
    }

    /// Starts both loops. May be called again after `stop()` (a TCP link's new connection: the read
    /// source is rebuilt on the link's current `readFD`).
    package func start() { loops!.start() }

    /// Stops both loops and waits until neither runs; the fds stay open (their owners close them).
    package func stop() { loops!.stop() }

    /// A new session (restart): packet-id back to 1, fresh replay window, peer to be heard again.
    /// With `keepReplayMark` (`replay-persist`) the new window starts at the old high-water mark.
    package func resetSession(keepReplayMark: Bool = false) { loops!.resetSession(keepReplayMark: keepReplayMark) }

    /// The receive side's (time, highest id), read on the RX queue that owns it.
    package func replayHighWater() -> (time: UInt32, id: UInt32) { loops!.replayHighWater() }

    /// Seals and sends a ping, OCC message or control-originated inner packet on the TX queue.
    package func sendControl(_ message: ControlMessage) { loops!.sendControl(message) }

    /// Records on both loops that they are alive (the systemd watchdog's proof) and expires stale
    /// fragments on the RX side.
    package func heartbeat() { loops!.heartbeat() }

    /// Installs (or with nil removes) the inbound intercept: asked once per decrypted IP packet on
    /// the RX queue, before the device write; returning true claims the packet (it is not written).
    /// It must be cheap and must not allocate or block: a health probe matching its echo replies.
    package func setInboundIntercept(_ intercept: InboundIntercept?) { loops!.setInboundIntercept(intercept) }

    /// Batches each loop shared with its crypto workers so far (0 with one worker), read on each queue.
    package func parallelBatches() -> (tx: Int, rx: Int) { loops!.parallelBatches() }
}

/// See `DataPlane.setInboundIntercept`. The bytes are valid only during the call.
package typealias InboundIntercept = @Sendable (UnsafeRawBufferPointer) -> Bool

/// What the control plane asks the TX loop to seal and send.
package enum ControlMessage: Sendable {
    case ping
    case occ(OCCMessage)
    /// An inner IP packet originated by the control plane (a health probe's ICMP echo request),
    /// sealed like tunnel traffic: `write` fills the buffer (up to the tunnel MTU) and returns the
    /// packet's length, 0 to send nothing.
    case innerPacket(write: @Sendable (UnsafeMutableRawBufferPointer) -> Int)
}

/// The rare operations of one `PacketLoops` instantiation (one existential call each, never per packet).
protocol DataPlaneLoops: AnyObject {
    func start()
    func stop()
    func resetSession(keepReplayMark: Bool)
    func replayHighWater() -> (time: UInt32, id: UInt32)
    func sendControl(_ message: ControlMessage)
    func heartbeat()
    func setInboundIntercept(_ intercept: InboundIntercept?)
    func parallelBatches() -> (tx: Int, rx: Int)
}

/// The packet paths and per-tunnel choices a `PacketLoops` is built from.
struct LoopPaths {
    let outbound: OutboundPath
    let inbound: InboundPath
    /// Without `float`, a configured remote is the only source accepted (checked before any crypto):
    /// the peer address, which the control plane sets when the name resolves; while it is nil,
    /// nothing is accepted. Unpinned, any authenticated packet may move the peer.
    let pinnedSource: Bool
    let offload: Offload
    /// `passtos`, `shaper` (OutputPolicy.swift).
    var outputPolicy: OutputPolicy? = nil
    /// Crypto workers beyond the loop threads (`SWVPND_WORKERS`).
    var helpers: CryptoHelpers = .none
}
