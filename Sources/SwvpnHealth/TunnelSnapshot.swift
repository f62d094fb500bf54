/// Everything an operator or a monitor may ask about one tunnel, read at one instant.
///
/// It is the single source for the control socket's JSON, `swvpnd status`, `GET /health`,
/// `GET /metrics` and the management interface: each is a rendering of this value, so they never
/// disagree. Building one reads atomics and control-queue state only; the packet path pays nothing.
/// Nothing here is secret: no key material, no HMAC or cipher state.
public struct TunnelSnapshot: Sendable, Equatable {
    public enum State: String, Sendable, Equatable, CaseIterable {
        /// Set up, no authenticated packet from the peer yet in this session.
        case waiting
        /// The peer is heard (authenticated packets within the ping-restart window).
        case up
        /// The peer was up and was given up on (`reason` says why); waiting for it again.
        case lost
    }

    /// A count per reason (drops, restarts), in a fixed order.
    public struct Count: Sendable, Equatable {
        public var reason: String
        public var count: UInt64
        public init(_ reason: String, _ count: UInt64) {
            self.reason = reason
            self.count = count
        }
    }

    /// Bytes and packets each way. `tun*` are inner (plain) bytes, `link*` are wire bytes.
    public struct Traffic: Sendable, Equatable {
        public var tunReadBytes: UInt64 = 0
        public var tunWriteBytes: UInt64 = 0
        public var linkReadBytes: UInt64 = 0
        public var linkWriteBytes: UInt64 = 0
        /// Link bytes of packets that authenticated (openvpn's "Auth read bytes").
        public var authReadBytes: UInt64 = 0
        public var linkReadPackets: UInt64 = 0
        public var linkWritePackets: UInt64 = 0
        public init() {}
    }

    /// The configuration's name (`site-a` for `/etc/swvpnd/site-a.conf`).
    public var tunnel: String
    public var version: String
    public var pid: Int32 = 0
    public var state: State = .waiting
    /// Why the tunnel was lost (`ping-restart`, `remote-exit`, ...); nil unless `state == .lost`.
    public var reason: String?
    /// The peer's link address (`198.51.100.7:1194`), nil while unknown.
    public var peer: String?
    /// The local link address the socket is bound to.
    public var local: String?
    /// Seconds since the last authenticated packet from the peer / the last packet sent; nil: never.
    public var lastReceivedSeconds: Int64?
    public var lastSentSeconds: Int64?
    public var device: String = ""
    public var mtu: Int = 0
    /// `ifconfig` addresses of this end and of the peer (IPv4 dotted quad), when configured.
    public var tunnelAddress: String?
    public var tunnelPeerAddress: String?
    public var routesInstalled: [String] = []
    public var routesMissing: [String] = []
    /// `net.ipv4.ip_forward`; nil when it could not be read.
    public var ipForward: Bool?
    public var traffic = Traffic()
    public var drops: [Count] = []
    public var restarts: [Count] = []
    public var uptimeSeconds: Int64 = 0
    /// Unix time of the snapshot (management `>STATE:` lines carry it).
    public var unixTime: Int64 = 0
    /// nil when `health-probe` is off.
    public var probe: ProbeStatistics?

    public init(tunnel: String, version: String) {
        self.tunnel = tunnel
        self.version = version
    }

    /// `GET /health`'s answer: up, and the probe (when on) within its threshold.
    public var isHealthy: Bool {
        state == .up && (probe?.isHealthy ?? true)
    }
}
