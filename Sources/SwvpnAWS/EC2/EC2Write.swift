/// A write the HA monitor may make, as a value: for the start-up permission check, which sends each one
/// with `DryRun=true` before the monitor relies on it.
public enum EC2Write: Sendable, Hashable {
    case replaceRoute(tableId: String, destinationCidr: String, target: RouteTarget)
    case createRoute(tableId: String, destinationCidr: String, target: RouteTarget)
    case rebootInstances(ids: [String])
    case stopInstances(ids: [String], force: Bool)
    case startInstances(ids: [String])
    case setSourceDestCheck(instanceId: String, enabled: Bool)

    public var query: AWSQuery {
        switch self {
        case .replaceRoute(let table, let cidr, let target):
            .replaceRoute(tableId: table, destinationCidr: cidr, target: target)
        case .createRoute(let table, let cidr, let target):
            .createRoute(tableId: table, destinationCidr: cidr, target: target)
        case .rebootInstances(let ids): .rebootInstances(ids: ids)
        case .stopInstances(let ids, let force): .stopInstances(ids: ids, force: force)
        case .startInstances(let ids): .startInstances(ids: ids)
        case .setSourceDestCheck(let id, let enabled): .modifySourceDestCheck(instanceId: id, enabled: enabled)
        }
    }

    /// The IAM action that allows it (`ec2:ReplaceRoute`), for messages and the README's policy.
    public var iamAction: String { "ec2:" + query.action }
}
