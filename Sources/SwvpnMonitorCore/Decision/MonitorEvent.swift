/// What the monitor's I/O feeds the decision core: results of the checks and calls it asked for.
public enum MonitorEvent: Sendable, Hashable {
    /// Only the clock moved.
    case tick
    /// One round of swvpnd /health GETs, one result per tunnel end.
    case healthRound([HealthObservation])
    /// DescribeRouteTables of the configured tables (`read`: the number of its `readRoutes`): every configured
    /// (table, destination) found, or the failure.
    case routesRead(read: Int, Result<[RouteObservation], APIFailure>)
    /// DescribeInstanceStatus (all states) of the configured instances.
    case instancesRead(Result<[InstanceObservation], APIFailure>)
    /// ReplaceRoute (or CreateRoute) of `routes[route]` finished.
    case routeWritten(route: Int, Result<Empty, APIFailure>)
    /// A restart step on `instances[instance]` finished.
    case restartFinished(instance: Int, step: RestartStep, Result<Empty, APIFailure>)

    /// `Result` needs a Hashable success type.
    public struct Empty: Sendable, Hashable { public init() {} }
}

/// One end's answer: HTTP 200, another status (swvpnd says the tunnel is not up), or no answer at all.
public enum HealthResult: Sendable, Hashable {
    case ok
    case notOK(status: Int)
    case unreachable
}

public struct HealthObservation: Sendable, Hashable {
    public var tunnel: Int
    public var end: Int
    public var result: HealthResult
    /// What the answer said (state/reason from swvpnd's JSON, or the transport error), for the logs.
    public var evidence: String
    /// swvpnd's in-tunnel probe: `probe.loss_percent` and `probe.last_reply_seconds` (nil: not reported).
    /// A 200 with loss or a stale reply is a standby the core does not fail over onto yet.
    public var probeLossPercent: Int?
    public var probeLastReplySeconds: Int?

    public init(
        tunnel: Int, end: Int, result: HealthResult, evidence: String = "", probeLossPercent: Int? = nil,
        probeLastReplySeconds: Int? = nil
    ) {
        self.tunnel = tunnel
        self.end = end
        self.result = result
        self.evidence = evidence
        self.probeLossPercent = probeLossPercent
        self.probeLastReplySeconds = probeLastReplySeconds
    }
}

/// A route as EC2 shows it. AWS fills both target fields for an instance target, moto only the one written.
public struct RouteObservation: Sendable, Hashable {
    public var tableId: String
    public var destination: String
    public var instanceId: String?
    public var networkInterfaceId: String?
    public var blackhole: Bool

    public init(
        tableId: String, destination: String, instanceId: String?, networkInterfaceId: String?, blackhole: Bool = false
    ) {
        self.tableId = tableId
        self.destination = destination
        self.instanceId = instanceId
        self.networkInterfaceId = networkInterfaceId
        self.blackhole = blackhole
    }

    /// Either field naming the instance or its ENI counts.
    func targets(_ instance: MonitorConfig.Instance) -> Bool {
        instanceId == instance.instanceId || networkInterfaceId == instance.eniId
    }
}

public struct InstanceObservation: Sendable, Hashable {
    public var instanceId: String
    /// pending | running | stopping | stopped | shutting-down | terminated
    public var state: String
    /// instanceStatus or systemStatus is `impaired`.
    public var impaired: Bool

    public init(instanceId: String, state: String, impaired: Bool = false) {
        self.instanceId = instanceId
        self.state = state
        self.impaired = impaired
    }
}

/// An EC2 call that did not succeed, reduced to what the decisions need.
public struct APIFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// No answer (connection, timeout): counts toward the monitor being cut off.
        case unreachable
        /// Throttling or 5xx: EC2 is there, try again later.
        case retryable
        /// EC2 said no (permissions, bad id...).
        case rejected
    }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// The rungs of the restart ladder.
public enum RestartStep: String, Sendable, Hashable, CaseIterable {
    case reboot, stop
    case forceStop = "force-stop"
    case start
}
