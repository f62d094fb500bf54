/// One route of a route table, as DescribeRouteTables reports it.
///
/// AWS fills both `instanceId` and `networkInterfaceId` for an instance target; moto fills only the
/// field that was written. Use `targets(_:)` to compare against a configured target.
public struct EC2Route: Sendable, Hashable {
    public var destinationCidr: String
    public var instanceId: String?
    public var networkInterfaceId: String?
    /// "active", or "blackhole" when the target is gone or stopped.
    public var state: String

    public init(destinationCidr: String, instanceId: String? = nil, networkInterfaceId: String? = nil, state: String) {
        self.destinationCidr = destinationCidr
        self.instanceId = instanceId
        self.networkInterfaceId = networkInterfaceId
        self.state = state
    }

    public var isBlackhole: Bool { state == "blackhole" }

    /// True when this route points at `target` through either of its target fields.
    public func targets(_ target: RouteTarget) -> Bool {
        switch target {
        case .instance(let id): instanceId == id
        case .networkInterface(let id): networkInterfaceId == id
        }
    }
}
