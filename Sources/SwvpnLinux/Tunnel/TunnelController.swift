import Dispatch
import Glibc
import Logging
import SwvpnCompression
import SwvpnConfig
import SwvpnControl
import SwvpnHealth
import SwvpnProtocol

/// The executor of one tunnel: it builds and tears down the I/O (TUN, socket, data plane), feeds
/// what happens to the pure `TunnelSession` and performs the actions it returns. Every decision
/// (when to ping, restart, reconnect, announce READY, exit) is the session's; see docs/ARCHITECTURE.md.
///
/// Everything here runs on one serial control queue, except set-up at start, which runs on the main
/// thread before any Dispatch thread exists, so a `user`/`group` privilege drop applies to every
/// thread created afterwards. The packet loops live in `DataPlane` and talk back through events.
// Unchecked: every mutable field is touched only on `queue` (or on the main thread before dispatchMain).
package final class TunnelController: @unchecked Sendable {
    /// Re-reads the config and key (SIGHUP).
    package typealias Reloader = @Sendable () throws(SetupError) -> (TunnelConfig, StaticKey)

    let queue = DispatchQueue(label: "swvpnd.control")
    let logger: Logger
    let notifier: SystemdNotifier?
    private let reload: Reloader
    var config: TunnelConfig
    var key: StaticKey
    var control: TunnelSession
    var tunnel: Tunnel?
    private var reloaded: (TunnelConfig, StaticKey)?
    private var signals: SignalWatcher?
    private var ticker: (any DispatchSourceTimer)?
    /// Set-up waits to be tried again (a busy port) before the control queue runs.
    private var setUpRetry: Int64?
    /// False while the main thread sets up: timers wait in `deferred` so no Dispatch thread exists
    /// before the privilege drop (and nothing runs beside set-up).
    private(set) var dispatching = false
    private var deferred: [(seconds: Int64, block: @Sendable () -> Void)] = []
    var pidFile: PIDFile?
    var replayPersist: ReplayPersistFile?
    /// The last replay-mark save failed (logged once per streak).
    var replayPersistFailing = false
    var statusFile: StatusFileWriter?
    /// The data plane's compressor and decompressor totals (status file, SIGUSR2).
    var compressionTotals: (compress: CompressionTotals?, decompress: CompressionTotals?) = (nil, nil)
    var forwardingChecked = false
    /// A soft restart happened since the last set-up: scripts get no route variables (Scripts.swift).
    var softRestarted = false
    /// Looks up `remote` names off this queue (TunnelController+Resolve.swift).
    let resolver = RemoteResolver()
    /// Control socket, health listener, management, probe (Health/TunnelController+Health.swift).
    let health = HealthState()
    /// Feeds the management interface's `log` history; set by the executable before `run()`.
    package var logTap: LogTap?

    /// Everything built from one config: torn down and rebuilt on SIGHUP.
    final class Tunnel: @unchecked Sendable {  // confined to the control queue
        let interface: TunnelInterface
        let link: any TunnelLink
        let dataPlane: DataPlane
        let occ: OCCOptions
        /// The address of `remote` line `remoteIndex`; nil until its name resolves (see +Resolve).
        var configuredRemote: SocketAddress?
        var remoteIndex = 0
        /// A lookup's answer, until the session pins it (`.pinRemote`).
        var resolved: (index: Int, address: SocketAddress)?
        /// `proto tcp-server`/`tcp-client` only.
        let tcp: TCPState?

        init(
            interface: TunnelInterface, link: any TunnelLink, dataPlane: DataPlane, occ: OCCOptions,
            configuredRemote: SocketAddress?, tcp: TCPState?
        ) {
            self.interface = interface
            self.link = link
            self.dataPlane = dataPlane
            self.occ = occ
            self.configuredRemote = configuredRemote
            self.tcp = tcp
        }
    }

    package init(
        config: TunnelConfig, key: StaticKey, logger: Logger, notifier: SystemdNotifier?,
        reload: @escaping Reloader
    ) {
        self.config = config
        self.key = key
        self.logger = logger
        self.notifier = notifier
        self.reload = reload
        control = TunnelSession(
            settings: Self.sessionSettings(config, notify: notifier != nil), now: Clock.monotonicSeconds())
    }

    /// Sets the tunnel up and runs it until it exits; never returns.
    package func run() -> Never {
        while !trySetUp() {
            guard let seconds = setUpRetry else { exit(1) }  // `.fail` exits; this is not reached
            setUpRetry = nil
            sleep(UInt32(seconds))
        }
        do throws(SetupError) { try startHealth(logTap: logTap) } catch { perform([.fail(error.description)]) }
        do throws(SetupError) { try confine() } catch { perform([.fail(error.description)]) }  // chroot, user/group
        dispatching = true
        health.service?.serve()
        startTunnel()
        for (seconds, block) in deferred { after(seconds: seconds, block) }
        deferred = []
        signals = SignalWatcher(queue: queue) { [unowned self] signal in self.handle(signal) }
        let ticker = DispatchSource.makeTimerSource(queue: queue)
        ticker.schedule(deadline: .now(), repeating: .seconds(1), leeway: .milliseconds(50))
        ticker.setEventHandler { [unowned self] in self.tick() }
        ticker.resume()
        self.ticker = ticker
        dispatchMain()
    }

    /// Set-up, its failure fed to the session (which decides: retry, exit or fail).
    private func startTunnel() {
        tunnel?.dataPlane.start()
        queue.async { [self] in startListening() }
        // Set-up's code and heap are not needed again: let them leave the resident set (speed #9).
        queue.asyncAfter(deadline: .now() + .seconds(1)) { [logger] in
            let released = ResidentMemory.releaseStartUpPages()  // not inside the autoclosure of `debug`
            logger.debug("released \(released / 1024) kB of start-up pages")
        }
    }

    /// Runs `block` on the control queue after `seconds` (held back until set-up is over).
    func after(seconds: Int64, _ block: @escaping @Sendable () -> Void) {
        guard dispatching else {
            deferred.append((seconds, block))
            return
        }
        queue.asyncAfter(deadline: .now() + .seconds(Int(seconds)), execute: block)
    }

    func feed(_ event: TunnelEvent) {
        perform(control.handle(event))
    }

    // MARK: Actions

    func perform(_ actions: [TunnelAction]) {
        for action in actions { perform(action) }
    }

    private func perform(_ action: TunnelAction) {
        // Not held: `.rebuild` must not keep the old data plane (socket, TUN fd) alive while it binds anew.
        var dp: DataPlane? { tunnel?.dataPlane }
        switch action {
        case .log(let level, let text): logger.log(level: level.logging, "\(text)")
        case .sendPing: dp?.sendControl(.ping)
        case .sendOCCRequest: dp?.sendControl(.occ(.request))
        case .sendOCCReply: if let tunnel { dp?.sendControl(.occ(.reply(tunnel.occ.localString))) }
        case .checkOCCReply(let text):
            for warning in tunnel?.occ.warnings(forReceived: text) ?? [] { logger.warning("OCC: \(warning)") }
        case .sendOCCExit: dp?.sendControl(.occ(.exit))
        case .installRoutes: installRoutes()
        case .installRoutesAfter(let seconds, let generation):
            after(seconds: seconds) { [weak self] in self?.feed(.routeDelayElapsed(generation: generation)) }
        case .notifyReady(let status): try? notifier?.ready(status: status)
        case .notifyStatus(let text): try? notifier?.status(text)
        case .notifyReloading: try? notifier?.reloading()
        case .notifyWatchdog: try? notifier?.watchdog()
        case .restart(let reason):
            reportRestart(reason)
            restartTunnel()
        case .useRemote(let index):
            let next = config.remotes[index % config.remotes.count]
            logger.notice("trying the next remote: \(next.host):\(next.port)")
            remoteChanged(to: index)
        case .resolveRemote(let index, let generation, let seconds):
            after(seconds: seconds) { [weak self] in self?.resolveRemote(index: index, generation: generation) }
        case .pinRemote(let index): pinRemote(index: index)
        case .connect(let seconds): scheduleConnect(afterSeconds: seconds)
        case .reloadConfig:
            do throws(SetupError) {
                reloaded = try reload()
                feed(.configReloaded(now: Clock.monotonicSeconds()))
            } catch {
                feed(.reloadFailed(error.description))
            }
        case .rebuild(let signal):
            reportRestart(.reload)
            if let fatal = tearDown(signal: signal) { exitFatally(fatal) }  // openvpn: fatal on SIGHUP too
            if let (config, key) = reloaded { (self.config, self.key) = (config, key) }
            reloaded = nil
            control.reconfigure(Self.sessionSettings(config, notify: notifier != nil))
            if trySetUp() {
                health.service?.record(.setUpAgain(healthSnapshot(), hasRoutes: hasRoutes))
                startTunnel()
            }
        case .retrySetUp(let seconds):
            guard dispatching else {
                setUpRetry = seconds
                return
            }
            after(seconds: seconds) { [self] in if trySetUp() { startTunnel() } }
        case .saveReplayMark: saveReplayMark()
        case .writeStatusFile: writeStatusFile()
        case .runScript(let hook): runScript(hook)
        case .logStatistics: for line in statisticsLines() { logger.notice("\(line)") }
        case .exit(let reason): exitProcess(reason)
        case .fail(let message):
            logger.critical("\(message)")
            logger.critical("Exiting due to fatal error")
            ticker?.cancel()
            signals?.cancel()
            health.service?.stop()
            tearDown()
            exit(1)
        }
    }

    /// A soft restart's I/O: a fresh data-channel session on the same device and socket (the TUN
    /// device and routes stay, as openvpn keeps them with persist-tun, so traffic is not black-holed).
    private func restartTunnel() {
        guard let tunnel else { return }
        softRestarted = true
        if let tcp = tunnel.tcp {
            restartTCP(tunnel, tcp)
            return
        }
        tunnel.dataPlane.resetSession(keepReplayMark: replayPersist != nil)
        // The session has the name looked up again (off this queue) unless persist-remote-ip.
        let remote = currentRemoteAddress(tunnel)
        tunnel.dataPlane.peer.set(remote)
        if remote != nil { feed(.peerAddressKnown(now: Clock.monotonicSeconds())) }
    }

    private func exitProcess(_ reason: String) -> Never {
        try? notifier?.stopping()
        ticker?.cancel()
        signals?.cancel()
        health.service?.stop(exiting: reason)
        if config.status != nil { writeStatusFile() }
        if let fatal = tearDown(signal: StatusFormat.signalText(reason)) { exitFatally(fatal) }
        removePIDFile()
        logger.notice("\(reason), process exiting")
        exit(0)
    }

    /// A `down` or `route-pre-down` script failed at teardown: fatal in openvpn 2.6, which logs this and
    /// exits with status 1 instead of its "process exiting" line (what a systemd unit then sees).
    private func exitFatally(_ message: String) -> Never {
        logger.critical("\(message)")
        logger.critical("Exiting due to fatal error")
        removePIDFile()
        exit(1)
    }

    // MARK: Events in

    private func handle(_ event: DataPlane.Event) {
        guard tunnel != nil else { return }
        let now = Clock.monotonicSeconds()
        switch event {
        case .peerAuthenticated(let address):
            let wasUp = control.state.peer == .up
            feed(.peerAuthenticated(address: Self.openVPNAddress(address), now: now))
            logMultihomeSource(peer: address)  // TunnelController+Multihome.swift
            if !wasUp { reportPeerUp() }
        case .occ(let message): feed(.occ(message, now: now))
        case .linkFailed(let why): feed(.linkFailed(why, now: now))
        case .streamDecryptFailed(let drop): feed(.streamDecryptFailed("\(drop)", now: now))
        case .tunFailed(let why): feed(.tunFailed(why))
        }
    }

    func dataPlaneEvents(_ event: DataPlane.Event) {
        queue.async { [self] in handle(event) }
    }

    private func handle(_ signal: ProcessSignal) {
        let mapped: TunnelSignal =
            switch signal {
            case .terminate: .terminate
            case .interrupt: .interrupt
            case .hangUp: .hangUp
            case .user1: .user1
            case .user2: .user2
            }
        feed(.signal(mapped, now: Clock.monotonicSeconds(), peerKnown: tunnel?.dataPlane.peer.current != nil))
    }

    private func tick() {
        // The tick may end in a rebuild (a ping-restart remapped to SIGHUP): no data plane held meanwhile.
        guard let tick = currentTick() else { return }
        feed(.tick(tick))
        healthTick()
    }

    private func currentTick() -> Tick? {
        guard let dp = tunnel?.dataPlane else { return nil }
        dp.heartbeat()
        let c = dp.counters.snapshot()
        return Tick(
            now: Clock.monotonicSeconds(), lastSent: dp.lastSent.load(ordering: .relaxed),
            lastReceived: dp.lastReceived.load(ordering: .relaxed),
            txHeartbeat: dp.txHeartbeat.load(ordering: .relaxed),
            rxHeartbeat: dp.rxHeartbeat.load(ordering: .relaxed), peer: dp.peer.current?.description,
            tunWriteBytes: c.tunWriteBytes, tunReadBytes: c.tunReadBytes,
            drops: PacketDrop.allCases.map {
                DropTally(label: $0.description, count: c.drops[$0], isReplay: $0 == .replayed)
            }, txStalledSince: tunnel?.tcp?.link.sendStalledSince ?? 0,
            replayMark: dp.replayMark.load(ordering: .relaxed))
    }
}
