// MARK: - TCP connections: handshake deadline, stall limit, rate-limited connection logs

extension TunnelSession {
    /// How long a tcp-server connection may hold the one slot without delivering an authenticated
    /// packet: openvpn's `hand-window` default, the time it gives a TLS peer to prove itself. A live
    /// peer needs far less (openvpn and swvpnd send an OCC request 10 s after connecting, and
    /// `keepalive` pings); a shorter `ping-restart` ends such a connection earlier anyway.
    public static let tcpHandshakeSeconds: Int64 = 60
    /// A TCP connection that makes no progress this long is dropped when no `ping-restart`/`ping-exit`
    /// says otherwise (openvpn leaves it to the kernel: about 15 minutes of retransmissions, and a
    /// zero window forever).
    public static let tcpStallDefaultSeconds: Int64 = 60
    /// The stall limit never goes below this, so a short loss burst (retransmissions backing off
    /// 0.2, 0.4, 0.8, 1.6, 3.2 s) does not end a connection whose peer is still heard.
    public static let tcpStallMinimumSeconds: Int64 = 10
    /// Connection log lines (accepted, rejected) per kind: at most this many per window, the rest summed.
    public static let connectionLogBurst = 5
    public static let connectionLogSeconds: Int64 = 10

    /// The session's bookkeeping of the current TCP connection and of the connection logs.
    struct TCPGuard: Sendable {
        var connectedAt: Int64 = 0
        var peer = ""
        /// False when the connection's opening was not logged (rate limit): if it ends before it
        /// authenticates, its end is not logged either.
        var logged = true
        var accepted = LogRateLimit(burst: connectionLogBurst, intervalSeconds: connectionLogSeconds)
        var rejected = LogRateLimit(burst: connectionLogBurst, intervalSeconds: connectionLogSeconds)
    }

    /// A connection that makes no progress for this long is dropped, both by swvpnd (a send that
    /// cannot hand its records to the kernel) and by the kernel (`TCP_USER_TIMEOUT`: data unacknowledged
    /// or a zero window): the `ping-restart` (or `ping-exit`) time, the user's own "the peer is dead"
    /// limit, at least `tcpStallMinimumSeconds`; `tcpStallDefaultSeconds` without one.
    public var tcpStallSeconds: Int64 {
        switch settings.timers.inactivity {
        case .restart(let seconds)?, .exit(let seconds)?: max(seconds, Self.tcpStallMinimumSeconds)
        case nil: Self.tcpStallDefaultSeconds
        }
    }

    /// `.tcpConnected`: a new connection starts a fresh session; its line is rate-limited.
    mutating func tcpConnectionOpened(_ address: String, now: Int64) -> [TunnelAction] {
        tcpConnected = true
        tcpFailedAttempts = 0
        lifecycle.connectAttempts = 0
        resetPeer(now: now, lost: nil)
        timers.peerAddressKnown(now: now)
        tcpGuard.connectedAt = now
        tcpGuard.peer = address
        switch tcpGuard.accepted.admit(now: now) {
        case .log(let earlier):
            tcpGuard.logged = true
            return Self.notLogged(earlier, "connections", .notice)
                + [.log(.notice, "TCP connection established with \(address)")]
        case .suppress:
            tcpGuard.logged = false
            return []
        }
    }

    /// `.tcpRejected`: a tcp-server refused a connection from an address other than `remote`'s.
    mutating func tcpConnectionRejected(_ address: String, unresolved: Bool, now: Int64) -> [TunnelAction] {
        let why = unresolved ? "--remote setting (not resolved yet)" : "--remote setting"
        switch tcpGuard.rejected.admit(now: now) {
        case .log(let earlier):
            return Self.notLogged(earlier, "rejected connection attempts", .warning)
                + [.log(.warning, "TCP NOTE: Rejected connection attempt from \(address) due to \(why)")]
        case .suppress:
            return []
        }
    }

    /// The connection ends (`lines` say why) and the session restarts on the next one. A connection
    /// that never authenticated and whose opening was rate-limited ends without a line.
    mutating func tcpConnectionEnded(_ reason: RestartReason, _ lines: [TunnelAction], now: Int64) -> [TunnelAction] {
        guard tcpConnected else { return [] }
        let quiet = !tcpGuard.logged && !peerUp
        let actions = lines + restart(reason, now: now)
        return quiet ? actions.filter { if case .log = $0 { false } else { true } } : actions
    }

    /// At each tick: a tcp-server connection past its handshake deadline is closed (the slot is
    /// free for the real peer, whose connection waits in the listen backlog), and suppressed
    /// connection lines of a finished window are summed.
    mutating func tcpTick(now: Int64) -> [TunnelAction] {
        var actions: [TunnelAction] = []
        if settings.transport == .tcpServer, tcpConnected, !peerUp,
            now - tcpGuard.connectedAt >= settings.tcpHandshakeSeconds
        {
            let line =
                "TCP: no authenticated packet from \(tcpGuard.peer) within \(settings.tcpHandshakeSeconds) s, "
                + "closing the connection"
            actions += tcpConnectionEnded(.handshakeTimeout, [.log(.notice, line)], now: now)
        }
        if let count = tcpGuard.accepted.flush(now: now) {
            actions += Self.notLogged(count, "connections", .notice)
        }
        if let count = tcpGuard.rejected.flush(now: now) {
            actions += Self.notLogged(count, "rejected connection attempts", .warning)
        }
        return actions
    }

    private static func notLogged(_ count: Int, _ what: String, _ level: LogLevel) -> [TunnelAction] {
        guard count > 0 else { return [] }
        return [
            .log(
                level,
                "TCP: \(count) more \(what) not logged (at most \(connectionLogBurst) per \(connectionLogSeconds) s)")
        ]
    }
}
