/// One EC2 Query API request: the action and its parameters, as botocore's EC2 serializer names
/// them (lists are 1-based `Name.N`, booleans `true`/`false`).
public struct EC2Query: Sendable {
    public static let version = "2016-11-15"

    public let action: String
    public let parameters: [(name: String, value: String)]

    public init(action: String, parameters: [(name: String, value: String)]) {
        self.action = action
        self.parameters = parameters
    }

    /// Action, Version, then the parameters.
    public var allParameters: [(name: String, value: String)] {
        [("Action", action), ("Version", Self.version)] + parameters
    }

    /// The form-encoded request body.
    public var body: [UInt8] { Array(QueryForm.encode(allParameters).utf8) }

    /// Whether the action changes something (for logs and the request-recorder assertions).
    public var isWrite: Bool { !action.hasPrefix("Describe") }

    static func list(_ name: String, _ values: [String]) -> [(name: String, value: String)] {
        values.enumerated().map { ("\(name).\($0.offset + 1)", $0.element) }
    }

    public static func describeRouteTables(ids: [String]) -> EC2Query {
        EC2Query(action: "DescribeRouteTables", parameters: list("RouteTableId", ids))
    }

    public static func replaceRoute(tableId: String, destinationCidr: String, target: RouteTarget) -> EC2Query {
        EC2Query(action: "ReplaceRoute", parameters: routeParameters(tableId, destinationCidr, target))
    }

    public static func createRoute(tableId: String, destinationCidr: String, target: RouteTarget) -> EC2Query {
        EC2Query(action: "CreateRoute", parameters: routeParameters(tableId, destinationCidr, target))
    }

    private static func routeParameters(_ tableId: String, _ cidr: String, _ target: RouteTarget)
        -> [(name: String, value: String)]
    {
        let targetParameter: (name: String, value: String) =
            switch target {
            case .instance(let id): ("InstanceId", id)
            case .networkInterface(let id): ("NetworkInterfaceId", id)
            }
        return [("RouteTableId", tableId), ("DestinationCidrBlock", cidr), targetParameter]
    }

    public static func describeInstances(ids: [String]) -> EC2Query {
        EC2Query(action: "DescribeInstances", parameters: list("InstanceId", ids))
    }

    public static func describeInstanceStatus(ids: [String]) -> EC2Query {
        EC2Query(action: "DescribeInstanceStatus", parameters: list("InstanceId", ids) + [("IncludeAllInstances", "true")])
    }

    public static func rebootInstances(ids: [String]) -> EC2Query {
        EC2Query(action: "RebootInstances", parameters: list("InstanceId", ids))
    }

    public static func stopInstances(ids: [String], force: Bool) -> EC2Query {
        EC2Query(action: "StopInstances", parameters: list("InstanceId", ids) + (force ? [("Force", "true")] : []))
    }

    public static func startInstances(ids: [String]) -> EC2Query {
        EC2Query(action: "StartInstances", parameters: list("InstanceId", ids))
    }

    public static func describeInstanceAttribute(instanceId: String, attribute: String) -> EC2Query {
        EC2Query(action: "DescribeInstanceAttribute", parameters: [("InstanceId", instanceId), ("Attribute", attribute)])
    }
}
