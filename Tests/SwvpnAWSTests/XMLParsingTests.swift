import Foundation
import SwvpnAWS
import Testing

@testable import SwvpnAWSClient

enum Fixture {
    static func data(_ shape: String, _ name: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(shape)/\(name)", withExtension: "xml") else {
            throw VectorError("fixture \(shape)/\(name).xml missing from the test bundle")
        }
        return try Data(contentsOf: url)
    }

    static func decode(_ shape: String, _ name: String, action: String, status: Int = 200) throws -> XMLTree {
        try EC2Response.decode(action: action, status: status, body: data(shape, name))
    }

    static func error(_ shape: String, _ name: String, action: String, status: Int) throws -> AWSError? {
        let body = try data(shape, name)
        do throws(AWSError) {
            _ = try EC2Response.decode(action: action, status: status, body: body)
            return nil
        } catch { return error }
    }
}

struct XMLParsingTests {
    @Test func awsRouteTablesBothTargetFieldsAndBlackhole() throws {
        let tables = try EC2Response.routeTables(
            Fixture.decode("aws", "DescribeRouteTables", action: "DescribeRouteTables"))
        #expect(tables.map(\.id) == ["rtb-0a1a1a1a1a1a1a1a1", "rtb-0b2b2b2b2b2b2b2b2"])
        #expect(tables[0].vpcId == "vpc-011111111111111aa")
        // IPv6 route skipped; association items are not routes.
        #expect(tables[0].routes.map(\.destinationCidr) == ["10.1.0.0/16", "10.2.0.0/16"])
        let r = try #require(tables[0].route(to: "10.2.0.0/16"))
        #expect(
            r
                == EC2Route(
                    destinationCidr: "10.2.0.0/16", instanceId: "i-0aaaaaaaaaaaaaaa1",
                    networkInterfaceId: "eni-0aaaaaaaaaaaaaaa1", state: "active"))
        #expect(r.targets(.instance("i-0aaaaaaaaaaaaaaa1")) && r.targets(.networkInterface("eni-0aaaaaaaaaaaaaaa1")))
        let dead = try #require(tables[1].route(to: "10.1.0.0/16"))
        #expect(dead.isBlackhole)
        #expect(tables[1].route(to: "10.2.0.0/16")?.instanceId == nil)
    }

    @Test func motoRouteTablesOneTargetField() throws {
        let before = try EC2Response.routeTables(
            Fixture.decode("moto", "DescribeRouteTables", action: "DescribeRouteTables"))
        #expect(before.count == 1)
        let r = try #require(before[0].route(to: "10.2.0.0/16"))
        #expect(r.networkInterfaceId == "eni-998a5160cc3c46029" && r.instanceId == nil && r.state == "active")
        let after = try EC2Response.routeTables(
            Fixture.decode("moto", "DescribeRouteTables-after", action: "DescribeRouteTables"))
        #expect(after[0].route(to: "10.2.0.0/16")?.instanceId == "i-78ec73b0048fa2334")
        #expect(after[0].route(to: "10.2.0.0/16")?.networkInterfaceId == nil)
        #expect(after[0].route(to: "10.9.0.0/16")?.networkInterfaceId == "eni-998a5160cc3c46029")
    }

    @Test func instanceStatus() throws {
        let aws = try EC2Response.instanceStatuses(
            Fixture.decode("aws", "DescribeInstanceStatus", action: "DescribeInstanceStatus"))
        #expect(
            aws == [
                EC2InstanceStatus(
                    instanceId: "i-0aaaaaaaaaaaaaaa1", state: "running", instanceStatus: "impaired", systemStatus: "ok"),
                EC2InstanceStatus(
                    instanceId: "i-0bbbbbbbbbbbbbbb2", state: "stopped", instanceStatus: "not-applicable",
                    systemStatus: "not-applicable"),
                EC2InstanceStatus(instanceId: "i-0ccccccccccccccc3", state: "pending"),
            ])
        #expect(aws[0].isImpaired && aws[0].isRunning && !aws[1].isRunning)
        let moto = try EC2Response.instanceStatuses(
            Fixture.decode("moto", "DescribeInstanceStatus", action: "DescribeInstanceStatus"))
        #expect(moto.map(\.state) == ["stopped", "running"])
        #expect(moto[1].instanceStatus == "ok" && moto[1].systemStatus == "ok")
    }

    @Test func sourceDestCheck() throws {
        #expect(
            try EC2Response.sourceDestCheck(
                Fixture.decode("aws", "DescribeInstanceAttribute", action: "DescribeInstanceAttribute")) == true)
        #expect(
            try EC2Response.sourceDestCheck(
                Fixture.decode("moto", "DescribeInstanceAttribute", action: "DescribeInstanceAttribute")) == false)
    }

    @Test(arguments: [
        ("aws", "ReplaceRoute", "ReplaceRoute"), ("moto", "ReplaceRoute", "ReplaceRoute"),
        ("moto", "CreateRoute", "CreateRoute"), ("aws", "RebootInstances", "RebootInstances"),
        ("moto", "RebootInstances", "RebootInstances"), ("aws", "StopInstances", "StopInstances"),
        ("moto", "StopInstances", "StopInstances"), ("moto", "StartInstances", "StartInstances"),
    ])
    func acknowledgements(shape: String, file: String, action: String) throws {
        #expect(try Fixture.decode(shape, file, action: action).name == "\(action)Response")
    }

    @Test func returnFalseAndWrongRootAreErrors() throws {
        let no = try #require(try Fixture.error("aws", "ReplaceRoute-false", action: "ReplaceRoute", status: 200))
        #expect(no.kind == .malformedResponse)
        let wrong = try #require(try Fixture.error("aws", "ReplaceRoute", action: "CreateRoute", status: 200))
        #expect(wrong.kind == .malformedResponse && wrong.message.contains("<ReplaceRouteResponse>"))
    }

    @Test func errorsPlainNamespacedAndPrefixed() throws {
        let throttled = try #require(try Fixture.error("aws", "Error-Throttled", action: "ReplaceRoute", status: 503))
        #expect(
            throttled
                == AWSError(
                    kind: .throttled, code: "RequestLimitExceeded", message: "Request limit exceeded.",
                    httpStatus: 503, action: "ReplaceRoute"))
        let missing = try #require(
            try Fixture.error("moto", "ReplaceRoute-missing", action: "ReplaceRoute", status: 400))
        #expect(missing.kind == .client && missing.code == "InvalidParameterValue")
        #expect(missing.message.hasSuffix("Use CreateRoute instead."))
        let notFound = try #require(
            try Fixture.error("moto", "Error-NotFound", action: "DescribeRouteTables", status: 400))
        #expect(notFound.code == "InvalidRouteTableID.NotFound" && !notFound.isRetryable)
        let denied = try #require(try Fixture.error("aws", "Error-Prefixed", action: "RebootInstances", status: 403))
        #expect(denied.code == "UnauthorizedOperation" && denied.kind == .client)
        #expect(denied.message.hasSuffix("AbC<d>"))
        let expired = try #require(try Fixture.error("aws", "Error-RequestExpired", action: "X", status: 400))
        #expect(expired.mayBeClockSkew)
    }

    @Test func bodiesWithoutXML() {
        #expect(
            throws: AWSError(
                kind: .server, code: "ServiceUnavailable", message: "HTTP 503 without an EC2 error body",
                httpStatus: 503, action: "X")
        ) {
            try EC2Response.decode(action: "X", status: 503, body: Data("<html>busy</html>".utf8))
        }
        #expect(
            throws: AWSError(
                kind: .malformedResponse, code: "MalformedResponse",
                message: "the body is not well-formed XML", httpStatus: 200, action: "X")
        ) {
            try EC2Response.decode(action: "X", status: 200, body: Data("<oops".utf8))
        }
    }
}

struct DescribeInstancesParsingTests {
    @Test func awsShape() throws {
        let all = try EC2Response.instances(Fixture.decode("aws", "DescribeInstances", action: "DescribeInstances"))
        #expect(
            all == [
                EC2Instance(
                    instanceId: "i-0aaaaaaaaaaaaaaa1", state: "running", privateIp: "10.1.0.10",
                    availabilityZone: "eu-central-1a", vpcId: "vpc-011111111111111aa", subnetId: "subnet-0a",
                    sourceDestCheck: false, networkInterfaceIds: ["eni-0aaaaaaaaaaaaaaa1", "eni-0second000000002"],
                    name: "vpn1a"),
                EC2Instance(instanceId: "i-0bbbbbbbbbbbbbbb2", state: "stopped"),
            ])
        #expect(all[0].primaryNetworkInterfaceId == "eni-0aaaaaaaaaaaaaaa1")
    }

    @Test func motoShape() throws {
        let all = try EC2Response.instances(Fixture.decode("moto", "DescribeInstances", action: "DescribeInstances"))
        #expect(all.count == 1)
        let i = try #require(all.first)
        #expect(i.state == "running" && i.privateIp == "10.1.0.10" && i.availabilityZone == "us-east-1a")
        // The instance-level field (moto leaves the ENI's at true after ModifyInstanceAttribute).
        #expect(i.sourceDestCheck == false && i.name == "vpn1a")
        #expect(i.networkInterfaceIds == ["eni-65131eb904b148909"])
    }
}
