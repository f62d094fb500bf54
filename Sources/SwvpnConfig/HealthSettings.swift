/// Monitoring surface of one tunnel: the HTTP health/metrics listener, the in-tunnel probe and
/// OpenVPN's management interface. All off by default (the control socket is always on).
public struct HealthSettings: Sendable, Equatable {
    /// `health-listen ADDR PORT`: serve `GET /health` and `GET /metrics`.
    public var listen: ListenAddress?
    /// `health-probe [seconds]`: ICMP echo through the tunnel every n seconds.
    public var probeIntervalSeconds: Int?
    /// `management IP PORT [pw-file]` or `management /path unix [pw-file]`.
    public var management: Management?
    /// `management-client-user` / `management-client-group`: who may connect to a unix socket.
    public var managementClientUser: String?
    public var managementClientGroup: String?

    public struct ListenAddress: Sendable, Equatable {
        public var host: String
        public var port: UInt16
        public init(host: String, port: UInt16) {
            self.host = host
            self.port = port
        }

        /// 127.0.0.0/8, ::1 and localhost: reachable from this host only.
        public var isLoopback: Bool {
            host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }
    }

    public struct Management: Sendable, Equatable {
        public enum Endpoint: Sendable, Equatable {
            case tcp(ListenAddress)
            case unix(path: String)
        }
        public var endpoint: Endpoint
        /// First line of this file is the password clients must send first.
        public var passwordFile: String?
        public init(endpoint: Endpoint, passwordFile: String?) {
            self.endpoint = endpoint
            self.passwordFile = passwordFile
        }
    }

    public init() {}
}
