/// The monitor's state for `swvpn-monitor status` and the metrics: plain values, Codable.
public struct MonitorSnapshot: Sendable, Hashable, Codable {
    public struct Tunnel: Sendable, Hashable, Codable {
        public var name: String
        /// unknown | up | down
        public var status: String
        /// Seconds in that status.
        public var forSeconds: Double
        /// Where its routes point: home | standby
        public var routes: String
        public var damped: Bool
        public var evidence: String
    }

    public struct Route: Sendable, Hashable, Codable {
        public var table: String
        public var destination: String
        public var home: String
        public var standby: String
        /// Instance name (or raw id) EC2 last showed, `missing`, or `unread`.
        public var target: String
        public var desired: String
        public var blackhole: Bool
    }

    public struct Instance: Sendable, Hashable, Codable {
        public var name: String
        public var instanceId: String
        public var ec2State: String?
        public var healthy: Bool
        public var silentSeconds: Double?
        /// idle | rebooted | stopping | started | exhausted
        public var ladder: String
    }

    public var tunnels: [Tunnel]
    public var routes: [Route]
    public var instances: [Instance]
    public var isolated: Bool
    public var failovers: Int
    public var failbacks: Int
    public var routeWrites: Int
    public var restarts: [String: Int]
    public var lastFailoverSeconds: Double?
    /// Checks on which a failover waited for a degrading standby.
    public var failoversHeld = 0
    /// Checks on which a due failback waited for a degrading home tunnel.
    public var failbacksHeld = 0
}

extension MonitorCore {
    public var snapshot: MonitorSnapshot {
        MonitorSnapshot(
            tunnels: tunnels.indices.map { t in
                var copy = self
                return .init(
                    name: config.tunnels[t].name, status: tunnels[t].status.rawValue,
                    forSeconds: Self.secondsValue(now - tunnels[t].since), routes: placement[t].rawValue,
                    damped: copy.damped(t), evidence: tunnels[t].evidence)
            },
            routes: config.routes.indices.map { r in
                let route = config.routes[r]
                return .init(
                    table: route.tableId, destination: route.destination, home: config.instances[route.home].name,
                    standby: config.instances[route.standby].name,
                    target: routes[r].seen ? describe(routes[r].observed) : "unread",
                    desired: config.instances[desired(r).instance].name,
                    blackhole: routes[r].observed?.blackhole ?? false)
            },
            instances: config.instances.indices.map { i in
                let ladder: String =
                    switch instances[i].ladder {
                    case .idle: "idle"
                    case .rebooted: "rebooted"
                    case .stopping: "stopping"
                    case .started: "started"
                    case .exhausted: "exhausted"
                    }
                return .init(
                    name: config.instances[i].name, instanceId: config.instances[i].instanceId,
                    ec2State: instanceStatus[config.instances[i].instanceId]?.state, healthy: instances[i].healthy,
                    silentSeconds: instances[i].silentSince.map { Self.secondsValue(now - $0) }, ladder: ladder)
            },
            isolated: isolated, failovers: counters.failovers, failbacks: counters.failbacks,
            routeWrites: counters.routeWrites,
            restarts: Dictionary(uniqueKeysWithValues: counters.restarts.map { ($0.key.rawValue, $0.value) }),
            lastFailoverSeconds: counters.lastFailoverSeconds, failoversHeld: counters.failoversHeld,
            failbacksHeld: counters.failbacksHeld)
    }
}
