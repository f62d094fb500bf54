import SwvpnProtocol

/// Something the executor saw: set-up results, packets, timers, signals, sockets. Each carries the
/// monotonic time (seconds) when it matters, so the session never reads a clock.
public enum TunnelEvent: Sendable {
    /// Set-up finished (first start or after a reload); `peerKnown`: a `remote` resolved.
    case started(now: Int64, peerKnown: Bool)
    /// The result of `.installRoutes`: false if any route is missing.
    case routesInstalled(complete: Bool)
    /// The `route-delay` wait of generation `generation` is over.
    case routeDelayElapsed(generation: Int)
    /// First authenticated packet of the session, or the peer moved; `address` in openvpn's notation.
    case peerAuthenticated(address: String, now: Int64)
    case occ(OCCMessage, now: Int64)
    /// Once a second.
    case tick(Tick)
    case signal(TunnelSignal, now: Int64, peerKnown: Bool)
    /// The link failed (TCP: EOF, reset, bad record length; UDP: a socket error).
    case linkFailed(String, now: Int64)
    /// A TCP connection delivered a packet that failed authentication or the replay check.
    case streamDecryptFailed(String, now: Int64)
    case tunFailed(String)
    /// The peer address is set again after a restart (a `remote` resolved).
    case peerAddressKnown(now: Int64)
    /// tcp-client/tcp-server: a connection is up; `address` in openvpn's notation.
    case tcpConnected(address: String, now: Int64)
    /// tcp-server: a connection from an address other than `remote`'s was refused (and closed);
    /// `unresolved`: the `remote` name has no address yet, so every connection is refused.
    case tcpRejected(address: String, unresolved: Bool = false, now: Int64)
    /// tcp-client: a connect failed or timed out (openvpn's "connection-failed" restart), or the remote
    /// did not resolve (`unresolved`: the next attempt is only scheduled).
    case tcpConnectFailed(now: Int64, unresolved: Bool = false)
    /// SIGHUP: the config and key were read again (`.reloadConfig` succeeded).
    case configReloaded(now: Int64)
    /// SIGHUP: the config could not be read again; the running tunnel stays.
    case reloadFailed(String)
    /// Set-up failed; `addressInUse`: the socket could not bind (EADDRINUSE), which may pass.
    case setUpFailed(String, addressInUse: Bool)
    /// The `remote` in use needs resolving, or a lookup asked for by `.resolveRemote` answered.
    case remoteResolution(RemoteResolution, now: Int64)
}

/// The process signals the session reacts to, with OpenVPN's meaning.
public enum TunnelSignal: Sendable, Hashable {
    /// SIGTERM, SIGINT: exit (with `explicit-exit-notify`, after telling the peer).
    case terminate, interrupt
    /// SIGHUP: re-read the config and set up again.
    case hangUp
    /// SIGUSR1: soft restart.
    case user1
    /// SIGUSR2: log statistics.
    case user2
}

/// What the data plane reports once a second.
public struct Tick: Sendable, Hashable {
    public var now: Int64
    /// Monotonic seconds of the last packet sent / authenticated packet received (0: none yet).
    public var lastSent: Int64
    public var lastReceived: Int64
    /// Monotonic seconds of the last heartbeat of the transmit and receive loops.
    public var txHeartbeat: Int64
    public var rxHeartbeat: Int64
    /// Monotonic seconds since the transmit loop waits for room on a TCP connection; 0: it does not.
    public var txStalledSince: Int64
    /// The peer's current address (openvpn's notation without the family), nil while unknown.
    public var peer: String?
    /// Bytes written to / read from the TUN device by this data plane.
    public var tunWriteBytes: UInt64
    public var tunReadBytes: UInt64
    /// Drop counters in a fixed order, with their label.
    public var drops: [DropTally]
    /// The receive side's replay high-water mark as `time << 32 | id` (0: nothing accepted yet).
    public var replayMark: UInt64

    public init(
        now: Int64, lastSent: Int64 = 0, lastReceived: Int64 = 0, txHeartbeat: Int64? = nil,
        rxHeartbeat: Int64? = nil, peer: String? = nil, tunWriteBytes: UInt64 = 0, tunReadBytes: UInt64 = 0,
        drops: [DropTally] = [], txStalledSince: Int64 = 0, replayMark: UInt64 = 0
    ) {
        self.now = now
        self.lastSent = lastSent
        self.lastReceived = lastReceived
        self.txHeartbeat = txHeartbeat ?? now
        self.rxHeartbeat = rxHeartbeat ?? now
        self.txStalledSince = txStalledSince
        self.peer = peer
        self.tunWriteBytes = tunWriteBytes
        self.tunReadBytes = tunReadBytes
        self.drops = drops
        self.replayMark = replayMark
    }
}

/// One drop counter: `label` as logged ("bad HMAC"), `isReplay` for `mute-replay-warnings`.
public struct DropTally: Sendable, Hashable {
    public var label: String
    public var count: UInt64
    public var isReplay: Bool

    public init(label: String, count: UInt64, isReplay: Bool = false) {
        self.label = label
        self.count = count
        self.isReplay = isReplay
    }
}
