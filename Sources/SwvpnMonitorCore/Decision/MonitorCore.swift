/// The monitor's decisions, with no I/O: events and the time in, actions out.
///
/// Time is a `Duration` since the monitor started (any monotonic origin); tests drive it by hand.
/// The I/O performs every action it gets and feeds the results back as events; it calls
/// `handle(.tick, at:)` by `nextWakeup` at the latest.
public struct MonitorCore: Sendable {
    public let config: MonitorConfig
    /// This monitor's own instance id (from instance metadata): never restarted.
    public let selfInstanceId: String?

    var now: Duration = .zero
    var started: Duration?
    var tunnels: [TunnelState]
    var routes: [RouteState]
    /// Per tunnel, as the home of its routes: where those routes should point.
    var placement: [Placement]
    /// Route moves waiting for DescribeRouteTables to show every route of the tunnel at its target.
    var moves: [Int: Move] = [:]
    var lastFailback: [Int: Duration] = [:]
    var adopted = false
    var instanceStatus: [String: InstanceObservation] = [:]
    var instances: [InstanceState]
    /// Instances a route read showed as a blackhole target: bad until a route to them reads active again
    /// or they have been seen down and running again (moving away hides the blackhole, not its cause).
    var blackholed: Set<Int> = []
    var seenDown: Set<Int> = []
    /// Instances of one VPC share a group number (pairs align their sides).
    let vpcGroup: [Int]
    var restartLog: [(instance: Int, at: Duration)] = []

    var lastEC2Success: Duration?
    var ec2FailingSince: Duration?
    var ec2ErrorReported = false
    var ec2Unreachable = false
    var agentsSilent = false
    /// Health rounds in a row without most agents silent.
    var clearRounds = 0
    var isolationReported = false
    var bothDownReported: Set<Int> = []
    var dampedReported: Set<Int> = []

    var schedule = Schedule()
    /// This event is a health round: the held counters count checks, not events.
    var checkRound = false
    var out: [MonitorAction] = []

    public internal(set) var counters = Counters()

    public struct Counters: Sendable, Hashable {
        public var failovers = 0
        /// Checks on which a failover waited for a degrading standby.
        public var failoversHeld = 0
        /// Checks on which a due failback waited for a degrading home tunnel.
        public var failbacksHeld = 0
        public var failbacks = 0
        public var routeWrites = 0
        public var restarts: [RestartStep: Int] = [:]
        /// Seconds from the first bad check to both sides read back, of the latest failover.
        public var lastFailoverSeconds: Double?
    }

    public init(config: MonitorConfig, selfInstanceId: String?) {
        self.config = config
        self.selfInstanceId = selfInstanceId
        tunnels = config.tunnels.map { _ in TunnelState() }
        routes = config.routes.map { _ in RouteState() }
        placement = config.tunnels.map { _ in .home }
        instances = config.instances.map { _ in InstanceState() }
        vpcGroup = Self.groups(config)
    }

    /// Feeds one event; returns what to do now.
    public mutating func handle(_ event: MonitorEvent, at time: Duration) -> [MonitorAction] {
        now = max(now, time)
        if started == nil { started = now }
        out = []
        checkRound = false
        switch event {
        case .tick: break
        case .healthRound(let observations): healthRound(observations)
        case .routesRead(let read, let result): routesRead(read, result)
        case .instancesRead(let result): instancesRead(result)
        case .routeWritten(let route, let result): routeWritten(route, result)
        case .restartFinished(let instance, let step, let result): restartFinished(instance, step, result)
        }
        updateIsolation()
        if adopted && !isolated {
            decideMoves()
            writeRoutes()
        }
        ladders()
        requestDue()
        return out
    }

    /// When to call `handle(.tick, ...)` next if nothing else happens.
    public var nextWakeup: Duration {
        var next = min(schedule.health, schedule.routes, schedule.instances)
        for route in routes where route.retryAt > now { next = min(next, route.retryAt) }
        return next
    }

    /// Cut off: EC2 unreachable for a while, or most agents silent while EC2 says they run.
    public var isolated: Bool { ec2Unreachable || agentsSilent }

    func report(_ kind: MonitorReport.Kind, _ subject: String, _ message: String, alert: Bool = false) -> MonitorAction
    {
        .report(MonitorReport(kind, subject, message, alert: alert))
    }

    mutating func emit(_ kind: MonitorReport.Kind, _ subject: String, _ message: String, alert: Bool = false) {
        out.append(report(kind, subject, message, alert: alert))
    }

    /// Seconds as text for log lines (`1.25 s`).
    public static func seconds(_ d: Duration) -> String {
        let ms = Int(d.components.seconds) * 1000 + Int(d.components.attoseconds / 1_000_000_000_000_000)
        let whole = ms / 1000
        let frac = ms % 1000
        return frac == 0 ? "\(whole) s" : "\(whole).\(String(frac + 1000).dropFirst()) s"
    }

    static func secondsValue(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    private static func groups(_ config: MonitorConfig) -> [Int] {
        var parent = Array(config.instances.indices)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { x = parent[x] }
            return x
        }
        for pair in config.pairs {
            for side in 0..<2 {
                let a = find(config.tunnels[pair.tunnels[0]].ends[side])
                let b = find(config.tunnels[pair.tunnels[1]].ends[side])
                if a != b { parent[a] = b }
            }
        }
        return config.instances.indices.map(find)
    }

    /// The tunnel that stands in for `tunnel` (its pair partner).
    func partner(of tunnel: Int) -> Int {
        let pair = config.pairs.first { $0.tunnels.contains(tunnel) }!
        return pair.tunnels[0] == tunnel ? pair.tunnels[1] : pair.tunnels[0]
    }

    func pairIndex(of tunnel: Int) -> Int { config.pairs.firstIndex { $0.tunnels.contains(tunnel) }! }
}

extension MonitorCore {
    enum Placement: String, Sendable, Hashable { case home, standby }

    enum Status: String, Sendable, Hashable { case unknown, up, down }

    struct TunnelState: Sendable {
        var status = Status.unknown
        var good = 0
        var bad = 0
        var since: Duration = .zero
        /// Start of the current run of bad checks.
        var firstBad: Duration?
        /// When it went down, within the flap window.
        var downs: [Duration] = []
        var evidence = ""
        /// Up, but its latest 200s carry probe loss or a stale probe reply: not a failover target yet.
        var degrading: String?
        var heldSince: Duration?
        /// A due failback waits for its degrading home (reported once per wait).
        var failbackHeld = false
    }

    struct RouteState: Sendable {
        var observed: RouteObservation?
        var seen = false
        var inFlight = false
        /// Last successful write, for the eventual-consistency grace.
        var written: Duration?
        var failures = 0
        var retryAt: Duration = .zero
    }

    struct Move: Sendable {
        var placement: Placement
        var firstBad: Duration
        var decided: Duration
        /// Away from a down tunnel (a failback after the hold is not).
        var failover: Bool
    }

    struct InstanceState: Sendable {
        var silentSince: Duration?
        var healthy = false
        var ladder = Ladder.idle
        var inFlight = false
        var heldReported = false
        /// Last restart action sent, for the per-VPC cooldown.
        var lastAction: Duration?
        /// After a failed call, not before this.
        var retryAt: Duration = .zero
    }

    enum Ladder: Sendable, Hashable {
        case idle
        case rebooted(at: Duration)
        case stopping(at: Duration, forced: Bool)
        case started(at: Duration)
        /// Every rung tried; waits for the instance to come back on its own (or a human).
        case exhausted
    }

    struct Schedule: Sendable {
        var health: Duration = .zero
        var routes: Duration = .zero
        var instances: Duration = .zero
        var healthInFlight = false
        /// Route reads by number: the last one asked for, those not answered yet, the newest one applied.
        var routeReads = 0
        var routeReadsInFlight: Set<Int> = []
        var routeReadApplied = 0
        /// A write landed: the next read must start after it (one in flight may have started before).
        var routeReadAfterWrite = false
        var instancesInFlight = false
    }
}
