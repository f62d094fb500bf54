import CSwvpnLinux
import Dispatch
import Glibc
import Logging
import SwvpnConfig
import SwvpnCrypto
import SwvpnProtocol

/// The life of one tunnel: set-up, peer life (pings, OCC, restarts), signals, status and teardown.
///
/// Everything here runs on one serial control queue; the packet loops live in `DataPlane` and talk
/// back through events. Set-up runs on the main thread before any Dispatch thread exists, so a
/// `user`/`group` privilege drop applies to every thread created afterwards.
///
///     start ──▶ set up (TUN, address, routes, socket) ──▶ READY ──▶ running ◀──┐
///                                                         │   ping-restart,   │
///                                                         │   OCC_EXIT,       │ soft restart:
///                                                         │   SIGUSR1  ───────┘ new session
///                       SIGHUP: tear down, re-read config, set up again
///                       SIGTERM/SIGINT, ping-exit: [exit notify] ─▶ tear down ─▶ exit 0
public final class TunnelController: @unchecked Sendable {
    /// Re-reads the config and key (SIGHUP).
    public typealias Reloader = @Sendable () throws(SetupError) -> (TunnelConfig, StaticKey)

    let queue = DispatchQueue(label: "swvpnd.control")
    let logger: Logger
    private let notifier: SystemdNotifier?
    private let reload: Reloader
    private(set) var config: TunnelConfig
    private var key: StaticKey
    var session: Session?
    private var signals: SignalWatcher?
    private var ticker: (any DispatchSourceTimer)?
    private var exitNotify: ExitNotifySequence?
    private var pidFileWritten: String?
    private var privilegesDropped = false
    private var lastStatusText = ""
    private var lastDrops: [UInt64] = []
    private var lastDropReport: Int64 = 0
    private var lastStatusFileWrite: Int64 = 0
    var replayPersist: ReplayPersistFile?
    /// Which `remote` line is in use.
    var remoteIndex = 0
    private var statusFile: StatusFileWriter?
    private var forwardingChecked = false
    private var lastReplaySave: Int64 = 0
    /// Control socket, health listener, management, probe (Health/TunnelController+Health.swift).
    let health = HealthState()
    /// Feeds the management interface's `log` history; set by the executable before `run()`.
    public var logTap: LogTap?

    /// Everything built from one config: torn down and rebuilt on SIGHUP.
    final class Session: @unchecked Sendable {  // confined to the control queue
        let interface: TunnelInterface
        let link: any TunnelLink
        let dataPlane: DataPlane
        let occ: OCCOptions
        let configuredRemote: SocketAddress?
        var timers: PeerTimers
        var routesInstalled = false
        var routesPending = false
        var peerUp = false
        /// Why an up peer was given up on (ping-restart, remote-exit, ...); shown in STATUS= until it is back.
        var peerLostReason: String?
        var initializationLogged = false
        var lastSentSeen: Int64 = 0
        var lastReceivedSeen: Int64 = 0
        /// `proto tcp-server`/`tcp-client` only.
        var tcp: TCPState?

        init(interface: TunnelInterface, link: any TunnelLink, dataPlane: DataPlane, occ: OCCOptions,
             configuredRemote: SocketAddress?, timers: PeerTimers) {
            self.interface = interface
            self.link = link
            self.dataPlane = dataPlane
            self.occ = occ
            self.configuredRemote = configuredRemote
            self.timers = timers
        }
    }

    public init(config: TunnelConfig, key: StaticKey, logger: Logger, notifier: SystemdNotifier?,
                reload: @escaping Reloader) {
        self.config = config
        self.key = key
        self.logger = logger
        self.notifier = notifier
        self.reload = reload
    }

    /// Sets the tunnel up and runs it until it exits; never returns.
    public func run() -> Never {
        do {
            try setUp()
            try startHealth(logTap: logTap)
            if config.user != nil || config.group != nil { try dropPrivileges() }
        } catch {
            logger.critical("\(error)")
            logger.critical("Exiting due to fatal error")
            tearDown()
            exit(1)
        }
        session?.dataPlane.start()
        queue.async { [self] in startTCP() }
        signals = SignalWatcher(queue: queue) { [unowned self] signal in self.handle(signal) }
        let ticker = DispatchSource.makeTimerSource(queue: queue)
        ticker.schedule(deadline: .now(), repeating: .seconds(1), leeway: .milliseconds(50))
        ticker.setEventHandler { [unowned self] in self.tick() }
        ticker.resume()
        self.ticker = ticker
        queue.async { [self] in announceReadyIfComplete() }
        dispatchMain()
    }

    // MARK: Set-up and teardown

    private func setUp() throws(SetupError) {
        let config = self.config
        try loadCrypto(config)
        let layout = config.frameLayout
        let sealer: DataChannelSealer
        let opener: DataChannelOpener
        do throws(CryptoError) {
            sealer = try DataChannelSealer(key: key, direction: config.keyDirection, layout: layout)
            let replay: ReplayWindow.Parameters? =
                switch config.replay {
                case .window(let size, let seconds): ReplayWindow.Parameters(size: size, seconds: seconds)
                case .disabled: nil
                }
            opener = try DataChannelOpener(key: key, direction: config.keyDirection, layout: layout, replay: replay)
        } catch {
            throw SetupError("cannot set up \(config.cipher)/\(config.digest): \(error)")
        }
        if let path = config.replayPersistPath, config.replay != .disabled {
            // Opened once and kept across SIGHUP, like openvpn (a second open would fail on our own lock).
            if replayPersist?.path != path { replayPersist = nil; replayPersist = try ReplayPersistFile(path: path) }
            if let mark = replayPersist?.stored {
                opener.presetReplay(time: mark.time, id: mark.id)
                logger.info("replay-persist \(path): starting above time \(mark.time) id \(mark.id)")
            }
        } else {
            replayPersist = nil
        }

        openStatusFile(config)
        let remote = resolveRemote(config)
        let family: UnderlayFamily = remote.map { $0.family == .inet ? .ipv4 : .ipv6 } ?? .unknown
        let settings = config.packetPathSettings(underlay: family)
        let (link, tcp) = try openLink(config, remote: remote, settings: settings)
        let interface = try TunnelInterface(config: config, logger: logger, virtioHeader: wantsOffload(config, settings))
        let offload = Offload(tunVirtioHeader: interface.virtioHeader, segmentation: interface.virtioHeader,
                              receiveCoalescing: (link as? UDPLink)?.receiveCoalescing ?? false)
        if offload != .none {
            logger.info("offloads: TUN TSO \(offload.tunVirtioHeader ? "on" : "off"), UDP GSO \(offload.segmentation ? "on" : "off"), UDP GRO \(offload.receiveCoalescing ? "on" : "off")")
        }

        let peer = PeerAddress(tcp == nil ? remote : nil)  // TCP: known once connected
        let dataPlane = DataPlane(
            tun: interface.device, link: link,
            outbound: OutboundPath(settings: settings, sealer: sealer, fragmentSequenceSeed: UInt8.random(in: 0...255)),
            inbound: InboundPath(settings: settings, opener: opener),
            // TCP filters the peer's IP when accepting (spec §9.5); its packets all come from the connection.
            peer: peer, pinnedSource: tcp == nil && remote != nil && !config.float, offload: offload,
            events: { [unowned self] event in self.queue.async { self.handle(event) } })
        let timers = PeerTimers(settings: timerSettings(config), now: Clock.monotonicSeconds())
        let session = Session(interface: interface, link: link, dataPlane: dataPlane, occ: config.occOptions,
                              configuredRemote: remote, timers: timers)
        session.tcp = tcp
        if remote != nil && tcp == nil { session.timers.peerAddressKnown(now: Clock.monotonicSeconds()) }
        if tcp != nil && config.explicitExitNotify != nil {
            logger.notice("NOTE: --explicit-exit-notify ignored for --proto tcp")
        }
        self.session = session
        logger.trace("Local Options String: '\(session.occ.localString)'")
        logger.trace("Expected Remote Options String: '\(session.occ.expectedRemoteString)'")

        if config.routeNoExec {
            session.routesInstalled = true
        } else if config.routeDelay == nil {
            installRoutes(session)
        } else {
            session.routesPending = true
        }
        try runScript(config.upCommand, kind: "up", config: config, interface: interface)
        if let path = config.writePIDPath { writePIDFile(path) }
        let direction = config.keyDirection.occValue.map { "key-direction \($0)" } ?? "bidirectional key"
        let peerText = remote.map { "to \($0)" } ?? "listening"
        logger.notice("Data Channel: cipher '\(config.cipher)', auth '\(config.digest)', \(direction), link \(peerText)")
        configureProbe()
    }

    /// Kernel offloads change how many packets cross into user space per syscall, never the wire.
    /// They need UDP (GSO/GRO), no `fragment` (whole packets only), room for the 10-byte virtio header
    /// in front of a decrypted packet, and a kernel with UDP GSO. `SWVPND_NO_OFFLOAD=1` turns them off
    /// (for benchmarks comparing both paths, or to rule them out when debugging).
    func wantsOffload(_ config: TunnelConfig, _ settings: PacketPathSettings) -> Bool {
        let prefix = settings.compression == .lzoPrefix ? 1 : 0
        return config.transport == .udp && config.fragment == nil
            && settings.layout.cryptoHeadroom + prefix >= VirtioNetHeader.size
            && UDPSocket.offloadSupport.segmentation && getenv("SWVPND_NO_OFFLOAD") == nil
    }

    private func loadCrypto(_ config: TunnelConfig) throws(SetupError) {
        do throws(CryptoError) {
            if !config.providers.isEmpty { try CryptoProviders.load(config.providers) }
            if !config.cipher.isNone {
                try CryptoProviders.ensureAvailable(cipherName: config.cipher.name,
                                                    needsLegacyProvider: config.cipher.needsLegacyProvider)
            }
        } catch {
            throw SetupError("\(error)")
        }
        do throws(KeyFileError) {
            try key.validate(for: config.cipher, source: keySourceName(config))
        } catch {
            throw SetupError("\(error)")
        }
        if config.cipher.needsLegacyProvider && !config.providers.contains("legacy") {
            logger.notice("\(config.cipher) needs OpenSSL's legacy provider: loaded it (openvpn 2.6 needs 'providers legacy default' for this)")
        }
    }

    /// Resolves the current `remote` (several `remote` lines are tried in turn, like openvpn's
    /// connection list: the next one after a ping-restart or a failed TCP connect).
    func resolveRemote(_ config: TunnelConfig) -> SocketAddress? {
        guard !config.remotes.isEmpty else { return nil }
        let remote = config.remotes[remoteIndex % config.remotes.count]
        let family: SocketAddress.Family? =
            switch remote.addressFamily ?? config.addressFamily {
            case .ipv4: .inet
            case .ipv6: .inet6
            case .any: nil
            }
        do throws(ResolutionError) {
            let addresses = try NameResolution.resolve(host: remote.host, port: remote.port, family: family,
                                                       stream: config.transport.isTCP)
            return addresses.first
        } catch {
            logger.error("RESOLVE: \(error); will retry on restart")
            return nil
        }
    }

    private func openLink(_ config: TunnelConfig, remote: SocketAddress?, settings: PacketPathSettings)
        throws(SetupError) -> (any TunnelLink, TCPState?)
    {
        if config.transport.isTCP { return try openTCPLink(config, remote: remote, settings: settings) }
        var family: SocketAddress.Family = remote?.family ?? (config.addressFamily == .ipv6 ? .inet6 : .inet)
        var bindAddress = SocketAddress.any(family, port: config.bind ? config.localPort : 0)
        if let local = config.localHost {
            guard let resolved = try? NameResolution.resolve(host: local, port: config.localPort, family: remote?.family).first
            else { throw SetupError("\(config.sourceName): local \(local): cannot resolve") }
            bindAddress = resolved
            family = resolved.family
            if !config.bind { bindAddress.port = 0 }
        }
        do throws(SystemError) {
            let socket = try UDPSocket(bindingTo: bindAddress)
            let sizes = try socket.setBufferSizes(
                receive: config.receiveBufferSize ?? Tunables.socketBufferBytes,
                send: config.sendBufferSize ?? Tunables.socketBufferBytes)
            let local = (try? socket.localAddress())?.description ?? bindAddress.description
            logger.notice("UDP link local (bound): \(local), buffers rx \(sizes.receive) tx \(sizes.send)")
            if let remote { logger.notice("UDP link remote: \(remote)") }
            let udp = UDPLink(socket: socket)
            if wantsOffload(config, settings), UDPSocket.offloadSupport.receiveCoalescing {
                do throws(SystemError) {
                    try socket.enableReceiveCoalescing()
                    udp.receiveCoalescing = true
                } catch {
                    logger.info("UDP GRO unavailable: \(error)")
                }
            }
            return (udp, nil)
        } catch {
            throw SetupError("cannot open UDP socket on \(bindAddress): \(error)")
        }
    }

    private func installRoutes(_ session: Session) {
        session.routesPending = false
        session.routesInstalled = session.interface.installRoutes(config: config, remote: session.configuredRemote)
        if !forwardingChecked, !config.routes.isEmpty, let forwarding = try? IPForwarding.isEnabled(), !forwarding {
            forwardingChecked = true
            logger.warning("""
                net.ipv4.ip_forward is 0: this host will not forward traffic between the VPC and the tunnel \
                (install the sysctl drop-in 60-swvpnd-forwarding.conf or run sysctl -w net.ipv4.ip_forward=1)
                """)
        }
        announceReadyIfComplete()
    }

    /// READY=1 once device, socket and routes are in place; "Initialization Sequence Completed" once
    /// the peer has also been heard (as openvpn logs it).
    private func announceReadyIfComplete() {
        guard let session else { return }
        if session.routesInstalled && !readySent {
            readySent = true
            try? notifier?.ready(status: statusText())
        }
        if session.routesInstalled && session.peerUp && !session.initializationLogged {
            session.initializationLogged = true
            logger.notice("Initialization Sequence Completed")
        }
    }
    private var readySent = false

    /// `signal` is openvpn's text for what ended the tunnel, given to the down script.
    private func tearDown(signal: String = "sigterm") {
        guard let session else { return }
        if let tcp = session.tcp { closeTCP(tcp) }
        session.dataPlane.stop()
        saveReplayMark(session)
        if config.downPre {
            try? runScript(config.downCommand, kind: "down", config: config, interface: session.interface, signal: signal)
        }
        session.interface.removeRoutes()
        let name = session.interface.device.name
        self.session = nil  // closes the TUN fd: the kernel removes the device and its addresses
        logger.notice("Closed TUN/TAP device \(name)")
        if !config.downPre {
            try? runScriptAfterClose(config.downCommand, deviceName: name, signal: signal)
        }
    }

    private func exitProcess(_ reason: String) -> Never {
        try? notifier?.stopping()
        ticker?.cancel()
        signals?.cancel()
        health.service?.stop()
        if let status = config.status { writeStatusFile(status.path) }
        tearDown(signal: Self.signalText(reason))
        if let path = pidFileWritten { unlink(path) }
        logger.notice("\(reason), process exiting")
        exit(0)
    }

    // MARK: Events

    private func handle(_ event: DataPlane.Event) {
        guard let session else { return }
        switch event {
        case .peerAuthenticated(let address):
            if !session.peerUp {
                session.peerUp = true
                session.peerLostReason = nil
                session.timers.peerAddressKnown(now: Clock.monotonicSeconds())
                logger.notice("Peer Connection Initiated with \(Self.openVPNAddress(address))")
                if session.routesPending, let delay = config.routeDelay {
                    queue.asyncAfter(deadline: .now() + .seconds(delay.seconds)) { [weak self] in
                        guard let self, let current = self.session, current === session, current.routesPending else { return }
                        self.installRoutes(current)
                    }
                }
                announceReadyIfComplete()
            } else {
                logger.notice("Peer moved to \(Self.openVPNAddress(address)) (float)")
            }
        case .occ(let message):
            handleOCC(message, session)
        case .linkFailed(let why):
            if session.tcp != nil {
                tcpConnectionLost(session, why: why)
            } else {
                logger.error("link error: \(why)")
            }
        case .streamDecryptFailed(let drop):
            guard let tcp = session.tcp, tcp.link.isConnected else { return }
            logger.error("Authenticate/Decrypt packet error: \(drop)")
            logger.error("Fatal decryption error (process_incoming_link), restarting")
            softRestart("decryption-error")
        case .tunFailed(let why):
            logger.critical("TUN device failed: \(why)")
            exitProcess("SIGTERM[hard,tun-error] received")
        case .probeReply(let sequence, let nanoseconds):
            probeReplied(sequence: sequence, at: nanoseconds)
        }
    }

    private func handleOCC(_ message: OCCMessage, _ session: Session) {
        switch message {
        case .request:
            logger.trace("RECEIVED OCC_REQUEST")
            session.dataPlane.sendControl(.occ(.reply(session.occ.localString)))
        case .reply(let text):
            logger.trace("RECEIVED OCC_REPLY: '\(text)'")
            session.timers.occReplyReceived()
            for warning in session.occ.warnings(forReceived: text) {
                logger.warning("OCC: \(warning)")
            }
        case .exit:
            logger.notice("OCC exit message received by peer")
            softRestart("remote-exit")
        case .mtuRequest, .mtuReply, .mtuLoad, .mtuLoadRequest, .unrecognized:
            logger.debug("OCC message \(message) ignored")
        }
    }

    private func handle(_ signal: ProcessSignal) {
        switch signal {
        case .terminate, .interrupt:
            let name = signal == .terminate ? "SIGTERM" : "SIGINT"
            if exitNotify != nil { return }
            if let seconds = config.explicitExitNotify, config.transport == .udp, session?.dataPlane.peer.current != nil {
                logger.notice("\(name) received, sending exit notification to peer")
                exitNotify = ExitNotifySequence(seconds: Int64(seconds), now: Clock.monotonicSeconds())
                pollExitNotify()
            } else {
                exitProcess("\(name)[hard,] received")
            }
        case .hangUp:
            hardRestart()
        case .user1:
            softRestart("user")
        case .user2:
            for line in statusLines() { logger.notice("\(line)") }
        }
    }

    // MARK: Restarts

    /// OpenVPN's SIGUSR1: a new session on the same device and socket (swvpnd keeps the TUN device
    /// and routes, as openvpn does with persist-tun, so traffic is not black-holed meanwhile).
    func softRestart(_ reason: String) {
        guard exitNotify == nil, let session else { return }
        logger.notice("SIGUSR1[soft,\(reason)] received, process restarting")
        noteRestart(reason)
        if reason == "ping-restart" { advanceRemote() }
        saveReplayMark(session)
        if let tcp = session.tcp {
            restartTCP(session, tcp)
            return
        }
        session.dataPlane.resetSession(keepReplayMark: replayPersist != nil)
        if session.peerUp { session.peerLostReason = reason }
        session.peerUp = false
        session.initializationLogged = false
        var remote = session.configuredRemote
        if !config.remotes.isEmpty && !config.persistRemoteIP { remote = resolveRemote(config) ?? remote }
        session.dataPlane.peer.set(remote)
        session.timers = PeerTimers(settings: timerSettings(config), now: Clock.monotonicSeconds())
        if remote != nil { session.timers.peerAddressKnown(now: Clock.monotonicSeconds()) }
    }

    /// Moves to the next `remote` line, if there is more than one.
    func advanceRemote() {
        guard config.remotes.count > 1 else { return }
        remoteIndex = (remoteIndex + 1) % config.remotes.count
        let next = config.remotes[remoteIndex]
        logger.notice("trying the next remote: \(next.host):\(next.port)")
    }

    /// OpenVPN's SIGHUP: re-read the config and key; keep running on the old ones if that fails.
    private func hardRestart() {
        guard exitNotify == nil else { return }
        logger.notice("SIGHUP received: re-reading configuration")
        let loaded: (TunnelConfig, StaticKey)
        do throws(SetupError) {
            loaded = try reload()
        } catch {
            logger.error("configuration reload failed, keeping the running tunnel: \(error)")
            return
        }
        try? notifier?.reloading()
        noteRestart("sighup")
        tearDown(signal: "sighup")
        (config, key) = loaded
        readySent = false
        do {
            try setUp()
            session?.dataPlane.start()
            startTCP()
            announceReadyIfComplete()
        } catch {
            logger.critical("\(error)")
            exitProcess("SIGTERM[hard,restart-failed] received")
        }
    }

    // MARK: Timers

    private func tick() {
        guard let session else { return }
        let now = Clock.monotonicSeconds()
        let dp = session.dataPlane
        dp.heartbeat()
        let sent = dp.lastSent.load(ordering: .relaxed)
        if sent != session.lastSentSeen {
            session.lastSentSeen = sent
            session.timers.packetSent(now: sent)
        }
        let received = dp.lastReceived.load(ordering: .relaxed)
        if received != session.lastReceivedSeen {
            session.lastReceivedSeen = received
            session.timers.authenticatedPacketReceived(now: received)
        }
        if exitNotify != nil { pollExitNotify() }
        healthTick()
        let actions = session.timers.poll(now: now)
        if dp.peer.current != nil {
            if actions.sendPing { dp.sendControl(.ping) }
            if actions.sendOCCRequest {
                logger.trace("SENT OCC_REQUEST")
                dp.sendControl(.occ(.request))
            }
        }
        switch actions.terminate {
        case .restart?:
            logger.notice("Inactivity timeout (--ping-restart), restarting")
            softRestart("ping-restart")
        case .exit?:
            logger.notice("Inactivity timeout (--ping-exit), exiting")
            exitProcess("SIGTERM[soft,ping-exit] received")
        case nil:
            break
        }
        reportDrops(now)
        if replayPersist != nil, now - lastReplaySave >= 60 {
            lastReplaySave = now
            saveReplayMark(session)
        }
        if !session.routesInstalled && !session.routesPending && !config.routeNoExec && now % 5 == 0 {
            installRoutes(session)  // retry what failed (a stale route removed by hand, a device that came back)
        }
        if let status = config.status, now - lastStatusFileWrite >= Int64(max(status.intervalSeconds, 1)) {
            lastStatusFileWrite = now
            writeStatusFile(status.path)
        }
        let text = statusText()
        if text != lastStatusText {
            lastStatusText = text
            try? notifier?.status(text)
        }
        // The watchdog is petted only when both packet loops ran a heartbeat recently.
        if notifier != nil, now - dp.txHeartbeat.load(ordering: .relaxed) <= 3,
           now - dp.rxHeartbeat.load(ordering: .relaxed) <= 3 {
            try? notifier?.watchdog()
        }
    }

    private func pollExitNotify() {
        guard var sequence = exitNotify else { return }
        switch sequence.poll(now: Clock.monotonicSeconds()) {
        case .sendOCCExit:
            session?.dataPlane.sendControl(.occ(.exit))
        case .exit:
            exitProcess("SIGTERM[soft,exit-with-notification] received")
        case .wait:
            break
        }
        exitNotify = sequence
    }

    /// "dropped 37 in 10 s: 30 replayed, 7 bad HMAC" — at most one line per 10 s, never per packet.
    private func reportDrops(_ now: Int64) {
        guard let session, now - lastDropReport >= 10 else { return }
        lastDropReport = now
        let drops = session.dataPlane.counters.snapshot().drops
        let values = drops.map(\.1)
        defer { lastDrops = values }
        guard lastDrops.count == values.count else { return }
        let delta = zip(drops, lastDrops).map { ($0.0, $0.1 &- $1) }.filter { $0.1 > 0 }
        guard !delta.isEmpty else { return }
        if delta.count == 1, delta[0].0 == "replayed", config.muteReplayWarnings { return }
        let total = delta.reduce(0) { $0 + $1.1 }
        let parts = delta.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
        logger.warning("dropped \(total) packets in the last 10 s: \(parts)")
    }

    // MARK: Status

    private func statusText() -> String {
        guard let session else { return "stopped" }
        let c = session.dataPlane.counters.snapshot()
        let rx = Self.humanBytes(c.tunWriteBytes)
        let tx = Self.humanBytes(c.tunReadBytes)
        if session.peerUp, let peer = session.dataPlane.peer.current {
            return "peer \(peer) up, rx \(rx) tx \(tx)"
        }
        let lost = session.peerLostReason.map { "peer lost (\($0)), " } ?? ""
        return "\(lost)waiting for peer, rx \(rx) tx \(tx)"
    }

    private func statusLines() -> [String] {
        let c = session?.dataPlane.counters.snapshot()
        var lines = [
            "OpenVPN STATISTICS",
            "Updated,\(LogSink.timestamp())",
            "TUN/TAP read bytes,\(c?.tunReadBytes ?? 0)",
            "TUN/TAP write bytes,\(c?.tunWriteBytes ?? 0)",
            "TCP/UDP read bytes,\(c?.linkReadBytes ?? 0)",
            "TCP/UDP write bytes,\(c?.linkWriteBytes ?? 0)",
            "Auth read bytes,\(c?.authReadBytes ?? 0)",
        ]
        if config.compression != .none {
            // swvpnd frames but never compresses: sizes are the same before and after.
            lines += [
                "pre-compress bytes,\(c?.tunReadBytes ?? 0)", "post-compress bytes,\(c?.tunReadBytes ?? 0)",
                "pre-decompress bytes,\(c?.tunWriteBytes ?? 0)", "post-decompress bytes,\(c?.tunWriteBytes ?? 0)",
            ]
        }
        lines.append("END")
        return lines
    }

    private func saveReplayMark(_ session: Session) {
        guard let replayPersist else { return }
        let mark = session.dataPlane.replayHighWater()
        replayPersist.save(time: mark.time, id: mark.id)
    }

    /// Opened before any privilege drop and kept across SIGHUP (a new path after a drop may fail: warned once).
    private func openStatusFile(_ config: TunnelConfig) {
        guard let path = config.status?.path else { statusFile = nil; return }
        guard statusFile?.path != path else { return }
        statusFile = nil
        do throws(SystemError) {
            statusFile = try StatusFileWriter(path: path)
        } catch {
            logger.warning("cannot write status file \(path): \(error)")
        }
    }

    private func writeStatusFile(_ path: String) {
        guard let statusFile else { return }
        do throws(SystemError) {
            try statusFile.write(statusLines().joined(separator: "\n") + "\n")
        } catch {
            logger.warning("cannot write status file \(path): \(error)")
        }
    }

    private func writePIDFile(_ path: String) {
        do {
            try PosixFileSystem.replace(path, with: "\(getpid())\n", mode: 0o644)
            pidFileWritten = path
        } catch {
            logger.warning("cannot write pid file \(path): \(error)")
        }
    }

    // MARK: Helpers

    private func dropPrivileges() throws(SetupError) {
        guard let user = config.user ?? (config.group != nil ? "root" : nil) else { return }
        do throws(PrivilegeDrop.Failure) {
            try PrivilegeDrop.drop(toUser: user, group: config.group, keepNetAdmin: true)
            privilegesDropped = true
            logger.notice("dropped privileges to user '\(user)'\(config.group.map { " group '\($0)'" } ?? ""), keeping CAP_NET_ADMIN")
        } catch {
            throw SetupError("cannot drop privileges: \(error)")
        }
    }

    func timerSettings(_ config: TunnelConfig) -> PeerTimerSettings {
        let ping = config.ping
        let inactivity: PeerTimerSettings.Inactivity? =
            ping.timeout > 0
            ? (ping.timeoutAction == .restart ? .restart(seconds: Int64(ping.timeout)) : .exit(seconds: Int64(ping.timeout)))
            : nil
        return PeerTimerSettings(ping: ping.interval > 0 ? Int64(ping.interval) : nil, inactivity: inactivity,
                                 inactivityNeedsPeer: ping.timerNeedsRemote, occ: !config.disableOCC)
    }

    private func keySourceName(_ config: TunnelConfig) -> String {
        switch config.keySource {
        case .file(let path, _, _): path
        case .inline(_, let location): location.description
        }
    }

    /// openvpn's signal text from our exit reason: "SIGTERM[soft,ping-exit] received" → "ping-exit",
    /// "SIGINT[hard,] received" → "sigint".
    static func signalText(_ reason: String) -> String {
        let name = reason.prefix { $0 != "[" && $0 != " " }.lowercased()
        guard let open = reason.firstIndex(of: "["), let close = reason.firstIndex(of: "]"), open < close,
              let comma = reason[open..<close].firstIndex(of: ",") else { return name }
        let text = reason[reason.index(after: comma)..<close]
        return text.isEmpty ? name : String(text)
    }

    /// `[AF_INET]10.77.0.2:1194`, openvpn's address notation (tests and users grep for it).
    static func openVPNAddress(_ address: SocketAddress) -> String {
        (address.family == .inet ? "[AF_INET]" : "[AF_INET6]") + address.description
    }

    static func humanBytes(_ n: UInt64) -> String {
        if n < 1024 { return "\(n) B" }
        let units = ["KB", "MB", "GB", "TB"]
        var value = Double(n) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return "\((value * 10).rounded() / 10) \(units[unit])"
    }
}
