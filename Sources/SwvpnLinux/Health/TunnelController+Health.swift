import Dispatch
import Glibc
import SwvpnConfig
import SwvpnHealth
import SwvpnProtocol

/// Wiring between the tunnel and its monitoring surface: a snapshot built from the controller's
/// state and the data plane's atomics, the probe's timer, and the health service's life.
/// (When the control plane becomes a pure `TunnelSession`, only `healthSnapshot()` moves.)
extension TunnelController {
    /// The process-wide part: started once, kept across SIGHUP.
    final class HealthState: @unchecked Sendable {  // confined to the control queue
        var service: HealthService?
        var tracker: ProbeTracker?
        var probe: ICMPProbe?
        let startedAt = Clock.monotonicSeconds()
        var restarts: [String: UInt64] = [:]
        /// Reasons in the order first seen (stable output).
        var restartOrder: [String] = []

        func countRestart(_ reason: String) {
            if restarts[reason] == nil { restartOrder.append(reason) }
            restarts[reason, default: 0] += 1
        }
    }

    /// Opens the control socket and the configured listeners (before any privilege drop).
    func startHealth(logTap: LogTap?) throws(SetupError) {
        let name = HealthService.tunnelName(sourceName: config.sourceName)
        let service = HealthService(
            tunnel: name, settings: config.health, title: Self.managementTitle, logger: logger, logTap: logTap,
            snapshot: { [unowned self] in queue.sync { healthSnapshot() } },
            raise: { name in
                let signal: Int32 = switch name {
                case "SIGHUP": SIGHUP
                case "SIGUSR1": SIGUSR1
                case "SIGUSR2": SIGUSR2
                case "SIGINT": SIGINT
                default: SIGTERM
                }
                kill(getpid(), signal)
            })
        try service.start(initial: healthSnapshot(), hasRoutes: !config.routes.isEmpty || !config.routesIPv6.isEmpty)
        health.service = service
        configureProbe()
    }

    static var managementTitle: String { "swvpnd \(swvpndVersion) x86_64-pc-linux-gnu [static-key, openvpn 2.6 compatible]" }

    /// Called after every set-up (start, SIGHUP): the probe follows the current config.
    func configureProbe() {
        guard let seconds = config.health.probeIntervalSeconds else {
            health.tracker = nil
            health.probe = nil
            return
        }
        guard let ifconfig = config.ifconfig, config.topology != .subnet else {
            logger.warning("health-probe needs 'ifconfig local remote' (net30 or p2p topology): probe off")
            health.tracker = nil
            health.probe = nil
            return
        }
        let probe = ICMPProbe(source: ifconfig.local.value, destination: ifconfig.remoteOrNetmask.value,
                              identifier: UInt16(truncatingIfNeeded: getpid()))
        health.probe = probe
        if health.tracker?.intervalSeconds != seconds { health.tracker = ProbeTracker(intervalSeconds: seconds) }
        session?.dataPlane.probe = probe
    }

    /// Once per control tick: a probe when one is due and the peer's address is known.
    func healthTick() {
        guard let session, var tracker = health.tracker, session.dataPlane.peer.current != nil else { return }
        let now = Clock.monotonicNanoseconds()
        guard tracker.isDue(now: now) else { return }
        let sequence = tracker.send(now: now)
        health.tracker = tracker
        session.dataPlane.sendControl(.probe(sequence: sequence, sentNanoseconds: now))
    }

    func probeReplied(sequence: UInt16, at nanoseconds: Int64) {
        _ = health.tracker?.reply(sequence: sequence, now: nanoseconds)
    }

    /// A restart for `reason` (ping-restart, remote-exit, user, sighup...): counted, probe window reset.
    func noteRestart(_ reason: String) {
        health.countRestart(reason)
        health.tracker?.reset()
    }

    /// The tunnel as it is now. Runs on the control queue; reads atomics and session fields only.
    func healthSnapshot() -> TunnelSnapshot {
        var s = TunnelSnapshot(tunnel: HealthService.tunnelName(sourceName: config.sourceName), version: swvpndVersion)
        s.pid = getpid()
        let now = Clock.monotonicSeconds()
        s.uptimeSeconds = now - health.startedAt
        s.unixTime = Int64(time(nil))
        s.mtu = config.tunMTU
        if let ifconfig = config.ifconfig {
            s.tunnelAddress = ifconfig.local.description
            if config.topology != .subnet { s.tunnelPeerAddress = ifconfig.remoteOrNetmask.description }
        }
        s.restarts = health.restartOrder.map { TunnelSnapshot.Count($0, health.restarts[$0] ?? 0) }
        s.ipForward = try? IPForwarding.isEnabled()
        if let tracker = health.tracker { s.probe = tracker.statistics(now: Clock.monotonicNanoseconds()) }
        guard let session else { return s }
        let dp = session.dataPlane
        s.state = session.peerUp ? .up : (session.peerLostReason != nil ? .lost : .waiting)
        s.reason = session.peerUp ? nil : session.peerLostReason
        s.peer = dp.peer.current?.description
        s.local = Self.localAddress(fd: session.link.readFD)
        let received = dp.lastReceived.load(ordering: .relaxed)
        let sent = dp.lastSent.load(ordering: .relaxed)
        s.lastReceivedSeconds = received == 0 ? nil : max(0, now - received)
        s.lastSentSeconds = sent == 0 ? nil : max(0, now - sent)
        s.device = session.interface.device.name
        let installed = session.interface.installedRoutes.map { "\($0.destination.ipString)/\($0.prefixLength)" }
        let wanted = config.routes.map { "\($0.network)/\($0.prefixLength)" }
            + config.routesIPv6.map { "\($0.network)/\($0.prefixLength)" }
        s.routesInstalled = installed
        s.routesMissing = wanted.filter { !installed.contains($0) }
        let c = dp.counters
        s.traffic.tunReadBytes = c.tunReadBytes.load(ordering: .relaxed)
        s.traffic.tunWriteBytes = c.tunWriteBytes.load(ordering: .relaxed)
        s.traffic.linkReadBytes = c.linkReadBytes.load(ordering: .relaxed)
        s.traffic.linkWriteBytes = c.linkWriteBytes.load(ordering: .relaxed)
        s.traffic.authReadBytes = c.authReadBytes.load(ordering: .relaxed)
        s.traffic.linkReadPackets = c.linkReadPackets.load(ordering: .relaxed)
        s.traffic.linkWritePackets = c.linkWritePackets.load(ordering: .relaxed)
        s.drops = c.snapshot().drops.map { TunnelSnapshot.Count(String($0.0.lowercased().map { $0 == " " ? "_" : $0 }), $0.1) }
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
