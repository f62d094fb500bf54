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
            muteReplayWarnings = config.muteReplayWarnings
            replayPersist = (config.replayPersistPath != nil || stateDirectory) && config.replay != .disabled
            statusFileSeconds = config.status.map { Int64(max($0.intervalSeconds, 1)) }
            self.notify = notify
        }
    }
}
