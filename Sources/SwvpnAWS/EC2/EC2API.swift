/// The EC2 calls the HA monitor makes. `EC2Client` implements it over the EC2 Query API; tests and
/// the decision loop's harness implement it with fakes.
public protocol EC2API: Sendable {
    /// The given route tables (all of them, in any order); an unknown id is a `.client` error.
    func describeRouteTables(ids: [String]) async throws(AWSError) -> [EC2RouteTable]
    /// Points `destinationCidr` of `tableId` at `target`: ReplaceRoute, or CreateRoute when the table
    /// has no such route yet. Idempotent.
    func replaceRoute(tableId: String, destinationCidr: String, target: RouteTarget) async throws(AWSError)
    /// State and status checks of the given instances, stopped ones included (IncludeAllInstances).
    func describeInstanceStatus(ids: [String]) async throws(AWSError) -> [EC2InstanceStatus]
    func rebootInstances(ids: [String]) async throws(AWSError)
    func stopInstances(ids: [String], force: Bool) async throws(AWSError)
    func startInstances(ids: [String]) async throws(AWSError)
    /// Whether the instance's source/destination check is on (it must be off on a VPN instance).
    func sourceDestCheck(instanceId: String) async throws(AWSError) -> Bool
    /// Turns the instance's source/destination check on or off (ModifyInstanceAttribute).
    func setSourceDestCheck(instanceId: String, enabled: Bool) async throws(AWSError)
    /// Sends `write` with `DryRun=true`: whether the caller may make it, changing nothing.
    func dryRun(_ write: EC2Write) async -> DryRunOutcome
}
