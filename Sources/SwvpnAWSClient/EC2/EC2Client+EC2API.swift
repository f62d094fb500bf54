import SwvpnAWS

extension EC2Client: EC2API {
    public func describeRouteTables(ids: [String]) async throws(AWSError) -> [EC2RouteTable] {
        try EC2Response.routeTables(await perform(.describeRouteTables(ids: ids)))
    }

    /// ReplaceRoute; when the table has no route for the destination yet (InvalidParameterValue
    /// "... Use CreateRoute instead"), CreateRoute with the same parameters.
    public func replaceRoute(tableId: String, destinationCidr: String, target: RouteTarget) async throws(AWSError) {
        do {
            _ = try await perform(.replaceRoute(tableId: tableId, destinationCidr: destinationCidr, target: target))
        } catch  where error.code == "InvalidParameterValue" && error.message.contains("CreateRoute") {
            _ = try await perform(.createRoute(tableId: tableId, destinationCidr: destinationCidr, target: target))
        }
    }

    public func describeInstanceStatus(ids: [String]) async throws(AWSError) -> [EC2InstanceStatus] {
        try EC2Response.instanceStatuses(await perform(.describeInstanceStatus(ids: ids)))
    }

    public func rebootInstances(ids: [String]) async throws(AWSError) {
        _ = try await perform(.rebootInstances(ids: ids))
    }

    public func stopInstances(ids: [String], force: Bool) async throws(AWSError) {
        _ = try await perform(.stopInstances(ids: ids, force: force))
    }

    public func startInstances(ids: [String]) async throws(AWSError) {
        _ = try await perform(.startInstances(ids: ids))
    }

    public func sourceDestCheck(instanceId: String) async throws(AWSError) -> Bool {
        try EC2Response.sourceDestCheck(
            await perform(
                .describeInstanceAttribute(
                    instanceId: instanceId,
                    attribute: "sourceDestCheck")))
    }

    public func setSourceDestCheck(instanceId: String, enabled: Bool) async throws(AWSError) {
        _ = try await perform(.modifySourceDestCheck(instanceId: instanceId, enabled: enabled))
    }

    public func dryRun(_ write: EC2Write) async -> DryRunOutcome {
        do {
            _ = try await perform(write.query.dryRun)
            return DryRunOutcome(.success(()))
        } catch {
            return DryRunOutcome(.failure(error))
        }
    }
}

extension EC2Client {
    /// DescribeInstances for the audit (ENIs, source/dest check, placement). Not part of `EC2API`:
    /// the decision loop needs only DescribeInstanceStatus.
    public func describeInstances(ids: [String]) async throws(AWSError) -> [EC2Instance] {
        try EC2Response.instances(await perform(.describeInstances(ids: ids)))
    }
}
