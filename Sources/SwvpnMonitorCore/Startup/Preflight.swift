/// The monitor's start-up checks, decided without I/O: which calls to try (reads for real, writes with
/// `DryRun=true`), and what the answers mean. A missing permission stops the monitor at start, naming the
/// action, instead of surfacing in the middle of a failover.
public enum Preflight {
    /// One call to try at start.
    public enum Probe: Sendable, Hashable {
        /// DescribeRouteTables of the configured tables, for real; its routes give the write probes their targets.
        case readRoutes
        /// DescribeInstanceStatus of the configured instances, for real.
        case readInstances
        /// ReplaceRoute or CreateRoute (DryRun) of `routes[route]` to the target it has now: an endpoint that
        /// ignores DryRun then changes nothing (it rewrites the route as it is, or refuses a create of it).
        case writeRoute(route: Int, create: Bool, current: RouteObservation)
        /// Reboot/Stop/StartInstances (DryRun) of `instances[instance]`.
        case restart(instance: Int, step: RestartStep)
        /// ModifyInstanceAttribute SourceDestCheck=false (DryRun), with `fix-source-dest-check yes`.
        case fixSourceDestCheck(instance: Int)

        /// The IAM action and the resource it acts on, for messages.
        public func permission(in config: MonitorConfig) -> (action: String, resource: String) {
            switch self {
            case .readRoutes: ("ec2:DescribeRouteTables", "*")
            case .readInstances: ("ec2:DescribeInstanceStatus", "*")
            case .writeRoute(let r, let create, _):
                (create ? "ec2:CreateRoute" : "ec2:ReplaceRoute", config.routes[r].tableId)
            case .restart(let i, let step):
                (step.iamAction, config.instances[i].instanceId)
            case .fixSourceDestCheck(let i): ("ec2:ModifyInstanceAttribute", config.instances[i].instanceId)
            }
        }
    }

    public enum Answer: Sendable, Hashable {
        /// The read succeeded, or the dry run answered DryRunOperation.
        case allowed
        /// UnauthorizedOperation, with EC2's message.
        case denied(String)
        /// No verdict either way (unreachable, throttled, an endpoint that ignores DryRun...): why.
        case notConfirmed(String)
    }

    public struct Verdict: Sendable, Hashable {
        /// Set when a permission is missing: the monitor must not start. Names every action and resource.
        public var fatal: String?
        /// Journal lines: what was checked, what could not be.
        public var reports: [MonitorReport]
    }

    public static let reads: [Probe] = [.readRoutes, .readInstances]

    /// The dry runs to make once the route read answered (`observed` nil: it failed). One route probe pair per
    /// table (the IAM resource is the table), restarts only with `restart yes` and never on the monitor's own
    /// instance, the source/destination fix only when it is enabled.
    public static func writes(_ config: MonitorConfig, routes observed: [RouteObservation]?, selfInstanceId: String?)
        -> [Probe]
    {
        var probes: [Probe] = []
        var tables: Set<String> = []
        for (r, route) in config.routes.enumerated() where !tables.contains(route.tableId) {
            guard
                let current = observed?.first(where: {
                    $0.tableId == route.tableId && $0.destination == route.destination
                        && ($0.instanceId != nil || $0.networkInterfaceId != nil)
                })
            else { continue }
            tables.insert(route.tableId)
            probes += [
                .writeRoute(route: r, create: false, current: current),
                .writeRoute(route: r, create: true, current: current),
            ]
        }
        for (i, instance) in config.instances.enumerated() where instance.instanceId != selfInstanceId {
            if config.restart.enabled {
                probes += [RestartStep.reboot, .stop, .start].map { .restart(instance: i, step: $0) }
            }
            if config.fixSourceDestCheck { probes.append(.fixSourceDestCheck(instance: i)) }
        }
        return probes
    }

    /// What the answers mean: any denial is fatal; tables that got no route probe are named as unchecked.
    public static func verdict(_ config: MonitorConfig, _ answers: [(probe: Probe, answer: Answer)]) -> Verdict {
        var denied: [(action: String, resource: String)] = []
        var unconfirmed: [String] = []
        var allowed = 0
        for (probe, answer) in answers {
            let p = probe.permission(in: config)
            switch answer {
            case .allowed: allowed += 1
            case .denied: denied.append(p)
            case .notConfirmed(let why): unconfirmed.append("\(p.action) on \(p.resource) (\(why))")
            }
        }
        // Tables with no route probe: no route of ours pointed at an instance when the monitor started.
        var covered: Set<String> = []
        for (probe, _) in answers {
            if case .writeRoute(let r, _, _) = probe { covered.insert(config.routes[r].tableId) }
        }
        for route in config.routes where covered.insert(route.tableId).inserted {
            unconfirmed.append(
                "ec2:ReplaceRoute/CreateRoute on \(route.tableId) (no route of ours to an instance there yet)")
        }
        var reports = [
            MonitorReport(
                .preflight, "monitor",
                "permission check: \(allowed) of \(answers.count) calls allowed (reads, DryRun writes)")
        ]
        if !unconfirmed.isEmpty {
            reports.append(
                MonitorReport(.preflight, "monitor", "not confirmed: " + unconfirmed.joined(separator: "; ")))
        }
        guard !denied.isEmpty else { return Verdict(fatal: nil, reports: reports) }
        var byAction: [(action: String, resources: [String])] = []
        for d in denied {
            if let k = byAction.firstIndex(where: { $0.action == d.action }) {
                byAction[k].resources.append(d.resource)
            } else {
                byAction.append((d.action, [d.resource]))
            }
        }
        let list = byAction.map { "\($0.action) on \($0.resources.joined(separator: ", "))" }.joined(separator: "; ")
        var fixes = ["allow them in the monitor's IAM role (README \"High availability\")"]
        if denied.contains(where: { $0.action.hasSuffix("Instances") }) { fixes.append("set `restart no`") }
        if denied.contains(where: { $0.action == "ec2:ModifyInstanceAttribute" }) {
            fixes.append("set `fix-source-dest-check no`")
        }
        let fatal =
            "EC2 refuses calls the monitor needs (UnauthorizedOperation): \(list): " + fixes.joined(separator: ", or ")
        return Verdict(fatal: fatal, reports: reports)
    }
}

extension RestartStep {
    /// The IAM action of the rung (a forced stop is StopInstances too).
    public var iamAction: String {
        switch self {
        case .reboot: "ec2:RebootInstances"
        case .stop, .forceStop: "ec2:StopInstances"
        case .start: "ec2:StartInstances"
        }
    }
}
