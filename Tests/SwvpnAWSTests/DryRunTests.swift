import Foundation
import SwvpnAWS
import Testing

@testable import SwvpnAWSClient

/// The start-up permission check (DryRun) and the source/destination check fix, against AWS- and
/// moto-shaped answers.
struct DryRunTests {
    static let route = EC2Write.replaceRoute(
        tableId: "rtb-1", destinationCidr: "10.2.0.0/16", target: .networkInterface("eni-1"))

    @Test func verdictsOfAWSAndMotoAnswers() async throws {
        let t = ScriptedTransport([
            try .fixture(412, "aws", "Error-DryRunOperation"),
            try .fixture(403, "aws", "Error-UnauthorizedOperation"),
            try .fixture(412, "moto", "Error-DryRunOperation"),
            // moto carries a route write out instead of checking it.
            try .fixture(200, "moto", "ReplaceRoute"),
            .error(400, "RouteAlreadyExists", "The route identified by 10.2.0.0/16 already exists."),
        ])
        let c = EC2ClientTests.client(t)
        #expect(await c.dryRun(Self.route) == .allowed)
        let denied = await c.dryRun(.rebootInstances(ids: ["i-1"]))
        guard case .denied(let message) = denied else {
            Issue.record("not denied: \(denied)")
            return
        }
        #expect(message.hasPrefix("You are not authorized to perform this operation."))
        #expect(await c.dryRun(.stopInstances(ids: ["i-1"], force: false)) == .allowed)
        #expect(await c.dryRun(Self.route) == .performed)
        let create = EC2Write.createRoute(tableId: "rtb-1", destinationCidr: "10.2.0.0/16", target: .instance("i-1"))
        guard case .undecided(let error) = await c.dryRun(create) else {
            Issue.record("a refusal for another reason is no verdict")
            return
        }
        #expect(error.code == "RouteAlreadyExists")
        // One request each, every one flagged: a verdict is never retried, and a dry run never falls back.
        #expect(t.actions == ["ReplaceRoute", "RebootInstances", "StopInstances", "ReplaceRoute", "CreateRoute"])
        #expect(t.requests.allSatisfy { ScriptedTransport.form($0)["DryRun"] == "true" })
        #expect(
            ScriptedTransport.form(t.requests[0]) == [
                "Action": "ReplaceRoute", "Version": "2016-11-15", "RouteTableId": "rtb-1",
                "DestinationCidrBlock": "10.2.0.0/16", "NetworkInterfaceId": "eni-1", "DryRun": "true",
            ])
    }

    @Test func unreachableIsNoVerdict() async {
        let t = ScriptedTransport([], fallback: { _ in .failure(.failed("connection refused")) })
        guard case .undecided(let error) = await EC2ClientTests.client(t).dryRun(.startInstances(ids: ["i-1"])) else {
            Issue.record("unreachable must not read as allowed or denied")
            return
        }
        #expect(error.kind == .transport)
    }

    @Test func everyWriteBuildsTheQueryOfItsAction() {
        let writes: [(EC2Write, AWSQuery)] = [
            (
                Self.route,
                .replaceRoute(tableId: "rtb-1", destinationCidr: "10.2.0.0/16", target: .networkInterface("eni-1"))
            ),
            (
                .createRoute(tableId: "rtb-1", destinationCidr: "10.2.0.0/16", target: .instance("i-1")),
                .createRoute(tableId: "rtb-1", destinationCidr: "10.2.0.0/16", target: .instance("i-1"))
            ),
            (.rebootInstances(ids: ["i-1"]), .rebootInstances(ids: ["i-1"])),
            (.stopInstances(ids: ["i-1"], force: true), .stopInstances(ids: ["i-1"], force: true)),
            (.startInstances(ids: ["i-1"]), .startInstances(ids: ["i-1"])),
            (
                .setSourceDestCheck(instanceId: "i-1", enabled: false),
                .modifySourceDestCheck(instanceId: "i-1", enabled: false)
            ),
        ]
        for (write, query) in writes {
            #expect(
                write.query.allParameters.map { "\($0.name)=\($0.value)" }
                    == query.allParameters.map { "\($0.name)=\($0.value)" })
            #expect(write.iamAction == "ec2:" + query.action)
        }
        #expect(EC2Write.stopInstances(ids: ["i-1"], force: true).iamAction == "ec2:StopInstances")
        #expect(Self.route.query.dryRun.allParameters.last.map { "\($0.name)=\($0.value)" } == "DryRun=true")
        #expect(Self.route.query.dryRun.isWrite)
    }

    @Test func sourceDestCheckTurnedOffOnAWSAndMoto() async throws {
        let t = ScriptedTransport([
            try .fixture(200, "aws", "ModifyInstanceAttribute"), try .fixture(200, "moto", "ModifyInstanceAttribute"),
        ])
        let c = EC2ClientTests.client(t)
        try await c.setSourceDestCheck(instanceId: "i-0d4", enabled: false)
        try await c.setSourceDestCheck(instanceId: "i-0d4", enabled: false)
        #expect(
            t.requests.map(ScriptedTransport.form)
                == Array(
                    repeating: [
                        "Action": "ModifyInstanceAttribute", "Version": "2016-11-15", "InstanceId": "i-0d4",
                        "SourceDestCheck.Value": "false",
                    ], count: 2))
    }
}
