/// A route table and its routes (DescribeRouteTables).
public struct EC2RouteTable: Sendable, Hashable {
    public var id: String
    public var vpcId: String?
    public var routes: [EC2Route]

    public init(id: String, vpcId: String? = nil, routes: [EC2Route]) {
        self.id = id
        self.vpcId = vpcId
        self.routes = routes
    }

    /// The route for exactly `destinationCidr`, if the table has one.
    public func route(to destinationCidr: String) -> EC2Route? {
        routes.first { $0.destinationCidr == destinationCidr }
    }
}
