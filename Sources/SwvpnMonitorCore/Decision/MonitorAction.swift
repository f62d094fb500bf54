/// What the decision core asks the I/O to do. Indexes refer to `MonitorConfig`'s arrays.
public enum MonitorAction: Sendable, Hashable {
    /// GET every tunnel end's /health (within the health timeout) and report one `healthRound`.
    case checkHealth
    /// DescribeRouteTables; `read` numbers it, and its `routesRead` carries the number back.
    case readRoutes(read: Int)
    case readInstances
    /// ReplaceRoute `routes[route]` to `instances[target]`'s ENI (CreateRoute when missing).
    case writeRoute(route: Int, target: Int)
    case restart(instance: Int, step: RestartStep)
    /// One journald line; alerts and route moves also go to the notification hook.
    case report(MonitorReport)
}

public struct MonitorReport: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case adopted
        case tunnelDown = "tunnel-down"
        case tunnelUp = "tunnel-up"
        case failover, failback
        case routesVerified = "routes-verified"
        case routeWrite = "route-write"
        case routeWriteFailed = "route-write-failed"
        case routeDrift = "route-drift"
        case bothDown = "both-down"
        case failoverHeld = "failover-held"
        case failbackHeld = "failback-held"
        case isolated
        case isolationOver = "isolation-over"
        case damped
        case notInstanceFault = "not-instance-fault"
        case restart
        case restartFailed = "restart-failed"
        case restartHeld = "restart-held"
        case restartExhausted = "restart-exhausted"
        case recovered
        case ec2Error = "ec2-error"
        case sourceDestCheck = "source-dest-check"
        case preflight
    }
    public var kind: Kind
    /// Tunnel, instance or route the line is about (config names).
    public var subject: String
    public var message: String
    /// Needs a human: goes to the notification hook.
    public var isAlert: Bool

    public init(_ kind: Kind, _ subject: String, _ message: String, alert: Bool = false) {
        self.kind = kind
        self.subject = subject
        self.message = message
        self.isAlert = alert
    }

    /// Route moves are notified too, not only alerts.
    public var notifies: Bool { isAlert || kind == .failover || kind == .failback || kind == .routesVerified }

    public var description: String { "\(kind.rawValue) \(subject): \(message)" }
}
