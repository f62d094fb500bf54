import Foundation
import SwvpnAWS
import Testing

@testable import SwvpnAWSClient

/// A scripted instance-metadata service: tokens by generation, credentials by rotation.
final class FakeIMDS: @unchecked Sendable {
    private let lock = NSLock()
    var tokenGeneration = 0
    var validToken: String?
    var rotation = 0
    var expiration = "2026-11-30T15:00:00Z"
    var down = false
    var log: [String] = []

    lazy var transport = ScriptedTransport([], fallback: { [unowned self] in self.answer($0) })

    func answer(_ r: HTTPRequest) -> Result<HTTPResponse, HTTPTransportError> {
        lock.withLock {
            log.append("\(r.method) \(r.url.path)")
            if down { return .failure(.failed("connection refused")) }
            if r.method == "PUT" {
                guard r.url.path == "/latest/api/token", r.header("X-aws-ec2-metadata-token-ttl-seconds") != nil else {
                    return .success(HTTPResponse(status: 400))
                }
                tokenGeneration += 1
                validToken = "tok-\(tokenGeneration)"
                return .success(HTTPResponse(status: 200, body: Data(validToken!.utf8)))
            }
            guard let t = r.header("X-aws-ec2-metadata-token"), t == validToken else {
                return .success(HTTPResponse(status: 401))
            }
            switch r.url.path {
            case "/latest/meta-data/placement/region":
                return .success(HTTPResponse(status: 200, body: Data("eu-central-1".utf8)))
            case "/latest/meta-data/instance-id":
                return .success(HTTPResponse(status: 200, body: Data("i-0monitor\n".utf8)))
            case "/latest/meta-data/iam/security-credentials":
                return .success(HTTPResponse(status: 200, body: Data("vpn-monitor\n".utf8)))
            case "/latest/meta-data/iam/security-credentials/vpn-monitor":
                rotation += 1
                let doc = """
                    {"Code":"Success","LastUpdated":"2026-11-30T14:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIAROT\(rotation)",\
                    "SecretAccessKey":"secret-\(rotation)","Token":"session-\(rotation)","Expiration":"\(expiration)"}
                    """
                return .success(HTTPResponse(status: 200, body: Data(doc.utf8)))
            default: return .success(HTTPResponse(status: 404))
            }
        }
    }

    func set(_ change: (FakeIMDS) -> Void) { lock.withLock { change(self) } }
    var requests: [String] { lock.withLock { log } }
}

final class MutableClock: @unchecked Sendable {
    private let lock = NSLock()
    private var t: Int64
    init(_ t: Int64) { self.t = t }
    var now: UTCTime { lock.withLock { UTCTime(epochSeconds: t) } }
    func advance(_ s: Int64) { lock.withLock { t += s } }
    var function: @Sendable () -> UTCTime { { [self] in now } }
}

struct IMDSTests {
    static let start = UTCTime(iso8601: "2026-11-30T14:00:00Z")!.epochSeconds

    @Test func metadataWithToken() async throws {
        let fake = FakeIMDS()
        let imds = IMDSClient(endpoint: URL(string: "http://127.0.0.1:1")!, transport: fake.transport)
        #expect(try await imds.region() == "eu-central-1")
        #expect(try await imds.instanceId() == "i-0monitor")
        // One token for both reads; the PUT carries the TTL.
        #expect(
            fake.requests == [
                "PUT /latest/api/token", "GET /latest/meta-data/placement/region",
                "GET /latest/meta-data/instance-id",
            ])
        #expect(fake.transport.requests[0].header("X-aws-ec2-metadata-token-ttl-seconds") == "21600")
    }

    @Test func staleTokenRenewedOn401() async throws {
        let fake = FakeIMDS()
        let imds = IMDSClient(endpoint: URL(string: "http://127.0.0.1:1")!, transport: fake.transport)
        _ = try await imds.region()
        fake.set { $0.validToken = "revoked" }
        #expect(try await imds.instanceId() == "i-0monitor")
        #expect(
            fake.requests.suffix(3) == [
                "GET /latest/meta-data/instance-id", "PUT /latest/api/token",
                "GET /latest/meta-data/instance-id",
            ])
    }

    @Test func tokenRenewedBeforeTTL() async throws {
        let fake = FakeIMDS()
        let clock = MutableClock(Self.start)
        let imds = IMDSClient(
            endpoint: URL(string: "http://127.0.0.1:1")!, transport: fake.transport, tokenTTLSeconds: 100,
            now: clock.function)
        _ = try await imds.region()
        clock.advance(89)
        _ = try await imds.region()
        clock.advance(2)
        _ = try await imds.region()
        #expect(fake.requests.filter { $0.hasPrefix("PUT") }.count == 2)
    }

    @Test func roleCredentialsRefreshedWithinTenMinutes() async throws {
        let fake = FakeIMDS()
        let clock = MutableClock(Self.start)  // credentials expire at 15:00
        let imds = IMDSClient(
            endpoint: URL(string: "http://127.0.0.1:1")!, transport: fake.transport, now: clock.function)
        let provider = IMDSCredentialsProvider(imds: imds, now: clock.function)
        let first = try await provider.credentials()
        #expect(first.accessKeyId == "ASIAROT1" && first.sessionToken == "session-1")
        #expect(first.expiration == UTCTime(iso8601: "2026-11-30T15:00:00Z"))
        #expect(first.source == "instance role vpn-monitor")
        clock.advance(49 * 60)  // 11 min left: cached
        #expect(try await provider.credentials().accessKeyId == "ASIAROT1")
        clock.advance(2 * 60)  // 9 min left: refreshed
        fake.set { $0.expiration = "2026-11-30T16:00:00Z" }
        #expect(try await provider.credentials().accessKeyId == "ASIAROT2")
    }

    @Test func failedRefreshKeepsValidCredentialsThenFails() async throws {
        let fake = FakeIMDS()
        let clock = MutableClock(Self.start)
        let imds = IMDSClient(
            endpoint: URL(string: "http://127.0.0.1:1")!, transport: fake.transport, now: clock.function)
        let provider = IMDSCredentialsProvider(imds: imds, now: clock.function)
        _ = try await provider.credentials()
        fake.set { $0.down = true }
        clock.advance(55 * 60)
        #expect(try await provider.credentials().accessKeyId == "ASIAROT1")
        clock.advance(6 * 60)  // expired
        let e = await #expect(throws: AWSError.self) { try await provider.credentials() }
        #expect(e?.kind == .transport)
        #expect(
            e.map { String(describing: $0).contains("ASIAROT") || String(describing: $0).contains("secret-") } == false)
    }

    @Test func chainFallsBackToEnvironment() async throws {
        let fake = FakeIMDS()
        fake.set { $0.down = true }
        let imds = IMDSClient(endpoint: URL(string: "http://127.0.0.1:1")!, transport: fake.transport)
        let env = EnvironmentCredentialsProvider(environment: {
            ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_SESSION_TOKEN": ""]
        })
        let chain = CredentialChain([IMDSCredentialsProvider(imds: imds), env])
        let c = try await chain.credentials()
        #expect(c.accessKeyId == "AKIDENV" && c.sessionToken == nil && c.source == "environment")

        let none = CredentialChain([
            IMDSCredentialsProvider(imds: imds), EnvironmentCredentialsProvider(environment: { [:] }),
        ])
        let e = await #expect(throws: AWSError.self) { try await none.credentials() }
        #expect(e?.code == "NoCredentials" && e?.message.contains("AWS_ACCESS_KEY_ID") == true)
    }

    @Test func requestDescriptionsAreRedacted() async throws {
        let fake = FakeIMDS()
        let imds = IMDSClient(endpoint: URL(string: "http://127.0.0.1:1")!, transport: fake.transport)
        let provider = IMDSCredentialsProvider(imds: imds)
        let fetched = try await provider.credentials()
        let secrets = ["tok-1", fetched.accessKeyId, fetched.secretAccessKey, fetched.sessionToken!]
        for r in fake.transport.requests {
            RedactionTests.expectRedacted(r, extra: secrets)
        }
        // Every holder of a token or credentials, after use.
        RedactionTests.expectRedacted(imds, extra: secrets)
        RedactionTests.expectRedacted(provider, extra: secrets)
        RedactionTests.expectRedacted(CredentialChain([provider]), extra: secrets)
        RedactionTests.expectRedacted(StaticCredentialsProvider(RedactionTests.credentials))
        let answer = fake.answer(
            HTTPRequest(
                method: "GET",
                url: URL(string: "http://127.0.0.1:1/latest/meta-data/iam/security-credentials/vpn-monitor")!,
                headers: [("X-aws-ec2-metadata-token", "tok-1")], timeout: .seconds(1)))
        RedactionTests.expectRedacted(try answer.get(), extra: ["ASIAROT", "secret-", "session-"])
        let t = ScriptedTransport([
            .success(HTTPResponse(status: 200, body: Data("<DescribeRouteTablesResponse/>".utf8)))
        ])
        let c = EC2Client(
            configuration: .init(region: "us-east-1", endpoint: URL(string: "http://127.0.0.1:1/")!),
            credentials: StaticCredentialsProvider(RedactionTests.credentials), transport: t)
        _ = try await c.describeRouteTables(ids: [])
        let sent = try #require(t.requests.first)
        let signature = try #require(sent.header("Authorization")?.split(separator: "=").last.map(String.init))
        RedactionTests.expectRedacted(sent, extra: [signature])
        RedactionTests.expectRedacted(c, extra: [signature])
    }
}
