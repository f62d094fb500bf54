import SwvpnProtocol

/// The control plane of one tunnel as a pure state machine: the executor (`TunnelController`) feeds
/// it events with the time they happened and performs the actions it returns, in order. It owns
/// every lifecycle decision: when READY=1 may be sent, when to ping, restart, rotate the remote,
/// reconnect, retry routes or a bind, report drops and exit. No clock, no environment, no I/O.
///
///     started ──▶ waiting ──(peer authenticated)──▶ up ──(ping-restart, OCC exit, SIGUSR1,
///        ▲           ▲                                    TCP reset/decrypt error)──▶ lost(reason)
///        │           └────────────────────── soft restart: new timers ◀──────────────────┘
///        └── SIGHUP: RELOADING=1, rebuild, READY=1 again once the routes are back
///     SIGTERM/SIGINT, ping-exit, TUN failure: [exit notification] ──▶ exit
public struct TunnelSession: Sendable {
    /// What the outside may know (the health snapshot, STATUS=).
    public struct State: Sendable, Hashable {
        public enum Peer: Sendable, Hashable {
            case waiting
            case up
            /// An up peer was given up on, and why; until it is back.
            case lost(RestartReason)
        }

        public enum Routes: Sendable, Hashable {
            case installed
            /// `route-delay`: waiting for the peer and the delay.
            case pending
            /// Some route failed; retried every 5 s.
            case missing
        }

        public var peer: Peer
        /// Monotonic seconds since when `peer` holds.
        public var since: Int64
        public var routes: Routes
        public var restarts: [RestartReason: Int]
        public var readySent: Bool
        /// Index of the `remote` line in use.
        public var remoteIndex: Int
    }

    enum Phase: Sendable, Hashable {
        /// Not set up yet, or being set up again.
        case settingUp
        case running
        /// SIGHUP accepted: torn down and set up again.
        case reloading
        case exitNotifying(ExitNotifySequence)
        case stopped
    }

    public private(set) var settings: Settings
    var phase = Phase.settingUp
    var timers: PeerTimers
    var peerUp = false
    var lostReason: RestartReason?
    var since: Int64 = 0
    var routesInstalled = false
    var routesPending = false
    var readySent = false
    var initializationLogged = false
    /// Bumped on every start so a stale route-delay timer does nothing.
    var generation = 0
    public private(set) var remoteIndex = 0
    var restarts: [RestartReason: Int] = [:]
    var bindFailures = 0
    var tcpConnected = false
    var tcpFailedAttempts = 0
    var tcpGuard = TCPGuard()
    /// The `remote` name's lookups (TunnelSession+Resolve.swift).
    var resolve = ResolveState()
    // Tick bookkeeping.
    var lastSentSeen: Int64 = 0
    var lastReceivedSeen: Int64 = 0
    var lastDropReport: Int64 = 0
    var lastDrops: [UInt64] = []
    var lastReplaySave: Int64 = 0
    /// The replay mark (`Tick.replayMark`) the last `.saveReplayMark` was for.
    var savedReplayMark: UInt64 = 0
    var lastStatusFileWrite: Int64 = 0
    var lastStatusText = ""
    var peerAddress: String?
    var rxBytes: UInt64 = 0
    var txBytes: UInt64 = 0
    /// Bytes of data planes before the last reload: STATUS= keeps counting across SIGHUP.
    var carriedRx: UInt64 = 0
    var carriedTx: UInt64 = 0
    /// route-up, inactive, connect-retry-max (TunnelSession+Lifecycle.swift).
    var lifecycle = LifecycleState()

    public init(settings: Settings, now: Int64) {
        self.settings = settings
        timers = PeerTimers(settings: settings.timers, now: now)
        since = now
    }

    public var state: State {
        let peer: State.Peer = peerUp ? .up : lostReason.map { .lost($0) } ?? .waiting
        let routes: State.Routes = routesInstalled ? .installed : routesPending ? .pending : .missing
        return State(
            peer: peer, since: since, routes: routes, restarts: restarts, readySent: readySent,
            remoteIndex: remoteIndex)
    }

    /// True once an exit is under way (exit notification sent or exit decided).
    public var isExiting: Bool {
        switch phase {
        case .exitNotifying, .stopped: true
        default: false
        }
    }

    /// Replaces the settings (SIGHUP read a new config); takes effect with the next `.started`.
    public mutating func reconfigure(_ settings: Settings) {
        self.settings = settings
        if settings.remoteCount > 0 { remoteIndex %= settings.remoteCount }
    }

    /// The one entry point: an event in, the actions to perform out.
    public mutating func handle(_ event: TunnelEvent) -> [TunnelAction] {
        if case .stopped = phase { return [] }
        switch event {
        case .started(let now, let peerKnown): return started(now: now, peerKnown: peerKnown)
        case .routesInstalled(let complete):
            routesInstalled = complete
            return routeUpOnce() + announceReadyIfComplete()
        case .routeDelayElapsed(let generation):
            guard generation == self.generation, routesPending else { return [] }
            routesPending = false
            return [.installRoutes]
        case .peerAuthenticated(let address, let now): return peerAuthenticated(address, now: now)
        case .occ(let message, let now): return occ(message, now: now)
        case .tick(let tick): return self.tick(tick)
        case .signal(let signal, let now, let peerKnown): return self.signal(signal, now: now, peerKnown: peerKnown)
        case .linkFailed(let why, let now):
            guard settings.transport != .udp else { return [.log(.error, "link error: \(why)")] }
            return tcpConnectionEnded(
                .connectionReset, [.log(.notice, why), .log(.notice, "Connection reset, restarting")], now: now)
        case .streamDecryptFailed(let drop, let now):
            guard settings.transport != .udp else { return [] }
            return tcpConnectionEnded(
                .decryptionError,
                [
                    .log(.error, "Authenticate/Decrypt packet error: \(drop)"),
                    .log(.error, "Fatal decryption error (process_incoming_link), restarting"),
                ], now: now)
        case .tunFailed(let why):
            return [.log(.critical, "TUN device failed: \(why)")] + exit("SIGTERM[hard,tun-error] received")
        case .peerAddressKnown(let now):
            timers.peerAddressKnown(now: now)
            return []
        case .tcpConnected(let address, let now): return tcpConnectionOpened(address, now: now)
        case .tcpRejected(let address, let unresolved, let now):
            return tcpConnectionRejected(address, unresolved: unresolved, now: now)
        case .tcpConnectFailed(let now, let unresolved):
            return unresolved ? scheduleReconnect() : tcpConnectFailed(now: now)
        case .configReloaded:
            guard case .running = phase else { return [] }
            phase = .reloading
            readySent = false
            carriedRx &+= rxBytes
            carriedTx &+= txBytes
            (rxBytes, txBytes) = (0, 0)
            restarts[.reload, default: 0] += 1
            return [.notifyReloading, .rebuild(signal: takeReloadSignal())]
        case .reloadFailed(let why):
            _ = takeReloadSignal()
            return [.log(.error, "configuration reload failed, keeping the running tunnel: \(why)")]
        case .setUpFailed(let why, let addressInUse):
            return setUpFailed(why, addressInUse: addressInUse)
        case .remoteResolution(let resolution, let now): return remoteResolution(resolution, now: now)
        }
    }

    // MARK: Start, routes, READY

    private mutating func started(now: Int64, peerKnown: Bool) -> [TunnelAction] {
        phase = .running
        generation += 1
        bindFailures = 0
        tcpConnected = false
        lostReason = nil
        resetPeer(now: now, lost: nil)
        since = now
        if peerKnown { timers.peerAddressKnown(now: now) }
        (lastSentSeen, lastReceivedSeen) = (0, 0)
        lastDrops = []  // a new data plane counts from zero
        peerAddress = nil
        lifecycle.routeUpDone = false
        lifecycle.lastTunBytes = 0
        lifecycle.connectAttempts = settings.transport == .tcpClient ? 1 : 0
        resolve = ResolveState(generation: resolve.generation)
        var actions: [TunnelAction] = []
        routesInstalled = false
        routesPending = false
        if settings.routeNoExec {
            routesInstalled = true
            actions += routeUpOnce() + announceReadyIfComplete()
        } else if settings.routeDelaySeconds == nil {
            actions.append(.installRoutes)
        } else {
            routesPending = true
        }
        if settings.transport == .tcpClient { actions.append(.connect(afterSeconds: 0)) }
        return actions
    }

    /// READY=1 once device, socket and routes are in place; "Initialization Sequence Completed" once
    /// the peer has also been heard (as openvpn logs it).
    private mutating func announceReadyIfComplete() -> [TunnelAction] {
        var actions: [TunnelAction] = []
        if routesInstalled && !readySent {
            readySent = true
            if settings.notify { actions.append(.notifyReady(status: statusText)) }
        }
        if routesInstalled && peerUp && !initializationLogged {
            initializationLogged = true
            actions.append(.log(.notice, "Initialization Sequence Completed"))
        }
        return actions
    }

    private mutating func setUpFailed(_ why: String, addressInUse: Bool) -> [TunnelAction] {
        if addressInUse {
            bindFailures += 1
            guard bindFailures >= settings.bindTries else {
                let seconds = settings.bindRetrySeconds
                return [
                    .log(
                        .warning, "\(why); trying again in \(seconds) s (try \(bindFailures) of \(settings.bindTries))"),
                    .retrySetUp(afterSeconds: seconds),
                ]
            }
            phase = .stopped
            return [.fail("\(why); gave up after \(settings.bindTries) tries")]
        }
        if case .reloading = phase {
            return [.log(.critical, why)] + exit("SIGTERM[hard,restart-failed] received")
        }
        phase = .stopped
        return [.fail(why)]
    }

    // MARK: Peer

    private mutating func peerAuthenticated(_ address: String, now: Int64) -> [TunnelAction] {
        guard !peerUp else { return [.log(.notice, "Peer moved to \(address) (float)")] + ipchange(address) }
        peerUp = true
        lostReason = nil
        since = now
        timers.peerAddressKnown(now: now)
        var actions: [TunnelAction] = [.log(.notice, "Peer Connection Initiated with \(address)")] + ipchange(address)
        if routesPending, let delay = settings.routeDelaySeconds {
            actions.append(.installRoutesAfter(seconds: delay, generation: generation))
        }
        return actions + announceReadyIfComplete()
    }

    private mutating func occ(_ message: OCCMessage, now: Int64) -> [TunnelAction] {
        switch message {
        case .request:
            return [.log(.trace, "RECEIVED OCC_REQUEST"), .sendOCCReply]
        case .reply(let text):
            timers.occReplyReceived()
            return [.log(.trace, "RECEIVED OCC_REPLY: '\(OCCMessage.sanitized(text))'"), .checkOCCReply(text)]
        case .exit:
            return [.log(.notice, "OCC exit message received by peer")] + restart(.remoteExit, now: now)
        case .mtuRequest, .mtuReply, .mtuLoad, .mtuLoadRequest, .unrecognized:
            return [.log(.debug, "OCC message \(message) ignored")]
        }
    }

    /// The one peer-state reset (start, soft restart, new TCP connection).
    mutating func resetPeer(now: Int64, lost reason: RestartReason?) {
        if peerUp, let reason { lostReason = reason }
        if peerUp || reason != nil { since = now }
        peerUp = false
        initializationLogged = false
        timers = PeerTimers(settings: settings.timers, now: now)
        restartInactivity(now: now)
    }

    // MARK: Signals, restarts, exit

    private mutating func signal(_ signal: TunnelSignal, now: Int64, peerKnown: Bool) -> [TunnelAction] {
        switch signal {
        case .terminate, .interrupt:
            guard !isExiting else { return [] }
            let name = signal == .terminate ? "SIGTERM" : "SIGINT"
            guard let seconds = settings.exitNotifySeconds, peerKnown, case .running = phase else {
                return exit("\(name)[hard,] received")
            }
            phase = .exitNotifying(ExitNotifySequence(seconds: seconds, now: now))
            return [.log(.notice, "\(name) received, sending exit notification to peer")] + pollExitNotify(now: now)
        case .hangUp:
            guard case .running = phase else { return [] }
            return [.log(.notice, "SIGHUP received: re-reading configuration"), .reloadConfig]
        case .user1:
            return restart(.user, now: now)
        case .user2:
            return [.logStatistics]
        }
    }

    /// OpenVPN's SIGUSR1: a new session on the same device and socket.
    mutating func restart(_ reason: RestartReason, now: Int64) -> [TunnelAction] {
        guard case .running = phase else { return [] }
        if let remapped = remapped(Self.logText(reason), lost: reason, now: now) { return remapped }
        restarts[reason, default: 0] += 1
        var actions: [TunnelAction] = [
            .log(.notice, "SIGUSR1[\(Self.signalSource(reason)),\(Self.logText(reason))] received, process restarting")
        ]
        // A TCP client that loses its connection moves on to the next remote when it reconnects.
        let reconnect = settings.transport == .tcpClient && tcpConnected
        if reason == .pingRestart && !reconnect { actions += advanceRemote() }
        actions += replaySaveBeforeRestart
        if settings.upRestart { actions.append(.runScript(.downOnRestart(signal: Self.signalText(reason)))) }
        actions.append(.restart(reason))
        if settings.upRestart { actions.append(.runScript(.upOnRestart)) }
        resetPeer(now: now, lost: reason)
        tcpConnected = false
        if reconnect {
            tcpFailedAttempts = 0
            actions += scheduleReconnect(announce: true)
        }
        let remoteChanged = actions.contains { if case .useRemote = $0 { true } else { false } }
        return actions + resolveAfterRestart(now: now, remoteChanged: remoteChanged)
    }

    private mutating func advanceRemote() -> [TunnelAction] {
        guard settings.remoteCount > 1 else { return [] }
        remoteIndex = (remoteIndex + 1) % settings.remoteCount
        return [.useRemote(index: remoteIndex)]
    }

    /// `connect-retry n [max]`: n seconds between attempts, doubled after every attempt past the
    /// fifth, up to max (openvpn's backoff); each failure moves to the next remote. `announce` logs
    /// openvpn's "Restart pause" line.
    mutating func scheduleReconnect(announce: Bool = false) -> [TunnelAction] {
        guard settings.transport == .tcpClient, case .running = phase else { return [] }
        if let stop = connectRetryLimitReached() { return stop }
        tcpFailedAttempts += 1
        let actions = advanceRemote()
        let retry = settings.connectRetrySeconds
        let extra = max(0, tcpFailedAttempts - 5)
        let delay = max(
            extra == 0 ? retry : min(retry << min(extra, 16), max(settings.connectRetryMaxSeconds, retry)), 0)
        let pause: [TunnelAction] = announce && delay > 0 ? [.log(.info, "Restart pause, \(delay) second(s)")] : []
        return actions + pause + [.connect(afterSeconds: delay)]
    }

    mutating func exit(_ reason: String) -> [TunnelAction] {
        phase = .stopped
        return [.exit(reason: reason)]
    }

    mutating func pollExitNotify(now: Int64) -> [TunnelAction] {
        guard case .exitNotifying(var sequence) = phase else { return [] }
        let action = sequence.poll(now: now)
        phase = .exitNotifying(sequence)
        switch action {
        case .sendOCCExit: return [.sendOCCExit]
        case .exit: return exit("SIGTERM[soft,exit-with-notification] received")
        case .wait: return []
        }
    }
}
