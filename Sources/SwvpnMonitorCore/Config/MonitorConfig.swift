import SwvpnConfig

/// What `/etc/swvpnd/monitor.conf` describes: the VPN instances, the tunnels between them, which
/// tunnels back each other up, the route entries to move, and the monitor's timings and outputs.
public struct MonitorConfig: Sendable, Hashable {
    /// The file it came from (for messages).
    public var sourceName: String
    /// nil: ask instance metadata.
    public var region: String?
    public var instances: [Instance] = []
    public var tunnels: [Tunnel] = []
    public var pairs: [Pair] = []
    public var routes: [Route] = []
    public var timings = Timings()
    public var restart = RestartPolicy()
    /// `fix-source-dest-check yes`: turn a VPN instance's source/destination check off at start
    /// (ModifyInstanceAttribute) instead of only alerting.
    public var fixSourceDestCheck = false
    public var notify: Notify = Notify()
    /// `metrics-listen ADDR PORT`: where Prometheus scrapes `/metrics`.
    public var metricsListen: ListenAddress?
    /// Where `swvpn-monitor status` reads the monitor's state.
    public var statusFile = "/run/swvpn-monitor/status.json"
    /// Test and VPC-endpoint overrides.
    public var ec2Endpoint: String?
    public var imdsEndpoint: String?
    public var warnings: [ConfigDiagnostic] = []

    public init(sourceName: String) { self.sourceName = sourceName }

    /// One VPN instance: a name used in this file, its EC2 instance and primary ENI ids.
    public struct Instance: Sendable, Hashable {
        public var name: String
        public var instanceId: String
        public var eniId: String
        /// Default health URL for tunnels that do not name one (the swvpnd `health-listen` of its one tunnel).
        public var healthURL: String?
        public var location: ConfigLocation
    }

    /// A tunnel between two instances; each end has the health URL of that end's swvpnd.
    public struct Tunnel: Sendable, Hashable {
        public var name: String
        /// Indexes into `instances`; `ends[0]` is on the side that `pair` lines align.
        public var ends: [Int]
        public var healthURLs: [String]
        public var location: ConfigLocation
    }

    /// Two tunnels joining the same two VPCs, side by side (`ends[s]` of both are in the same VPC).
    public struct Pair: Sendable, Hashable {
        public var tunnels: [Int]
        public var location: ConfigLocation
    }

    /// One (route table, destination) entry the monitor owns, its home instance and its standby.
    public struct Route: Sendable, Hashable {
        public var tableId: String
        public var destination: String
        public var home: Int
        public var standby: Int
        /// The tunnel that carries it at home, and its partner that carries it on standby.
        public var homeTunnel: Int
        public var standbyTunnel: Int
        public var location: ConfigLocation
    }

    public struct Timings: Sendable, Hashable {
        public var checkInterval: Duration = .seconds(1)
        public var healthTimeout: Duration = .milliseconds(800)
        public var fall = 2
        public var rise = 5
        public var failbackHold: Duration = .seconds(60)
        /// At most one failback per pair in this period.
        public var failbackMinInterval: Duration = .seconds(300)
        /// `flap-damping N WINDOW`: N downs within WINDOW keep a tunnel on standby.
        public var flapCount = 3
        public var flapWindow: Duration = .seconds(600)
        /// Routes and instance status are re-read this often (and right after every write).
        public var ec2Interval: Duration = .seconds(5)
        /// EC2 is eventually consistent: a route read back unchanged this soon after a write is not rewritten.
        public var routeGrace: Duration = .seconds(10)
        /// No successful EC2 call for this long (with failures): the monitor is cut off.
        public var isolationAfter: Duration = .seconds(10)
        public init() {}
    }

    public struct RestartPolicy: Sendable, Hashable {
        public var enabled = true
        /// An instance whose swvpnd has not answered for this long gets RebootInstances.
        public var silentAfter: Duration = .seconds(30)
        /// After a reboot or start, how long the instance gets to answer again.
        public var bootGrace: Duration = .seconds(180)
        /// StopInstances without Force first; with Force after this.
        public var stopTimeout: Duration = .seconds(120)
        /// Never two instances of one VPC restarted within this period.
        public var cooldown: Duration = .seconds(600)
        /// At most `limit` restart ladders started per `window`.
        public var limit = 3
        public var window: Duration = .seconds(3600)
        public init() {}
    }

    public struct Notify: Sendable, Hashable {
        /// argv of a program run (no shell) for every alert and route move.
        public var exec: [String]?
        public var timeout: Duration = .seconds(10)
        public var snsTopicArn: String?
        /// SNS endpoint instead of https://sns.REGION.amazonaws.com (tests).
        public var snsEndpoint: String?
        public init() {}
    }

    public struct ListenAddress: Sendable, Hashable {
        public var address: String
        public var port: UInt16
        public init(address: String, port: UInt16) {
            self.address = address
            self.port = port
        }
    }
}
