/// Where a VPC route sends its traffic: an instance (AWS resolves it to the instance's primary ENI)
/// or an explicit network interface. The monitor writes ENI targets; reads compare either field.
public enum RouteTarget: Sendable, Hashable {
    case instance(String)
    case networkInterface(String)
}
