/// The EC2 actions the monitor makes, as botocore's EC2 serializer names their parameters (lists are
/// 1-based `Name.N`, booleans `true`/`false`).
extension AWSQuery {
    public static let ec2Version = "2016-11-15"

    init(ec2 action: String, _ parameters: [(name: String, value: String)]) {
        self.init(action: action, version: Self.ec2Version, parameters: parameters)
    }

    static func list(_ name: String, _ values: [String]) -> [(name: String, value: String)] {
        values.enumerated().map { ("\(name).\($0.offset + 1)", $0.element) }
    }

    public static func describeRouteTables(ids: [String]) -> AWSQuery {
        AWSQuery(ec2: "DescribeRouteTables", list("RouteTableId", ids))
    }

    public static func replaceRoute(tableId: String, destinationCidr: String, target: RouteTarget) -> AWSQuery {
        AWSQuery(ec2: "ReplaceRoute", routeParameters(tableId, destinationCidr, target))
    }

    public static func createRoute(tableId: String, destinationCidr: String, target: RouteTarget) -> AWSQuery {
        AWSQuery(ec2: "CreateRoute", routeParameters(tableId, destinationCidr, target))
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

    public static func describeInstances(ids: [String]) -> AWSQuery {
        AWSQuery(ec2: "DescribeInstances", list("InstanceId", ids))
    }

    public static func describeInstanceStatus(ids: [String]) -> AWSQuery {
        AWSQuery(ec2: "DescribeInstanceStatus", list("InstanceId", ids) + [("IncludeAllInstances", "true")])
    }

    public static func rebootInstances(ids: [String]) -> AWSQuery {
        AWSQuery(ec2: "RebootInstances", list("InstanceId", ids))
    }

    public static func stopInstances(ids: [String], force: Bool) -> AWSQuery {
        AWSQuery(ec2: "StopInstances", list("InstanceId", ids) + (force ? [("Force", "true")] : []))
    }

    public static func startInstances(ids: [String]) -> AWSQuery {
        AWSQuery(ec2: "StartInstances", list("InstanceId", ids))
    }

    public static func describeInstanceAttribute(instanceId: String, attribute: String) -> AWSQuery {
        AWSQuery(ec2: "DescribeInstanceAttribute", [("InstanceId", instanceId), ("Attribute", attribute)])
    }

    /// ModifyInstanceAttribute of the source/destination check (botocore: `SourceDestCheck={"Value": ...}`).
    public static func modifySourceDestCheck(instanceId: String, enabled: Bool) -> AWSQuery {
        AWSQuery(
            ec2: "ModifyInstanceAttribute",
            [("InstanceId", instanceId), ("SourceDestCheck.Value", enabled ? "true" : "false")])
    }

    /// The same request with `DryRun=true`: EC2 checks the caller's permission for it and answers
    /// `DryRunOperation` (allowed) or `UnauthorizedOperation`, changing nothing.
    public var dryRun: AWSQuery {
        AWSQuery(action: action, version: version, parameters: parameters + [("DryRun", "true")])
    }
}
