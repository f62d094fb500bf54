// MARK: - systemd watchdog: WATCHDOG=1 only while both packet loops make progress

extension TunnelSession {
    /// A packet loop counts as alive when it ran a heartbeat this recently.
    public static let heartbeatSeconds: Int64 = 3

    /// Whether this tick may pet the watchdog. The tick itself is the control plane's proof of
    /// life (it runs on the control queue); each packet loop proves its own with a heartbeat it
    /// records on its queue. A transmit loop waiting for room on a TCP connection is alive, not
    /// stuck, as long as the wait is within the stall limit (after which the link gives up): a peer
    /// that stops reading must end in a connection reset, not in systemd killing the daemon. A
    /// wait that outlasts its own limit, or a loop that stopped running, is a stuck loop: no pet.
    func watchdogDue(_ tick: Tick) -> Bool {
        guard settings.notify else { return false }
        // Only a TCP link reports a stall; its limit is the session's.
        return Self.loopAlive(now: tick.now, heartbeat: tick.rxHeartbeat, stalledSince: 0, stallLimit: 0)
            && Self.loopAlive(
                now: tick.now, heartbeat: tick.txHeartbeat, stalledSince: tick.txStalledSince,
                stallLimit: tcpStallSeconds)
    }

    /// `stalledSince`: monotonic seconds since the loop waits in a bounded send, 0 when it does not.
    static func loopAlive(now: Int64, heartbeat: Int64, stalledSince: Int64, stallLimit: Int64) -> Bool {
        if now - heartbeat <= heartbeatSeconds { return true }
        return stalledSince > 0 && now - stalledSince <= stallLimit + heartbeatSeconds
    }
}
