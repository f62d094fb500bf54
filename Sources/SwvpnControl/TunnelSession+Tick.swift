extension TunnelSession {
    /// Drop counts are summed over this many seconds into one log line, never one line per packet.
    public static let dropReportSeconds: Int64 = 10
    /// Missing routes are tried again when the clock is a multiple of this.
    public static let routeRetrySeconds: Int64 = 5

    /// The 1-second timer: peer timers, exit notification, drop summary, replay mark, route retries,
    /// status file, STATUS= and the watchdog, in that order.
    mutating func tick(_ tick: Tick) -> [TunnelAction] {
        switch phase {
        case .running, .exitNotifying: break
        case .settingUp, .reloading, .stopped: return []
        }
        let now = tick.now
        peerAddress = tick.peer
        (rxBytes, txBytes) = (tick.tunWriteBytes, tick.tunReadBytes)
        if tick.lastSent != lastSentSeen {
            lastSentSeen = tick.lastSent
            timers.packetSent(now: tick.lastSent)
        }
        if tick.lastReceived != lastReceivedSeen {
            lastReceivedSeen = tick.lastReceived
            timers.authenticatedPacketReceived(now: tick.lastReceived)
        }
        var actions = pollExitNotify(now: now)
        if case .stopped = phase { return actions }
        let inactive = checkInactivity(tick)
        if !inactive.isEmpty { return actions + inactive }
        let due = timers.poll(now: now)
        if tick.peer != nil {
            if due.sendPing { actions.append(.sendPing) }
            if due.sendOCCRequest { actions += [.log(.trace, "SENT OCC_REQUEST"), .sendOCCRequest] }
        }
        switch due.terminate {
        case .restart?:
            actions +=
                [.log(.notice, "Inactivity timeout (--ping-restart), restarting")] + restart(.pingRestart, now: now)
        case .exit?:
            return actions + [.log(.notice, "Inactivity timeout (--ping-exit), exiting")]
                + exit("SIGTERM[soft,ping-exit] received")
        case nil:
            break
        }
        if isExiting { return actions }  // remap-usr1 SIGTERM turned the restart into an exit
        actions += tcpTick(now: now)
        if let line = dropSummary(tick.drops, now: now) { actions.append(.log(.warning, line)) }
        actions += replayTick(mark: tick.replayMark, now: now)
        if !routesInstalled && !routesPending && !settings.routeNoExec && now % Self.routeRetrySeconds == 0 {
            actions.append(.installRoutes)  // what failed: a stale route removed by hand, a device that came back
        }
        if let seconds = settings.statusFileSeconds, now - lastStatusFileWrite >= seconds {
            lastStatusFileWrite = now
            actions.append(.writeStatusFile)
        }
        let text = statusText
        if text != lastStatusText {
            lastStatusText = text
            if settings.notify { actions.append(.notifyStatus(text)) }
        }
        if watchdogDue(tick) { actions.append(.notifyWatchdog) }
        return actions
    }

    /// "dropped 37 packets in the last 10 s: 30 replayed, 7 bad HMAC", at most every 10 s.
    private mutating func dropSummary(_ drops: [DropTally], now: Int64) -> String? {
        guard now - lastDropReport >= Self.dropReportSeconds else { return nil }
        lastDropReport = now
        let values = drops.map(\.count)
        defer { lastDrops = values }
        guard lastDrops.count == values.count else { return nil }
        let delta = zip(drops, lastDrops).map { ($0, $0.count &- $1) }.filter { $0.1 > 0 }
        guard !delta.isEmpty else { return nil }
        if delta.count == 1, delta[0].0.isReplay, settings.muteReplayWarnings { return nil }
        let total = delta.reduce(0) { $0 + $1.1 }
        let parts = delta.map { "\($0.1) \($0.0.label)" }.joined(separator: ", ")
        return "dropped \(total) packets in the last 10 s: \(parts)"
    }

    /// systemd's STATUS= line: "peer 10.0.0.2:1194 up, rx 1.2 MB tx 3 KB" or
    /// "peer lost (ping-restart), waiting for peer, rx ...". Counts survive SIGHUP.
    public var statusText: String {
        let rx = StatusFormat.humanBytes(carriedRx &+ rxBytes)
        let tx = StatusFormat.humanBytes(carriedTx &+ txBytes)
        if peerUp, let peerAddress { return "peer \(peerAddress) up, rx \(rx) tx \(tx)" }
        let lost = lostReason.map { "peer lost (\($0.rawValue)), " } ?? ""
        return "\(lost)waiting for peer, rx \(rx) tx \(tx)"
    }
}
