import Foundation
import SwvpnMonitorCore

/// A simulated world for the decision core: instances whose swvpnd answers (or not), tunnels that are up
/// (or not), an EC2 with route tables and instance states, all on a virtual clock. Every action the core
/// asks for is performed at once and its result fed back, as the real I/O would.
struct Stand {
    var core: MonitorCore
    let config: MonitorConfig
    var now: Duration = .zero

    /// Per instance name: does its swvpnd answer at all.
    var alive: [String: Bool] = [:]
    /// Per tunnel name: does swvpnd say it is up (200) or not (503).
    var tunnelUp: [String: Bool] = [:]
    /// Per tunnel name: the probe loss its swvpnd reports with a 200 (absent: 0).
    var probeLoss: [String: Int] = [:]
    /// EC2 state per instance name, and impaired flags.
    var ec2State: [String: String] = [:]
    var impaired: Set<String> = []
    /// Route (table + destination) → instance name, as EC2 holds it; `shown` is what reads return (lags writes).
    var table: [String: String] = [:]
    var shown: [String: String] = [:]
    /// Instances whose routes EC2 shows as blackholes.
    var blackhole: Set<String> = []
    /// How long a write takes to show in DescribeRouteTables.
    var readLag: Duration = .zero
    var pendingShow: [(at: Duration, key: String, target: String)] = []
    var ec2Reachable = true
    /// The monitor's own link is cut: no /health answers and no EC2.
    var monitorCut = false
    /// Tables whose writes fail (as many times as the count says).
    var failingWrites: [String: Int] = [:]

    var writes: [(table: String, destination: String, target: String, at: Duration)] = []
    var reports: [MonitorReport] = []
    var restarts: [(instance: String, step: RestartStep, at: Duration)] = []

    init(_ text: String, selfInstance: String? = nil) throws {
        let config = try MonitorConfig.parse(text: text, source: "monitor.conf")
        self.config = config
        core = MonitorCore(
            config: config,
            selfInstanceId: selfInstance.flatMap { n in config.instances.first { $0.name == n }?.instanceId })
        for i in config.instances {
            alive[i.name] = true
            ec2State[i.name] = "running"
        }
        for t in config.tunnels { tunnelUp[t.name] = true }
        for r in config.routes {
            table[Self.key(r.tableId, r.destination)] = config.instances[r.home].name
        }
        shown = table
    }

    static func key(_ table: String, _ destination: String) -> String { "\(table) \(destination)" }

    /// Runs the world until `time` (seconds from the start), with the core waking as it asks.
    mutating func run(until time: Double) {
        let end = Duration.milliseconds(Int(time * 1000))
        while true {
            let next = min(core.nextWakeup, end)
            if next > now { now = next }
            settle()
            feed(.tick)
            if now >= end { break }
        }
    }

    mutating func settle() {
        let due = pendingShow.filter { $0.at <= now }
        pendingShow.removeAll { $0.at <= now }
        for d in due { shown[d.key] = d.target }
    }

    mutating func feed(_ event: MonitorEvent) {
        var queue = [event]
        while !queue.isEmpty {
            let actions = core.handle(queue.removeFirst(), at: now)
            for action in actions { queue += perform(action) }
        }
    }

    mutating func perform(_ action: MonitorAction) -> [MonitorEvent] {
        let unreachable = APIFailure(.unreachable, "connection timed out")
        let ec2Reachable = self.ec2Reachable && !monitorCut
        switch action {
        case .report(let r):
            reports.append(r)
            return []
        case .checkHealth:
            var round: [HealthObservation] = []
            for (t, tunnel) in config.tunnels.enumerated() {
                for end in 0..<2 {
                    let name = config.instances[tunnel.ends[end]].name
                    let answers = alive[name]! && ec2State[name] == "running" && !monitorCut
                    let result: HealthResult =
                        !answers ? .unreachable : (tunnelUp[tunnel.name]! ? .ok : .notOK(status: 503))
                    round.append(
                        HealthObservation(
                            tunnel: t, end: end, result: result, probeLossPercent: probeLoss[tunnel.name] ?? 0,
                            probeLastReplySeconds: 0))
                }
            }
            return [.healthRound(round)]
        case .readRoutes(let read):
            guard ec2Reachable else { return [.routesRead(read: read, .failure(unreachable))] }
            let observed = config.routes.compactMap { r -> RouteObservation? in
                let key = Self.key(r.tableId, r.destination)
                guard let name = shown[key] else { return nil }
                let i = config.instances.first { $0.name == name }
                return RouteObservation(
                    tableId: r.tableId, destination: r.destination, instanceId: nil,
                    networkInterfaceId: i?.eniId ?? name, blackhole: blackhole.contains(name))
            }
            let event = MonitorEvent.routesRead(read: read, .success(observed))
            if stallReads {
                stalledReads.append(event)
                return []
            }
            return [event]
        case .readInstances:
            guard ec2Reachable else { return [.instancesRead(.failure(unreachable))] }
            return [
                .instancesRead(
                    .success(
                        config.instances.map {
                            InstanceObservation(
                                instanceId: $0.instanceId, state: ec2State[$0.name]!,
                                impaired: impaired.contains($0.name))
                        }))
            ]
        case .writeRoute(let r, let target):
            let route = config.routes[r]
            guard ec2Reachable else { return [.routeWritten(route: r, .failure(unreachable))] }
            if let left = failingWrites[route.tableId], left > 0 {
                failingWrites[route.tableId] = left - 1
                return [.routeWritten(route: r, .failure(APIFailure(.retryable, "RequestLimitExceeded")))]
            }
            let key = Self.key(route.tableId, route.destination)
            let name = config.instances[target].name
            writes.append((route.tableId, route.destination, name, now))
            table[key] = name
            if readLag == .zero { shown[key] = name } else { pendingShow.append((now + readLag, key, name)) }
            return [.routeWritten(route: r, .success(.init()))]
        case .restart(let i, let step):
            let name = config.instances[i].name
            guard ec2Reachable else { return [.restartFinished(instance: i, step: step, .failure(unreachable))] }
            restarts.append((name, step, now))
            switch step {
            case .reboot: break
            case .stop:
                if stopWorks {
                    ec2State[name] = "stopped"
                    impaired.remove(name)
                }
            case .forceStop:
                ec2State[name] = "stopped"
                impaired.remove(name)
            case .start: ec2State[name] = "running"
            }
            let done = MonitorEvent.restartFinished(instance: i, step: step, .success(.init()))
            if holdRestarts {
                heldRestarts.append(done)
                return []
            }
            return [done]
        }
    }

    /// Whether StopInstances without Force takes effect (for the Force rung).
    var stopWorks = true
    /// Restart calls that have not answered yet (when `holdRestarts` is set).
    var holdRestarts = false
    var heldRestarts: [MonitorEvent] = []

    /// While set, route reads get no answer until `releaseReads()`, which gives what EC2 showed when they were made.
    var stallReads = false
    var stalledReads: [MonitorEvent] = []

    mutating func releaseReads() {
        let held = stalledReads
        stalledReads = []
        for event in held { feed(event) }
    }

    /// Answers the held restart calls now.
    mutating func releaseRestarts() {
        let held = heldRestarts
        heldRestarts = []
        for event in held { feed(event) }
    }

    func reports(_ kind: MonitorReport.Kind) -> [MonitorReport] { reports.filter { $0.kind == kind } }
    var writeList: [String] { writes.map { "\($0.table) \($0.destination) → \($0.target)" } }
    var restartList: [String] { restarts.map { "\($0.instance) \($0.step.rawValue)" } }
    func target(_ table: String, _ destination: String) -> String? { self.table[Self.key(table, destination)] }
}

/// The four-instance layout with short ids, used by most scenarios.
let seedConfig = """
    instance vpn1a i-1a eni-1a http://10.0.0.5:9180/health
    instance vpn1b i-1b eni-1b http://10.0.2.5:9180/health
    instance vpn2a i-2a eni-2a http://172.16.0.5:9180/health
    instance vpn2b i-2b eni-2b http://172.16.2.5:9180/health
    tunnel A vpn1a vpn2a
    tunnel B vpn1b vpn2b
    pair A B
    route rtb-1a 172.16.0.0/16 vpn1a vpn1b
    route rtb-1b 172.16.0.0/16 vpn1b vpn1a
    route rtb-2a 10.0.0.0/16 vpn2a vpn2b
    route rtb-2b 10.0.0.0/16 vpn2b vpn2a

    """

let movedA = ["rtb-1a 172.16.0.0/16 → vpn1b", "rtb-2a 10.0.0.0/16 → vpn2b"]
let backA = ["rtb-1a 172.16.0.0/16 → vpn1a", "rtb-2a 10.0.0.0/16 → vpn2a"]
/// B's routes on A's instances.
let movedB = ["rtb-1b 172.16.0.0/16 → vpn1a", "rtb-2b 10.0.0.0/16 → vpn2a"]

/// A hub VPC (hub-a, hub-b) with tunnel pairs to two spokes; hub-a and hub-b carry two tunnels each.
let hubConfig = """
    instance hub-a i-ha eni-ha
    instance hub-b i-hb eni-hb
    instance s2a i-2a eni-2a http://172.16.0.5:9180/health
    instance s2b i-2b eni-2b http://172.16.2.5:9180/health
    instance s3a i-3a eni-3a http://10.3.0.5:9180/health
    instance s3b i-3b eni-3b http://10.3.2.5:9180/health
    tunnel A2 hub-a s2a http://10.0.0.5:9180/health http://172.16.0.5:9180/health
    tunnel B2 hub-b s2b http://10.0.2.5:9180/health http://172.16.2.5:9180/health
    tunnel A3 hub-a s3a http://10.0.0.5:9181/health http://10.3.0.5:9180/health
    tunnel B3 hub-b s3b http://10.0.2.5:9181/health http://10.3.2.5:9180/health
    pair A2 B2
    pair A3 B3
    route rtb-ha 172.16.0.0/16 hub-a hub-b A2
    route rtb-ha 10.3.0.0/16 hub-a hub-b A3
    route rtb-2a 10.0.0.0/16 s2a s2b
    route rtb-3a 10.0.0.0/16 s3a s3b

    """
