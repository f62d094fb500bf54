import Dispatch
import Glibc
import SwvpnConfig
import SwvpnControl
import SwvpnHealth
import SwvpnProtocol

/// Wiring between the tunnel and its monitoring surface: a snapshot built from the session's state
/// (`TunnelSession.state`, the single source of truth for up/lost, routes and restarts) and the
/// data plane's atomics, the probe's timer and reply intercept, and the health service's life.
///
/// One-way rule: the health queue may `queue.sync` onto the control queue (for a snapshot); the
/// control queue only posts to the health queue (`record`, `stop()`), except for a bounded wait at
/// exit (`stop(exiting:)`) so management clients get EXITING.
extension TunnelController {
    /// The process-wide part: started once, kept across SIGHUP.
    final class HealthState: @unchecked Sendable {  // confined to the control queue
        var service: HealthService?
        /// The probe's send/reply bookkeeping (I/O timing only; no lifecycle decision depends on it).
        var tracker: ProbeTracker?
        var probe: ICMPProbe?
        let startedAt = Clock.monotonicSeconds()
        /// Restarts the session had counted when the probe window was last reset.
        var restartsSeen = 0
    }

    /// Opens the control socket and the configured listeners (after set-up, before any privilege
    /// drop); `HealthService.serve()` starts serving them once the drop is done.
    func startHealth(logTap: LogTap?) throws(SetupError) {
        let name = HealthService.tunnelName(sourceName: config.sourceName)
        let service = HealthService(
            tunnel: name, settings: config.health, title: Self.managementTitle, logger: logger, logTap: logTap,
            snapshot: { [unowned self] in queue.sync { healthSnapshot() } },
            raise: { name in
                let signal: Int32 =
                    switch name {
                    case "SIGHUP": SIGHUP
                    case "SIGUSR1": SIGUSR1
                    case "SIGUSR2": SIGUSR2
                    case "SIGINT": SIGINT
                    default: SIGTERM
                    }
                kill(getpid(), signal)
            })
        try service.open(initial: healthSnapshot(), hasRoutes: hasRoutes)
        health.service = service
    }

    var hasRoutes: Bool { !config.routes.isEmpty || !config.routesIPv6.isEmpty }

    // MARK: Management states, step by step (several in one second are all reported)

    /// RECONNECTING with openvpn's detail: the restart's signal text, or the signal a user sent.
    func reportRestart(_ reason: RestartReason) {
        let detail =
            switch reason {
            case .user: "SIGUSR1"
            case .reload: "SIGHUP"
            default: reason.rawValue
            }
        health.service?.record(.reconnecting(unixTime: Int64(time(nil)), detail: detail))
    }

    /// CONNECTED once the peer is heard again (after a start, a restart or a new TCP connection).
    func reportPeerUp() {
        guard control.state.peer == .up else { return }
        health.service?.record(.connected(healthSnapshot()))
    }

    static var managementTitle: String {
        "swvpnd \(swvpndVersion) x86_64-pc-linux-gnu [static-key, openvpn 2.6 compatible]"
    }

    /// Called at the end of every set-up (start, SIGHUP): the probe follows the current config, and
    /// the new data plane's intercept claims its echo replies before the TUN write.
    func configureProbe() {
        guard let seconds = config.health.probeIntervalSeconds else {
            (health.tracker, health.probe) = (nil, nil)
            return
        }
        // The config refuses health-probe without point-to-point addresses (`checkHealthProbe`).
        guard let ifconfig = config.ifconfig, !config.ifconfigHasNetmask else {
            (health.tracker, health.probe) = (nil, nil)
            return
        }
        let probe = ICMPProbe(
            source: ifconfig.local.value, destination: ifconfig.remoteOrNetmask.value,
            identifier: UInt16(truncatingIfNeeded: getpid()))
        if health.tracker?.intervalSeconds != seconds { health.tracker = ProbeTracker(intervalSeconds: seconds) }
        // Non-matching packets cost one length compare and return: no allocation, no reference
        // counting (the closure's captures are fixed). A reply is posted to the control queue.
        tunnel?.dataPlane.setInboundIntercept { [unowned self] packet in
            guard packet.count == ICMPProbe.packetLength, let sequence = probe.matchReply(packet) else { return false }
            let received = Clock.monotonicNanoseconds()
            queue.async { [self] in _ = health.tracker?.reply(sequence: sequence, now: received) }
            return true
        }
        health.probe = probe
    }

    /// Once per control tick: a probe when one is due and the peer's address is known; a restart
    /// the session counted since the last tick starts a fresh loss window.
    func healthTick() {
        let restarts = control.state.restarts.values.reduce(0, +)
        if restarts != health.restartsSeen {
            health.restartsSeen = restarts
            health.tracker?.reset()
        }
        guard let tunnel, var tracker = health.tracker, let probe = health.probe,
            tunnel.dataPlane.peer.current != nil
        else { return }
        let now = Clock.monotonicNanoseconds()
        guard tracker.isDue(now: now) else { return }
        let sequence = tracker.send(now: now)
        health.tracker = tracker
        tunnel.dataPlane.sendControl(
            .innerPacket(write: { room in
                guard room.count >= ICMPProbe.packetLength, let base = room.baseAddress else { return 0 }
                return probe.writeRequest(sequence: sequence, sentNanoseconds: now, into: base)
            }))
    }

    /// The tunnel as it is now. Runs on the control queue; reads the session's state, atomics and
    /// the interface's route list only.
    func healthSnapshot() -> TunnelSnapshot {
        var s = TunnelSnapshot(tunnel: HealthService.tunnelName(sourceName: config.sourceName), version: swvpndVersion)
        s.pid = getpid()
        let now = Clock.monotonicSeconds()
        s.uptimeSeconds = now - health.startedAt
        s.unixTime = Int64(time(nil))
        s.mtu = config.tunMTU
        if let ifconfig = config.ifconfig {
            s.tunnelAddress = ifconfig.local.description
            if !config.ifconfigHasNetmask { s.tunnelPeerAddress = ifconfig.remoteOrNetmask.description }
        }
        let state = control.state
        switch state.peer {
        case .waiting: s.state = .waiting
        case .up: s.state = .up
        case .lost(let reason):
            s.state = .lost
            s.reason = reason.rawValue
        }
        s.restarts = RestartReason.allCases.compactMap { reason in
            state.restarts[reason].flatMap { $0 > 0 ? TunnelSnapshot.Count(reason.rawValue, UInt64($0)) : nil }
        }
        s.ipForward = try? IPForwarding.isEnabled()
        if let tracker = health.tracker { s.probe = tracker.statistics(now: Clock.monotonicNanoseconds()) }
        guard let tunnel else { return s }
        let dp = tunnel.dataPlane
        s.peer = dp.peer.current?.description
        s.local = Self.localAddress(fd: tunnel.link.readFD)
        let received = dp.lastReceived.load(ordering: .relaxed)
        let sent = dp.lastSent.load(ordering: .relaxed)
        s.lastReceivedSeconds = received == 0 ? nil : max(0, now - received)
        s.lastSentSeconds = sent == 0 ? nil : max(0, now - sent)
        s.device = tunnel.interface.device.name
        let installed = tunnel.interface.installedRoutes.map { "\($0.destination.ipString)/\($0.prefixLength)" }
        let wanted =
            config.routes.map { "\($0.network)/\($0.prefixLength)" }
            + config.routesIPv6.map { "\($0.network)/\($0.prefixLength)" }
        s.routesInstalled = installed
        // The session says whether the routes are complete; the interface says which are in.
        s.routesMissing = state.routes == .installed ? [] : wanted.filter { !installed.contains($0) }
        let c = dp.counters
        s.traffic.tunReadBytes = c.tunReadBytes.load(ordering: .relaxed)
        s.traffic.tunWriteBytes = c.tunWriteBytes.load(ordering: .relaxed)
        s.traffic.linkReadBytes = c.linkReadBytes.load(ordering: .relaxed)
        s.traffic.linkWriteBytes = c.linkWriteBytes.load(ordering: .relaxed)
        s.traffic.authReadBytes = c.authReadBytes.load(ordering: .relaxed)
        s.traffic.linkReadPackets = c.linkReadPackets.load(ordering: .relaxed)
        s.traffic.linkWritePackets = c.linkWritePackets.load(ordering: .relaxed)
        let drops = c.snapshot().drops
        s.drops = PacketDrop.allCases.map {
            TunnelSnapshot.Count(String($0.description.lowercased().map { $0 == " " ? "_" : $0 }), drops[$0])
        }
        return s
    }

    /// The link socket's bound address (nil for a TCP link between connections).
    static func localAddress(fd: Int32) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        return ok ? SocketAddress(&storage)?.description : nil
    }
}
