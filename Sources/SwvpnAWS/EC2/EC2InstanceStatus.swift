/// An instance's lifecycle state and status checks (DescribeInstanceStatus with IncludeAllInstances).
public struct EC2InstanceStatus: Sendable, Hashable {
    public var instanceId: String
    /// pending | running | stopping | stopped | shutting-down | terminated
    public var state: String
    /// ok | impaired | insufficient-data | not-applicable | initializing; nil when absent.
    public var instanceStatus: String?
    public var systemStatus: String?

    public init(instanceId: String, state: String, instanceStatus: String? = nil, systemStatus: String? = nil) {
        self.instanceId = instanceId
        self.state = state
        self.instanceStatus = instanceStatus
        self.systemStatus = systemStatus
    }

    public var isRunning: Bool { state == "running" }
    /// Either status check reports "impaired".
    public var isImpaired: Bool { instanceStatus == "impaired" || systemStatus == "impaired" }
}
