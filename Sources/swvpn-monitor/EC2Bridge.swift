import SwvpnAWS
import SwvpnMonitorCore
import Synchronization

/// Turns the decision core's EC2 actions into `EC2API` calls and their results into events, and counts
/// every call by action and result code for the metrics.
final class EC2Bridge: Sendable {
    let ec2: any EC2API
    let config: MonitorConfig
    let tableIds: [String]
    private let counts = Mutex<[MetricsText.EC2CallKey: Int]>([:])

    init(ec2: any EC2API, config: MonitorConfig) {
        self.ec2 = ec2
        self.config = config
        var seen: Set<String> = []
        tableIds = config.routes.map(\.tableId).filter { seen.insert($0).inserted }
    }

    var callCounts: [MetricsText.EC2CallKey: Int] { counts.withLock { $0 } }

    func perform(_ action: MonitorAction) async -> MonitorEvent? {
        switch action {
        case .readRoutes(let read):
            return .routesRead(
                read: read,
                await call("DescribeRouteTables") { [self] () throws(AWSError) in
                    try await observations(ec2.describeRouteTables(ids: tableIds))
                })
        case .readInstances:
            let ids = config.instances.map(\.instanceId)
            return .instancesRead(
                await call("DescribeInstanceStatus") { [ec2] () throws(AWSError) in
                    try await ec2.describeInstanceStatus(ids: ids).map {
                        InstanceObservation(instanceId: $0.instanceId, state: $0.state, impaired: $0.isImpaired)
                    }
                })
        case .writeRoute(let r, let target):
            let route = config.routes[r]
            let eni = config.instances[target].eniId
            return .routeWritten(
                route: r,
                await call("ReplaceRoute") { [ec2] () throws(AWSError) in
                    try await ec2.replaceRoute(
                        tableId: route.tableId, destinationCidr: route.destination, target: .networkInterface(eni))
                    return MonitorEvent.Empty()
                })
        case .restart(let i, let step):
            let id = config.instances[i].instanceId
            let name =
                switch step {
                case .reboot: "RebootInstances"
                case .stop, .forceStop: "StopInstances"
                case .start: "StartInstances"
                }
            return .restartFinished(
                instance: i, step: step,
                await call(name) { [ec2] () throws(AWSError) in
                    switch step {
                    case .reboot: try await ec2.rebootInstances(ids: [id])
                    case .stop: try await ec2.stopInstances(ids: [id], force: false)
                    case .forceStop: try await ec2.stopInstances(ids: [id], force: true)
                    case .start: try await ec2.startInstances(ids: [id])
                    }
                    return MonitorEvent.Empty()
                })
        case .checkHealth, .report:
            return nil
        }
    }

    /// Only the configured (table, destination) entries; a missing one is simply absent.
    func observations(_ tables: [EC2RouteTable]) -> [RouteObservation] {
        var result: [RouteObservation] = []
        for table in tables {
            for route in table.routes
            where config.routes.contains(where: { $0.tableId == table.id && $0.destination == route.destinationCidr }) {
                result.append(
                    RouteObservation(
                        tableId: table.id, destination: route.destinationCidr, instanceId: route.instanceId,
                        networkInterfaceId: route.networkInterfaceId, blackhole: route.isBlackhole))
            }
        }
        return result
    }

    func call<T: Sendable>(_ action: String, _ body: () async throws(AWSError) -> T) async -> Result<T, APIFailure> {
        await attempt(action, body).mapError(Self.failure)
    }

    /// The call, counted by action and result code; the error as the API gave it.
    func attempt<T: Sendable>(_ action: String, _ body: () async throws(AWSError) -> T) async -> Result<T, AWSError> {
        do {
            let value = try await body()
            count(action, "ok")
            return .success(value)
        } catch {
            count(action, error.code)
            return .failure(error)
        }
    }

    func count(_ action: String, _ code: String) {
        counts.withLock { $0[MetricsText.EC2CallKey(action: action, code: code), default: 0] += 1 }
    }

    /// No answer counts toward isolation; throttling and 5xx are worth retrying; the rest is a refusal.
    static func failure(_ error: AWSError) -> APIFailure {
        let kind: APIFailure.Kind =
            switch error.kind {
            case .transport, .timeout: .unreachable
            case .throttled, .server: .retryable
            case .client, .credentials, .malformedResponse: .rejected
            }
        return APIFailure(kind, error.description)
    }
}
