import Foundation
import SwvpnAWS
import Testing

@testable import SwvpnAWSClient

struct EC2ClientTests {
    static let frozen = UTCTime(epochSeconds: 1_796_049_000)  // 2026-11-30T14:30:00Z
    static let creds = AWSCredentials(
        accessKeyId: "AKIDTESTKEY", secretAccessKey: "s3cr3t/key+", sessionToken: "T0KEN",
        source: "test")

    static func client(
        _ transport: ScriptedTransport, sleeps: SleepRecorder = SleepRecorder(),
        credentials: any CredentialsProvider = StaticCredentialsProvider(creds),
        now: @escaping @Sendable () -> UTCTime = { frozen }
    ) -> EC2Client {
        EC2Client(
            configuration: .init(region: "us-east-1", endpoint: URL(string: "http://127.0.0.1:47999/")!),
            credentials: credentials, transport: transport, now: now, sleep: sleeps.function, random: { 0.5 })
    }

    static let ok = ScriptedTransport.Answer.xml(
        200, "<ReplaceRouteResponse><return>true</return></ReplaceRouteResponse>")

    @Test func signedRequestShape() async throws {
        let t = ScriptedTransport([Self.ok])
        try await Self.client(t).replaceRoute(
            tableId: "rtb-1", destinationCidr: "10.2.0.0/16",
            target: .networkInterface("eni-9"))
        let r = try #require(t.requests.first)
        #expect(r.method == "POST" && r.url.absoluteString == "http://127.0.0.1:47999/")
        #expect(r.header("Content-Type") == QueryForm.contentType)
        #expect(r.header("X-Amz-Date") == "20261130T143000Z")
        #expect(r.header("X-Amz-Security-Token") == "T0KEN")
        let auth = try #require(r.header("Authorization"))
        #expect(
            auth.hasPrefix(
                "AWS4-HMAC-SHA256 Credential=AKIDTESTKEY/20261130/us-east-1/ec2/aws4_request, "
                    + "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="))
        #expect(
            ScriptedTransport.form(r) == [
                "Action": "ReplaceRoute", "Version": "2016-11-15", "RouteTableId": "rtb-1",
                "DestinationCidrBlock": "10.2.0.0/16", "NetworkInterfaceId": "eni-9",
            ])
        // The signature covers the Host with its port, as libcurl sends it.
        let signed = try SigV4Signer(region: "us-east-1").sign(
            method: "POST", host: "127.0.0.1:47999", headers: [("Content-Type", QueryForm.contentType)],
            body: Array(r.body), credentials: Self.creds, at: Self.frozen)
        #expect(auth == signed.authorization)
    }

    @Test func replaceFallsBackToCreate() async throws {
        let t = ScriptedTransport([
            try .fixture(400, "moto", "ReplaceRoute-missing"), try .fixture(200, "moto", "CreateRoute"),
        ])
        try await Self.client(t).replaceRoute(
            tableId: "rtb-1", destinationCidr: "10.9.0.0/16", target: .instance("i-1"))
        #expect(t.actions == ["ReplaceRoute", "CreateRoute"])
        var create = ScriptedTransport.form(t.requests[1])
        create["Action"] = "ReplaceRoute"
        #expect(create == ScriptedTransport.form(t.requests[0]))
    }

    @Test func otherInvalidParameterValueIsNotAFallback() async throws {
        let t = ScriptedTransport([
            .error(400, "InvalidParameterValue", "Value (10.9.0.0/33) for parameter cidr is invalid")
        ])
        await #expect(throws: AWSError.self) {
            try await Self.client(t).replaceRoute(
                tableId: "rtb-1", destinationCidr: "10.9.0.0/33", target: .instance("i"))
        }
        #expect(t.actions == ["ReplaceRoute"])
    }

    @Test func throttlingRetriedWithJitteredBackoff() async throws {
        let sleeps = SleepRecorder()
        let t = ScriptedTransport([.error(503, "RequestLimitExceeded"), .error(503, "RequestLimitExceeded"), Self.ok])
        try await Self.client(t, sleeps: sleeps).replaceRoute(
            tableId: "r", destinationCidr: "c", target: .instance("i"))
        #expect(t.actions.count == 3)
        #expect(sleeps.sleeps == [.milliseconds(150), .milliseconds(300)])
    }

    @Test func givesUpAfterThreeTries() async throws {
        let sleeps = SleepRecorder()
        let t = ScriptedTransport([], fallback: { _ in .error(503, "RequestLimitExceeded") })
        let error = await #expect(throws: AWSError.self) {
            try await Self.client(t, sleeps: sleeps).rebootInstances(ids: ["i-1"])
        }
        #expect(error?.kind == .throttled && error?.action == "RebootInstances")
        #expect(t.actions.count == 3 && sleeps.sleeps.count == 2)
    }

    @Test(arguments: [
        (ScriptedTransport.Answer.xml(503, "<html>down</html>"), true),
        (ScriptedTransport.Answer.error(500, "InternalError"), true),
        (Result<HTTPResponse, HTTPTransportError>.failure(.timeout), true),
        (ScriptedTransport.Answer.error(400, "InvalidRouteTableID.NotFound"), false),
        (ScriptedTransport.Answer.error(403, "UnauthorizedOperation"), false),
        (Result<HTTPResponse, HTTPTransportError>.failure(.failed("connection refused")), false),
    ])
    func retriesOnlyThrottling5xxAndTimeouts(first: Result<HTTPResponse, HTTPTransportError>, retried: Bool)
        async throws
    {
        let t = ScriptedTransport([first, try .fixture(200, "moto", "DescribeRouteTables")])
        let c = Self.client(t)
        if retried {
            let tables = try await c.describeRouteTables(ids: ["rtb-bdb2c3b6dfa0822de"])
            #expect(tables.count == 1 && t.actions.count == 2)
        } else {
            await #expect(throws: AWSError.self) { try await c.describeRouteTables(ids: ["x"]) }
            #expect(t.actions.count == 1)
        }
    }

    @Test func clockSkewCorrectedFromDateHeader() async throws {
        // Our clock is an hour behind the server's.
        let t = ScriptedTransport([
            .error(400, "RequestExpired", "Request has expired.", date: "Mon, 30 Nov 2026 15:30:00 GMT"),
            Self.ok, Self.ok,
        ])
        let c = Self.client(t)
        try await c.replaceRoute(tableId: "r", destinationCidr: "c", target: .instance("i"))
        #expect(t.requests.map { $0.header("X-Amz-Date") } == ["20261130T143000Z", "20261130T153000Z"])
        #expect(await c.clockOffsetSeconds == 3600)
        try await c.replaceRoute(tableId: "r", destinationCidr: "c", target: .instance("i"))
        #expect(t.requests.last?.header("X-Amz-Date") == "20261130T153000Z")
    }

    @Test func skewErrorWithoutRealSkewIsNotRetried() async throws {
        let t = ScriptedTransport([.error(403, "SignatureDoesNotMatch", "bad", date: "Mon, 30 Nov 2026 14:30:05 GMT")])
        await #expect(throws: AWSError.self) {
            try await Self.client(t).replaceRoute(tableId: "r", destinationCidr: "c", target: .instance("i"))
        }
        #expect(t.actions.count == 1)
    }

    @Test func refusedCredentialsAreRefetchedOnce() async throws {
        let provider = CountingProvider()
        let t = ScriptedTransport([.error(401, "AuthFailure"), Self.ok])
        try await Self.client(t, credentials: provider).replaceRoute(
            tableId: "r", destinationCidr: "c", target: .instance("i"))
        #expect(await provider.invalidations == 1)
        #expect(t.requests.map { $0.header("X-Amz-Security-Token") } == ["token-1", "token-2"])

        let t2 = ScriptedTransport([], fallback: { _ in .error(401, "AuthFailure") })
        let e = await #expect(throws: AWSError.self) {
            try await Self.client(t2, credentials: provider).rebootInstances(ids: ["i"])
        }
        #expect(e?.kind == .credentials && t2.actions.count == 2)
    }

    @Test func missingCredentialsAreNotAnUnreachableAPI() async throws {
        let t = ScriptedTransport([Self.ok])
        let c = Self.client(t, credentials: EnvironmentCredentialsProvider(environment: { [:] }))
        let e = await #expect(throws: AWSError.self) { try await c.rebootInstances(ids: ["i-1"]) }
        #expect(e?.kind == .credentials && e?.action == "RebootInstances" && e?.code == "NoEnvironmentCredentials")
        #expect(t.requests.isEmpty)
    }

    @Test func observerSeesEveryCall() async throws {
        let records = Recorded<EC2CallRecord>()
        let t = ScriptedTransport([
            .error(503, "RequestLimitExceeded"), Self.ok, .error(400, "InvalidRouteTableID.NotFound"),
        ])
        let c = EC2Client(
            configuration: .init(region: "us-east-1", endpoint: URL(string: "http://127.0.0.1:1/")!),
            credentials: StaticCredentialsProvider(Self.creds), transport: t, now: { Self.frozen },
            sleep: { _ in }, random: { 0 }, observe: { records.append($0) })
        try await c.replaceRoute(tableId: "r", destinationCidr: "c", target: .instance("i"))
        _ = try? await c.describeRouteTables(ids: ["x"])
        #expect(
            records.values.map { "\($0.action) \($0.outcome) \($0.attempts)" }
                == ["ReplaceRoute OK 2", "DescribeRouteTables InvalidRouteTableID.NotFound 1"])
    }

    @Test func allActionsParse() async throws {
        let t = ScriptedTransport([
            try .fixture(200, "aws", "DescribeInstanceStatus"), try .fixture(200, "aws", "DescribeInstanceAttribute"),
            try .fixture(200, "aws", "RebootInstances"), try .fixture(200, "aws", "StopInstances"),
            try .fixture(200, "moto", "StartInstances"),
        ])
        let c = Self.client(t)
        #expect(try await c.describeInstanceStatus(ids: ["a", "b"]).count == 3)
        #expect(try await c.sourceDestCheck(instanceId: "a") == true)
        try await c.rebootInstances(ids: ["a"])
        try await c.stopInstances(ids: ["a"], force: true)
        try await c.startInstances(ids: ["a"])
        #expect(
            t.actions == [
                "DescribeInstanceStatus", "DescribeInstanceAttribute", "RebootInstances", "StopInstances",
                "StartInstances",
            ])
        #expect(ScriptedTransport.form(t.requests[0])["IncludeAllInstances"] == "true")
        #expect(ScriptedTransport.form(t.requests[3])["Force"] == "true")
    }

    @Test func snsPublish() async throws {
        let t = ScriptedTransport([
            .xml(
                200,
                """
                <PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>\
                <MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult>\
                <ResponseMetadata><RequestId>f187a3c1</RequestId></ResponseMetadata></PublishResponse>
                """),
            .xml(
                404,
                """
                <ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>\
                <Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>x</RequestId></ErrorResponse>
                """),
        ])
        let sns = SNSClient(region: "us-east-1", credentials: StaticCredentialsProvider(Self.creds), transport: t)
        let topic = "arn:aws:sns:us-east-1:123456789012:vpn-alerts"
        #expect(
            try await sns.publish(topicArn: topic, subject: "failover\tA→B", message: "m")
                == "94f20ce6-13c5-43a0-9a9e-ca52d816e90b")
        let sent = try #require(t.requests.first)
        #expect(sent.url.absoluteString == "https://sns.us-east-1.amazonaws.com/")
        #expect(sent.header("Authorization")?.contains("/us-east-1/sns/aws4_request") == true)
        #expect(
            ScriptedTransport.form(sent) == [
                "Action": "Publish", "Version": "2010-03-31", "TopicArn": topic,
                "Subject": "failover?A?B", "Message": "m",
            ])
        let e = await #expect(throws: AWSError.self) {
            try await sns.publish(topicArn: topic, subject: nil, message: "m")
        }
        #expect(e?.code == "NotFound" && e?.kind == .client)
        #expect(SNSClient.region(ofTopic: topic) == "us-east-1" && SNSClient.region(ofTopic: "vpn-alerts") == nil)
        #expect(SNSClient.sanitizeSubject(String(repeating: "x", count: 150)).count == 100)
    }

    @Test func hostHeader() {
        #expect(
            AWSQueryClient.hostHeader(URL(string: "https://ec2.us-east-1.amazonaws.com/")!)
                == "ec2.us-east-1.amazonaws.com")
        #expect(AWSQueryClient.hostHeader(URL(string: "https://ec2.x.amazonaws.com:443/")!) == "ec2.x.amazonaws.com")
        #expect(AWSQueryClient.hostHeader(URL(string: "http://127.0.0.1:5000/")!) == "127.0.0.1:5000")
    }
}

actor CountingProvider: CredentialsProvider {
    var fetched = 0
    var invalidations = 0
    var current: AWSCredentials?
    func credentials() async throws(AWSError) -> AWSCredentials {
        if let current { return current }
        fetched += 1
        let c = AWSCredentials(
            accessKeyId: "AKID\(fetched)", secretAccessKey: "s\(fetched)", sessionToken: "token-\(fetched)",
            source: "counting")
        current = c
        return c
    }
    func invalidate() async {
        invalidations += 1
        current = nil
    }
}

final class Recorded<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []
    func append(_ item: T) { lock.withLock { items.append(item) } }
    var values: [T] { lock.withLock { items } }
}
