/// What DescribeInstances says about one instance, as far as the monitor's audit needs: where it
/// is, whether it forwards (source/dest check off) and which ENIs it has (a route to an ENI that is
/// no longer attached to the instance is a black hole even when the IP is the same).
public struct EC2Instance: Sendable, Hashable {
    public var instanceId: String
    /// pending | running | stopping | stopped | shutting-down | terminated
    public var state: String
    public var privateIp: String?
    public var availabilityZone: String?
    public var vpcId: String?
    public var subnetId: String?
    /// The instance's source/destination check; nil when not reported.
    public var sourceDestCheck: Bool?
    /// Attached network interfaces, by device index (the primary, index 0, first).
    public var networkInterfaceIds: [String]
    /// The `Name` tag, if any.
    public var name: String?

    public init(
        instanceId: String, state: String, privateIp: String? = nil, availabilityZone: String? = nil,
        vpcId: String? = nil, subnetId: String? = nil, sourceDestCheck: Bool? = nil,
        networkInterfaceIds: [String] = [], name: String? = nil
    ) {
        self.instanceId = instanceId
        self.state = state
        self.privateIp = privateIp
        self.availabilityZone = availabilityZone
        self.vpcId = vpcId
        self.subnetId = subnetId
        self.sourceDestCheck = sourceDestCheck
        self.networkInterfaceIds = networkInterfaceIds
        self.name = name
    }

    public var primaryNetworkInterfaceId: String? { networkInterfaceIds.first }
}
