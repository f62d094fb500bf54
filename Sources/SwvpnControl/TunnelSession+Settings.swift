import SwvpnConfig
import SwvpnProtocol

extension TunnelSession {
    /// The parts of a config that steer the control plane.
    public struct Settings: Sendable, Hashable {
        public enum Transport: Sendable, Hashable { case udp, tcpServer, tcpClient }

        public var transport: Transport = .udp
        public var timers = PeerTimerSettings()
        public var routeNoExec = false
        public var routeDelaySeconds: Int64?
        /// `explicit-exit-notify n` (UDP only).
        public var exitNotifySeconds: Int64?
        public var remoteCount = 0
        /// `connect-retry n max`.
        public var connectRetrySeconds: Int64 = 1
        public var connectRetryMaxSeconds: Int64 = 300
        /// `resolv-retry n`; nil: infinite (openvpn's default).
        public var resolveRetrySeconds: Int64?
        /// `persist-remote-ip`: a soft restart does not look the remote up again.
        public var persistRemoteIP = false
        /// `float`: authenticated packets from any address are accepted (also before the remote resolves).
        public var float = false
        public var muteReplayWarnings = false
        /// The replay mark is kept in a file (`replay-persist`, or by default in systemd's state
        /// directory) and there is a replay window: saved when it moved, at most once a second.
        public var replayPersist = false
        /// `status FILE n`: written every n seconds (at least 1).
        public var statusFileSeconds: Int64?
        /// Started by systemd with a notify socket.
        public var notify = false
        /// A socket that cannot bind (EADDRINUSE) is tried this many times in all, this far apart.
        public var bindTries = 5
        public var bindRetrySeconds: Int64 = 5
        /// tcp-server: a connection is closed if it delivers no authenticated packet this soon.
        public var tcpHandshakeSeconds = TunnelSession.tcpHandshakeSeconds
        /// Scripts the session decides when to run (TunnelSession+Lifecycle.swift).
        public var routeUpScript = false
        public var ipchangeScript = false
        public var upRestart = false
        /// `inactive n [bytes]`.
        public var inactivity: LifecycleSettings.Inactivity?
        /// `connect-retry-max n` (tcp-client): attempts per remote before giving up.
        public var connectRetryMax: Int?
        /// `connect-timeout n` (tcp-client).
        public var connectTimeoutSeconds: Int64 = 120
        /// `remap-usr1`: what every SIGUSR1, internal ones included, becomes.
        public var remapUser1: LifecycleSettings.RemappedSignal?

        public init() {}

        /// `stateDirectory`: systemd gave the daemon one (`$STATE_DIRECTORY`), where the replay mark is
        /// kept by default.
        public init(config: TunnelConfig, notify: Bool, stateDirectory: Bool = false) {
            transport =
                switch config.transport {
                case .udp: .udp
                case .tcpServer: .tcpServer
                case .tcpClient: .tcpClient
                }
            let ping = config.ping
            let inactivity: PeerTimerSettings.Inactivity? =
                ping.timeout > 0
                ? (ping.timeoutAction == .restart
                    ? .restart(seconds: Int64(ping.timeout)) : .exit(seconds: Int64(ping.timeout)))
                : nil
            timers = PeerTimerSettings(
                ping: ping.interval > 0 ? Int64(ping.interval) : nil, inactivity: inactivity,
                inactivityNeedsPeer: ping.timerNeedsRemote, occ: !config.disableOCC)
            routeNoExec = config.routeNoExec
            routeDelaySeconds = config.routeDelay.map { Int64($0.seconds) }
            exitNotifySeconds = transport == .udp ? config.explicitExitNotify.map { Int64($0) } : nil
            remoteCount = config.remotes.count
            connectRetrySeconds = Int64(config.connectRetry.seconds)
            connectRetryMaxSeconds = Int64(config.connectRetry.maxSeconds)
            resolveRetrySeconds = config.resolveRetrySeconds.map { Int64($0) }
            persistRemoteIP = config.persistRemoteIP
            float = config.float
            muteReplayWarnings = config.muteReplayWarnings
            replayPersist = (config.replayPersistPath != nil || stateDirectory) && config.replay != .disabled
            statusFileSeconds = config.status.map { Int64(max($0.intervalSeconds, 1)) }
            self.notify = notify
            let lifecycle = config.lifecycle
            routeUpScript = lifecycle.routeUpCommand != nil && config.scriptSecurity >= 2
            ipchangeScript = lifecycle.ipchangeCommand != nil && config.scriptSecurity >= 2
            upRestart =
                lifecycle.upRestart && config.scriptSecurity >= 2
                && (config.upCommand != nil || config.downCommand != nil)
            self.inactivity = lifecycle.inactive
            connectRetryMax = lifecycle.connectRetryMax
            connectTimeoutSeconds = Int64(lifecycle.connectTimeoutSeconds)
            remapUser1 = lifecycle.remapUser1
        }
    }
}
