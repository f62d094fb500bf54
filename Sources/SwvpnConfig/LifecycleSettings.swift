/// openvpn's lifecycle and script options a point-to-point tunnel uses: the extra script hooks,
/// `up-restart`, `inactive`, `connect-retry-max`, `connect-timeout`, `remap-usr1` and `dns`.
public struct LifecycleSettings: Sendable, Hashable {
    /// `route-up cmd`: run after the routes are added (no arguments; the environment says it all).
    public var routeUpCommand: String?
    /// `route-pre-down cmd`: run before the routes are removed, with the `down` script's arguments.
    public var routePreDownCommand: String?
    /// `ipchange cmd`: run when the peer's address is first learned or changes, with "[AF_INET]ip port" appended (one argument).
    public var ipchangeCommand: String?
    /// `up-restart`: `down` and `up` run on soft restarts too (script_context=restart).
    public var upRestart = false
    /// `inactive n [bytes]`: exit after n seconds in which fewer than `bytes` tunnel bytes moved.
    public var inactive: Inactivity?
    /// `connect-retry-max n`: give up after n failed connection attempts per remote (nil: never).
    public var connectRetryMax: Int?
    /// `connect-timeout n`: how long one TCP connect may take (openvpn's default: 120 s).
    public var connectTimeoutSeconds = 120
    /// `remap-usr1 SIGHUP|SIGTERM`: what a SIGUSR1 (also the internal ones, such as ping-restart) becomes.
    public var remapUser1: RemappedSignal?
    /// `dns ...`: handed to scripts as openvpn's `dns_*` variables.
    public var dns = DNSOptions()

    public init() {}

    public struct Inactivity: Sendable, Hashable {
        public var seconds: Int
        /// Bytes that must move (TUN reads plus writes) before the timer restarts; 0: any packet.
        public var minimumBytes: UInt64

        public init(seconds: Int, minimumBytes: UInt64) {
            self.seconds = seconds
            self.minimumBytes = minimumBytes
        }
    }

    public enum RemappedSignal: String, Sendable, Hashable {
        case hangUp = "SIGHUP"
        case terminate = "SIGTERM"
    }
}
