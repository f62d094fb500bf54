import Foundation
import SwvpnAWS
import SwvpnAWSClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The EC2 client against moto's server on loopback (no root, no namespaces): the appendix topology,
/// every call the monitor makes, and moto's request recorder proving which writes reached "EC2".
/// Faults moto cannot make (throttling, 503, resets, delays, a skewed clock) come from the fault
/// proxy; credentials and tokens from the IMDSv2 stub. It builds no tunnel, so it runs beside the
/// serialized tunnel suites (`IntegrationTests`) instead of inside them.
@Suite(.serialized)
struct AWSClient {
    static let creds = AWSCredentials(accessKeyId: "AKIDMOTOTEST", secretAccessKey: "moto-secret", source: "test")

    static func client(
        _ endpoint: URL, credentials: any CredentialsProvider = StaticCredentialsProvider(creds),
        timeout: Duration = .seconds(5), retry: RetryPolicy = RetryPolicy()
    ) -> EC2Client {
        EC2Client(
            configuration: .init(region: "us-east-1", endpoint: endpoint, timeout: timeout, retry: retry),
            credentials: credentials, transport: URLSessionTransport(),
            sleep: { try? await Task.sleep(for: $0) })
    }

    @Test func describeReplaceAndCreateFallback() async throws {
        let lab = try AWSLab()
        defer { lab.teardown() }
        let topo = try lab.seed()
        // A proxy in the environment must not be used (the transport drops these variables).
        setenv("http_proxy", "http://127.0.0.1:9", 1)
        setenv("all_proxy", "http://127.0.0.1:9", 1)
        let ec2 = Self.client(lab.motoURL)
        #expect(getenv("http_proxy") == nil && getenv("all_proxy") == nil)
        try await lab.startRecording()

        let names = ["rt1a", "rt1b", "rt2a", "rt2b"]
        let tables = try await ec2.describeRouteTables(ids: names.map { topo.table($0).id })
        #expect(Set(tables.map(\.id)) == Set(names.map { topo.table($0).id }))
        for name in names {
            let t = topo.table(name)
            let table = try #require(tables.first { $0.id == t.id })
            #expect(table.vpcId == topo.vpcs[t.vpc]?.id)
            let route = try #require(table.route(to: t.destination), "\(name) has no route to \(t.destination)")
            #expect(route.targets(.networkInterface(topo.instance(t.home).eniId)) && route.state == "active")
        }

        // Tunnel A fails over: both VPCs' A tables move to the standby (B) instances together.
        for name in ["rt1a", "rt2a"] {
            let t = topo.table(name)
            try await ec2.replaceRoute(
                tableId: t.id, destinationCidr: t.destination,
                target: .networkInterface(topo.instance(t.standby).eniId))
        }
        let after = try await ec2.describeRouteTables(ids: [topo.table("rt1a").id, topo.table("rt2a").id])
        for name in ["rt1a", "rt2a"] {
            let t = topo.table(name)
            let route = after.first { $0.id == t.id }?.route(to: t.destination)
            #expect(route?.targets(.networkInterface(topo.instance(t.standby).eniId)) == true)
        }
        // A destination the table does not have yet: ReplaceRoute is refused, CreateRoute made.
        let rt1b = topo.table("rt1b")
        try await ec2.replaceRoute(
            tableId: rt1b.id, destinationCidr: "10.99.0.0/16",
            target: .instance(topo.instance("vpn1b").instanceId))
        let created = try await ec2.describeRouteTables(ids: [rt1b.id]).first?.route(to: "10.99.0.0/16")
        #expect(created?.targets(.instance(topo.instance("vpn1b").instanceId)) == true)

        let rt1a = topo.table("rt1a")
        let rt2a = topo.table("rt2a")
        #expect(
            try await lab.recordedWrites() == [
                "ReplaceRoute DestinationCidrBlock=\(rt1a.destination) NetworkInterfaceId=\(topo.instance("vpn1b").eniId) RouteTableId=\(rt1a.id)",
                "ReplaceRoute DestinationCidrBlock=\(rt2a.destination) NetworkInterfaceId=\(topo.instance("vpn2b").eniId) RouteTableId=\(rt2a.id)",
                "ReplaceRoute DestinationCidrBlock=10.99.0.0/16 InstanceId=\(topo.instance("vpn1b").instanceId) RouteTableId=\(rt1b.id)",
                "CreateRoute DestinationCidrBlock=10.99.0.0/16 InstanceId=\(topo.instance("vpn1b").instanceId) RouteTableId=\(rt1b.id)",
            ])
        // Every request was signed for the loopback host with its port.
        for r in try await lab.recordedRequests() {
            #expect(r.headers["Authorization"]?.contains("Credential=AKIDMOTOTEST/") == true)
            #expect(r.headers["Host"] == "127.0.0.1:\(lab.motoURL.port!)")
        }
        // Errors name the action and the API's code.
        let e = await #expect(throws: AWSError.self) {
            try await ec2.describeRouteTables(ids: ["rtb-0000000000000dead"])
        }
        #expect(
            e?.code == "InvalidRouteTableID.NotFound" && e?.kind == .client && e?.action == "DescribeRouteTables")
    }

    @Test func instanceStatusRestartAndAudit() async throws {
        let lab = try AWSLab()
        defer { lab.teardown() }
        let topo = try lab.seed()
        let ec2 = Self.client(lab.motoURL)
        let ids = ["vpn1a", "vpn1b", "vpn2a", "vpn2b"].map { topo.instance($0).instanceId }
        try await lab.startRecording()

        let statuses = try await ec2.describeInstanceStatus(ids: ids)
        #expect(Set(statuses.map(\.instanceId)) == Set(ids))
        #expect(statuses.allSatisfy { $0.isRunning && !$0.isImpaired && $0.instanceStatus == "ok" })
        #expect(try await ec2.sourceDestCheck(instanceId: ids[0]) == false)
        // The audit view: each instance's primary ENI and private IP are the seeded ones.
        let instances = try await ec2.describeInstances(ids: ids)
        for name in ["vpn1a", "vpn1b", "vpn2a", "vpn2b"] {
            let seeded = topo.instance(name)
            let seen = instances.first { $0.instanceId == seeded.instanceId }
            #expect(seen?.primaryNetworkInterfaceId == seeded.eniId && seen?.privateIp == seeded.privateIp)
            #expect(seen?.sourceDestCheck == false && seen?.name == name && seen?.availabilityZone == seeded.az)
        }

        let victim = ids[2]
        try await ec2.rebootInstances(ids: [victim])
        try await ec2.stopInstances(ids: [victim], force: true)
        // moto: "stopping" right after the call, "stopped" on a later read. Stopped instances
        // only show with IncludeAllInstances, which the client always sets.
        var state = ""
        for _ in 0..<5 {
            state = try await ec2.describeInstanceStatus(ids: [victim]).first?.state ?? "missing"
            if state == "stopped" { break }
        }
        #expect(state == "stopped")
        try await ec2.startInstances(ids: [victim])
        for _ in 0..<5 {
            state = try await ec2.describeInstanceStatus(ids: [victim]).first?.state ?? "missing"
            if state == "running" { break }
        }
        #expect(state == "running")
        #expect(
            try await lab.recordedWrites() == [
                "RebootInstances InstanceId.1=\(victim)",
                "StopInstances Force=true InstanceId.1=\(victim)",
                "StartInstances InstanceId.1=\(victim)",
            ])
    }

    @Test func retriesAndSkewThroughFaultProxy() async throws {
        let lab = try AWSLab()
        defer { lab.teardown() }
        let topo = try lab.seed()
        let proxy = try lab.startFaultProxy()
        let ec2 = Self.client(proxy, timeout: .seconds(2))
        let t = topo.table("rt1a")
        let standby = RouteTarget.networkInterface(topo.instance(t.standby).eniId)
        try await lab.startRecording()

        // Throttled twice, then through: one write reaches EC2.
        try await lab.queueFaults([.init(fault: "throttle", action: "ReplaceRoute", count: 2)])
        try await ec2.replaceRoute(tableId: t.id, destinationCidr: t.destination, target: standby)
        // A load balancer's 503 (no EC2 XML) on a read, then through.
        try await lab.queueFaults([.init(fault: "503", action: "DescribeRouteTables")])
        let read = try await ec2.describeRouteTables(ids: [t.id])
        #expect(read.first?.route(to: t.destination)?.targets(standby) == true)
        // A response slower than the timeout: timed out, tried again.
        try await lab.queueFaults([.init(fault: "delay", action: "DescribeInstanceStatus", seconds: 4)])
        #expect(try await ec2.describeInstanceStatus(ids: [topo.instance("vpn1a").instanceId]).count == 1)
        // Throttled on every try: gives up after 3 with the throttling error; nothing written.
        try await lab.queueFaults([.init(fault: "throttle", action: "ReplaceRoute", count: 5)])
        let throttled = await #expect(throws: AWSError.self) {
            try await ec2.replaceRoute(tableId: t.id, destinationCidr: t.destination, target: standby)
        }
        #expect(throttled?.kind == .throttled && throttled?.code == "RequestLimitExceeded")
        #expect(
            try await lab.faultLog() == [
                "ReplaceRoute:throttle", "ReplaceRoute:throttle", "ReplaceRoute:pass",
                "DescribeRouteTables:503", "DescribeRouteTables:pass",
                "DescribeInstanceStatus:delay", "DescribeInstanceStatus:pass",
                "ReplaceRoute:throttle", "ReplaceRoute:throttle", "ReplaceRoute:throttle",
            ])
        try await lab.clearFaults()
        // A reset connection is a transport error, not retried (the caller decides); with one
        // connection per request libcurl never resends behind our back either.
        try await lab.queueFaults([.init(fault: "reset", action: "RebootInstances", count: 2)])
        let reset = await #expect(throws: AWSError.self) {
            try await ec2.rebootInstances(ids: [topo.instance("vpn1a").instanceId])
        }
        #expect(reset?.kind == .transport)
        #expect(try await lab.faultLog() == ["RebootInstances:reset"])
        try await lab.clearFaults()
        // Other 4xx are never retried.
        let notFound = await #expect(throws: AWSError.self) {
            try await ec2.replaceRoute(
                tableId: "rtb-0000000000000dead", destinationCidr: t.destination, target: standby)
        }
        #expect(notFound?.kind == .client)

        #expect(try await lab.faultLog() == ["ReplaceRoute:pass"])
        #expect(
            try await lab.recordedWrites() == [
                "ReplaceRoute DestinationCidrBlock=\(t.destination) NetworkInterfaceId=\(topo.instance(t.standby).eniId) RouteTableId=\(t.id)",
                "ReplaceRoute DestinationCidrBlock=\(t.destination) NetworkInterfaceId=\(topo.instance(t.standby).eniId) RouteTableId=rtb-0000000000000dead",
            ])

        // A "server" whose clock runs an hour ahead of ours (a second proxy): the first request is
        // refused as expired, the client learns the offset from the Date header and re-signs.
        let skewed = try lab.startFaultProxy(clockOffsetSeconds: 3600)
        let late = Self.client(skewed)
        let rt2b = topo.table("rt2b")
        #expect(try await late.describeRouteTables(ids: [rt2b.id]).count == 1)
        let offset = await late.clockOffsetSeconds
        #expect(abs(offset - 3600) <= 2, "learnt offset \(offset)")
        try await late.replaceRoute(
            tableId: rt2b.id, destinationCidr: rt2b.destination,
            target: .networkInterface(topo.instance(rt2b.standby).eniId))
        #expect(
            try await lab.faultLog() == [
                "DescribeRouteTables:expired", "DescribeRouteTables:pass", "ReplaceRoute:pass",
            ])
    }

    /// HTTPS through URLSession (libcurl) verifies the server: moto with a certificate from a CA
    /// that no trust store holds is refused with libcurl's reason, before any request is sent.
    /// (With that CA in the system bundle the same call succeeds: URLSession on Linux trusts only
    /// the system bundle, so a test cannot add a CA without changing the machine.)
    @Test func httpsRefusesAnUntrustedCertificate() async throws {
        let lab = try AWSLab(tls: true)
        defer { lab.teardown() }
        let ec2 = Self.client(lab.motoURL)
        let e = await #expect(throws: AWSError.self) { try await ec2.describeRouteTables(ids: []) }
        #expect(e?.kind == .transport && e?.message.contains("certificate") == true, "\(String(describing: e))")
        // The server itself is fine: a client that trusts the test CA gets an answer.
        let probe = """
            import ssl, sys, urllib.request
            ctx = ssl.create_default_context(cafile=sys.argv[2])
            print(urllib.request.urlopen(sys.argv[1], context=ctx, timeout=20).status)
            """
        let r = try Shell.run(
            ["python3", "-c", probe, lab.motoURL.absoluteString + "moto-api/", lab.caPath], timeout: 60)
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "200", "\(r.summary)")
    }

    /// Alerts through SNS Publish, read back from an SQS queue subscribed to the topic.
    @Test func snsPublishReachesASubscriber() async throws {
        let lab = try AWSLab()
        defer { lab.teardown() }
        let script = Paths.scriptsLib.appendingPathComponent("moto_sns.py").path
        struct Setup: Decodable {
            let topicArn: String
            let queueUrl: String
        }
        let setup = try JSONDecoder().decode(
            Setup.self,
            from: Data(
                Shell.must(["python3", script, lab.motoURL.absoluteString, "setup"], timeout: 120).utf8))
        #expect(SNSClient.region(ofTopic: setup.topicArn) == "us-east-1")
        let sns = SNSClient(
            region: "us-east-1", endpoint: lab.motoURL, credentials: StaticCredentialsProvider(Self.creds))
        let text = "tunnel A down (vpn1a health 503); rt1a, rt2a -> vpn1b, vpn2b ✓ & more"
        let id = try await sns.publish(
            topicArn: setup.topicArn, subject: "swvpn-monitor: failover\nA->B", message: text)
        #expect(!id.isEmpty)
        let received = try JSONDecoder().decode(
            [String].self,
            from: Data(
                Shell.must(
                    ["python3", script, lab.motoURL.absoluteString, "receive", setup.queueUrl], timeout: 120
                ).utf8))
        #expect(received == [text])
        let e = await #expect(throws: AWSError.self) {
            try await sns.publish(topicArn: "arn:aws:sns:us-east-1:123456789012:nope", subject: nil, message: "x")
        }
        #expect(e?.kind == .client && e?.action == "Publish")
    }

    @Test func credentialsAndTokensFromIMDSStub() async throws {
        let lab = try AWSLab()
        defer { lab.teardown() }
        let topo = try lab.seed()
        // Metadata is not up yet when the monitor starts (early boot): a transport error naming
        // IMDS, then the answer once it is.
        let imdsURL = try lab.startIMDS(
            credentialLifetime: 3600, region: "us-east-1", instanceId: "i-0monitor000000001",
            downForSeconds: 2)
        let imds = IMDSClient(endpoint: imdsURL, transport: URLSessionTransport())
        let early = await #expect(throws: AWSError.self) { try await imds.region() }
        #expect(early?.kind == .transport && early?.action == "IMDS token")
        var region: String?
        for _ in 0..<40 where region == nil {
            try await Task.sleep(for: .milliseconds(250))
            region = try? await imds.region()
        }
        #expect(region == "us-east-1")
        // The provider's clock is ours to move: "an hour later" without waiting an hour.
        let clock = ManualClock()
        #expect(try await imds.instanceId() == "i-0monitor000000001")
        let provider = IMDSCredentialsProvider(imds: imds, now: clock.function)
        let ec2 = Self.client(lab.motoURL, credentials: provider)
        try await lab.startRecording()

        let t = topo.table("rt1b")
        _ = try await ec2.describeRouteTables(ids: [t.id])
        _ = try await ec2.describeRouteTables(ids: [t.id])  // cached credentials
        clock.advance(seconds: 3600 - 599)  // < 10 min left: refreshed
        _ = try await ec2.describeRouteTables(ids: [t.id])
        // A revoked token: 401, a new token, then the credentials.
        // STUB2 expires an hour after the stub made it, which the moved clock already sees as
        // < 10 min away: the next call refreshes again, through a revoked token.
        try await lab.imdsControl("revoke-tokens")
        _ = try await ec2.describeRouteTables(ids: [t.id])
        // IMDS down while the cached credentials are still valid: calls go on.
        try await lab.imdsControl("down?seconds=30")
        _ = try await ec2.describeRouteTables(ids: [t.id])

        let used = try await lab.recordedRequests().map {
            (
                $0.headers["Authorization"]?.split(separator: "/").first.map { String($0.suffix(9)) } ?? "",
                $0.headers["X-Amz-Security-Token"] ?? ""
            )
        }
        #expect(used.map(\.0) == ["ASIASTUB1", "ASIASTUB1", "ASIASTUB2", "ASIASTUB3", "ASIASTUB3"])
        #expect(
            used.map(\.1) == [
                "stub-session-token-1", "stub-session-token-1", "stub-session-token-2",
                "stub-session-token-3", "stub-session-token-3",
            ])
        let role = "/latest/meta-data/iam/security-credentials/"
        // What the stub saw once it was up (the refused early tries are left out).
        let imdsLog = Array(try await lab.imdsLog().drop { $0.hasSuffix(" down") })
        #expect(
            Array(imdsLog.prefix(11)) == [
                "PUT /latest/api/token token", "GET /latest/meta-data/placement/region 200",
                "GET /latest/meta-data/instance-id 200",
                "GET \(role) 200", "GET \(role)swvpn-monitor 200",
                "GET \(role) 200", "GET \(role)swvpn-monitor 200",
                "GET \(role) 401", "PUT /latest/api/token token", "GET \(role) 200", "GET \(role)swvpn-monitor 200",
            ])
        #expect(imdsLog.count > 11 && imdsLog.dropFirst(11).allSatisfy { $0.hasSuffix(" down") }, "\(imdsLog)")
        // Once they expire with IMDS still down: a credentials error naming IMDS, and no secret.
        clock.advance(seconds: 3600)
        let e = await #expect(throws: AWSError.self) { try await ec2.describeRouteTables(ids: [t.id]) }
        #expect(e?.kind == .credentials && e?.action == "DescribeRouteTables")
        let text = e.map { String(describing: $0) } ?? ""
        #expect(
            text.contains("instance metadata") && !text.contains("stub-secret") && !text.contains("stub-session"))
    }
}

/// A wall clock for the credentials provider that tests move by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var offset: Int64 = 0
    func advance(seconds: Int64) { lock.withLock { offset += seconds } }
    var function: @Sendable () -> UTCTime {
        { [self] in SystemClock.now().adding(seconds: lock.withLock { offset }) }
    }
}
