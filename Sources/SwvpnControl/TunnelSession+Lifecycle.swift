import SwvpnConfig
import SwvpnProtocol

/// openvpn's lifecycle options: `route-up` and `ipchange` hooks, `up-restart`, `inactive`,
/// `connect-retry-max` and `remap-usr1`.
extension TunnelSession {
    /// Bookkeeping of these options, reset with the session where openvpn resets it.
    struct LifecycleState: Sendable, Hashable {
        /// `route-up` ran for this set-up (generation).
        var routeUpDone = false
        /// `inactive`: when the timer fires, and the bytes counted towards its minimum since it last restarted.
        var inactivityDeadline: Int64?
        var inactivityBytes: UInt64 = 0
        /// TUN bytes read plus written as last seen in a tick.
        var lastTunBytes: UInt64 = 0
        /// tcp-client: connection attempts since the last one that succeeded (openvpn's unsuccessful_attempts).
        var connectAttempts = 0
        /// `remap-usr1 SIGHUP`: the remapped restart's text for the reload's down script (nil: sighup).
        var reloadSignal: String?
    }

    /// openvpn's `signal` text for a soft restart's cause (`down` under `up-restart`): a SIGUSR1 sent by a
    /// user has no text, so openvpn uses the signal's name.
    static func signalText(_ reason: RestartReason) -> String {
        reason == .user ? "sigusr1" : reason.rawValue
    }

    /// The text in openvpn's `SIGUSR1[hard,] received` line: a signal from outside carries none.
    static func logText(_ reason: RestartReason) -> String {
        reason == .user ? "" : reason.rawValue
    }

    /// openvpn's source in that line: a signal from outside is "hard", one the daemon raised "soft".
    static func signalSource(_ reason: RestartReason) -> String {
        reason == .user ? "hard" : "soft"
    }

    // MARK: route-up, ipchange

    /// `route-up` once per set-up, right after the first attempt to add the routes (complete or not:
    /// openvpn runs it whatever add_routes reported).
    mutating func routeUpOnce() -> [TunnelAction] {
        guard settings.routeUpScript, !lifecycle.routeUpDone else { return [] }
        lifecycle.routeUpDone = true
        return [.runScript(.routeUp)]
    }

    func ipchange(_ address: String) -> [TunnelAction] {
        settings.ipchangeScript ? [.runScript(.ipchange(address: address))] : []
    }

    // MARK: inactive

    /// A new session (start, soft restart, new TCP connection) starts the timer afresh, as openvpn's
    /// per-instance timer does.
    mutating func restartInactivity(now: Int64) {
        lifecycle.inactivityBytes = 0
        lifecycle.inactivityDeadline = settings.inactivity.map { now + Int64($0.seconds) }
    }

    /// `inactive n [bytes]`: tunnel bytes (TUN reads and writes; pings and OCC are not tunnel traffic)
    /// restart the timer once `bytes` of them moved; when it runs out, exit as openvpn does, through
    /// the exit notification if one is configured.
    mutating func checkInactivity(_ tick: Tick) -> [TunnelAction] {
        guard let inactivity = settings.inactivity, case .running = phase else { return [] }
        let total = tick.tunReadBytes &+ tick.tunWriteBytes
        // A rebuilt data plane counts from zero again.
        let moved = total >= lifecycle.lastTunBytes ? total - lifecycle.lastTunBytes : total
        lifecycle.lastTunBytes = total
        if moved > 0 {
            lifecycle.inactivityBytes &+= moved
            if lifecycle.inactivityBytes >= inactivity.minimumBytes {
                lifecycle.inactivityBytes = 0
                lifecycle.inactivityDeadline = tick.now + Int64(inactivity.seconds)
            }
        }
        guard let deadline = lifecycle.inactivityDeadline, tick.now >= deadline else { return [] }
        lifecycle.inactivityDeadline = nil
        return [.log(.notice, "Inactivity timeout (--inactive), exiting")]
            + softTerminate("inactive", now: tick.now, peerKnown: tick.peer != nil)
    }

    /// A SIGTERM the daemon raises itself (openvpn's "soft" signal): the exit notification if configured,
    /// else exit with openvpn's line.
    mutating func softTerminate(_ text: String, now: Int64, peerKnown: Bool) -> [TunnelAction] {
        if let seconds = settings.exitNotifySeconds, peerKnown, case .running = phase {
            phase = .exitNotifying(ExitNotifySequence(seconds: seconds, now: now))
            return [.log(.notice, "SIGTERM received, sending exit notification to peer")] + pollExitNotify(now: now)
        }
        return exit("SIGTERM[soft,\(text)] received")
    }

    // MARK: remap-usr1

    /// `remap-usr1`: a restart (`lost` names it, nil for a failed connect) becomes a reload (SIGHUP) or an
    /// exit (SIGTERM); nil without remapping. openvpn re-raises the signal as a soft one with the restart's
    /// `text` (none for a SIGUSR1 from outside): `SIGHUP[soft,] received, process restarting`,
    /// `SIGTERM[soft,ping-restart] received`.
    mutating func remapped(_ text: String, lost: RestartReason?, now: Int64) -> [TunnelAction]? {
        switch settings.remapUser1 {
        case nil: return nil
        case .terminate?: return softTerminate(text, now: now, peerKnown: peerAddress != nil)
        case .hangUp?:
            // Fresh timers, so an expired ping-restart does not fire again while the config is re-read.
            resetPeer(now: now, lost: lost)
            lifecycle.reloadSignal = text.isEmpty ? nil : text
            return [.log(.notice, "SIGHUP[soft,\(text)] received, process restarting"), .reloadConfig]
        }
    }

    /// The `signal` of the reload under way (openvpn's text of the SIGHUP: its own, or the remapped
    /// restart's), cleared for the next one.
    mutating func takeReloadSignal() -> String {
        defer { lifecycle.reloadSignal = nil }
        return lifecycle.reloadSignal ?? "sighup"
    }

    // MARK: connect-timeout

    /// A tcp-client connect was refused or ran out of `connect-timeout`: openvpn's soft SIGUSR1
    /// "connection-failed" (remapped like any other), then the next attempt after the restart pause.
    mutating func tcpConnectFailed(now: Int64) -> [TunnelAction] {
        guard settings.transport == .tcpClient, case .running = phase else { return [] }
        if let remapped = remapped("connection-failed", lost: nil, now: now) { return remapped }
        return [.log(.notice, "SIGUSR1[connection failed(soft),connection-failed] received, process restarting")]
            + scheduleReconnect(announce: true)
    }

    // MARK: connect-retry-max

    /// Counts a new connection attempt; past `connect-retry-max` attempts per remote without one that
    /// succeeded, openvpn gives up (exit status 1).
    mutating func connectRetryLimitReached() -> [TunnelAction]? {
        lifecycle.connectAttempts += 1
        guard let limit = settings.connectRetryMax,
            lifecycle.connectAttempts > limit * max(settings.remoteCount, 1)
        else { return nil }
        phase = .stopped
        return [.fail("All connections have been connect-retry-max (\(limit)) times unsuccessful, exiting")]
    }
}
