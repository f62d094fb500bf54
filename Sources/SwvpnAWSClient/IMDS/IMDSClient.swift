import Foundation
import SwvpnAWS

/// Instance metadata through IMDSv2: a session token from `PUT /latest/api/token` (TTL header), then
/// GETs that carry it. A 401 means the token went stale: one new token, one more try.
/// Never through a proxy (the transport sees to that). The token never leaves this actor.
public actor IMDSClient {
    public static let defaultEndpoint = URL(string: "http://169.254.169.254")!

    private let endpoint: URL
    private let transport: any HTTPTransport
    private let tokenTTLSeconds: Int
    private let timeout: Duration
    private let now: @Sendable () -> UTCTime
    private var token: (value: String, validUntil: UTCTime)?

    public init(
        endpoint: URL = IMDSClient.defaultEndpoint, transport: any HTTPTransport,
        tokenTTLSeconds: Int = 21_600, timeout: Duration = .seconds(2),
        now: @escaping @Sendable () -> UTCTime = SystemClock.now
    ) {
        self.endpoint = endpoint
        self.transport = transport
        self.tokenTTLSeconds = tokenTTLSeconds
        self.timeout = timeout
        self.now = now
    }

    /// `placement/region`, e.g. "eu-central-1".
    public func region() async throws(AWSError) -> String {
        try await text("meta-data/placement/region")
    }

    /// This instance's id (the one instance the monitor must never restart).
    public func instanceId() async throws(AWSError) -> String {
        try await text("meta-data/instance-id")
    }

    /// The instance role's temporary credentials.
    public func roleCredentials() async throws(AWSError) -> AWSCredentials {
        let listing = try await text("meta-data/iam/security-credentials/")
        guard let role = listing.split(whereSeparator: \.isNewline).first.map(String.init), !role.isEmpty else {
            throw AWSError(
                kind: .credentials, code: "NoInstanceRole",
                message: "the instance has no IAM role attached", action: "IMDS security-credentials")
        }
        let body = try await get("meta-data/iam/security-credentials/\(role)")
        // Field names are the JSON keys IMDS sends.
        // swift-format-ignore: AlwaysUseLowerCamelCase
        struct Document: Decodable {
            let Code: String?
            let AccessKeyId: String?
            let SecretAccessKey: String?
            let Token: String?
            let Expiration: String?
        }
        let action = "IMDS role \(role)"
        guard let doc = try? JSONDecoder().decode(Document.self, from: body) else {
            throw AWSError(
                kind: .credentials, code: "MalformedCredentials", message: "the credentials document is not JSON",
                action: action)
        }
        guard doc.Code == nil || doc.Code == "Success", let key = doc.AccessKeyId, let secret = doc.SecretAccessKey,
            let expiration = doc.Expiration.flatMap({ UTCTime(iso8601: $0) })
        else {
            throw AWSError(
                kind: .credentials, code: doc.Code ?? "MalformedCredentials",
                message: "the credentials document lacks a key, secret or expiration", action: action)
        }
        return AWSCredentials(
            accessKeyId: key, secretAccessKey: secret, sessionToken: doc.Token,
            expiration: expiration, source: "instance role \(role)")
    }

    func text(_ path: String) async throws(AWSError) -> String {
        String(decoding: try await get(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// GET `/latest/<path>` with a valid token; a 401 fetches a new token and tries once more.
    func get(_ path: String) async throws(AWSError) -> Data {
        let action = "IMDS \(path)"
        for attempt in 1...2 {
            let value = try await currentToken()
            let response = try await exchange(
                HTTPRequest(
                    method: "GET", url: url(path), headers: [("X-aws-ec2-metadata-token", value)], timeout: timeout),
                action: action)
            switch response.status {
            case 200: return response.body
            case 401 where attempt == 1: token = nil
            default:
                throw AWSError(
                    kind: response.status == 404 ? .credentials : .server, code: "IMDS\(response.status)",
                    message: "instance metadata answered HTTP \(response.status)",
                    httpStatus: response.status, action: action)
            }
        }
        throw AWSError(
            kind: .credentials, code: "IMDS401", message: "instance metadata refused a fresh token",
            httpStatus: 401, action: action)
    }

    private func currentToken() async throws(AWSError) -> String {
        if let token, now() < token.validUntil { return token.value }
        let response = try await exchange(
            HTTPRequest(
                method: "PUT", url: url("api/token"),
                headers: [("X-aws-ec2-metadata-token-ttl-seconds", String(tokenTTLSeconds))], timeout: timeout),
            action: "IMDS token")
        guard response.status == 200, !response.body.isEmpty else {
            throw AWSError(
                kind: .credentials, code: "IMDSToken\(response.status)",
                message: "instance metadata gave no session token (HTTP \(response.status))",
                httpStatus: response.status, action: "IMDS token")
        }
        let value = String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        // Renew well before the server forgets it: at 90% of the TTL.
        token = (value, now().adding(seconds: Int64(tokenTTLSeconds) * 9 / 10))
        return value
    }

    private func exchange(_ request: HTTPRequest, action: String) async throws(AWSError) -> HTTPResponse {
        do {
            return try await transport.send(request)
        } catch {
            throw AWSError(
                kind: error == .timeout ? .timeout : .transport, code: error == .timeout ? "Timeout" : "Transport",
                message: "instance metadata at \(endpoint.absoluteString): \(error)", action: action)
        }
    }

    private func url(_ path: String) -> URL {
        endpoint.appendingPathComponent("latest").appendingPathComponent(path)
    }
}

/// The session token stays inside: reflection shows only the endpoint.
extension IMDSClient: CustomStringConvertible, CustomReflectable {
    public nonisolated var description: String { "IMDSClient(\(endpoint.absoluteString))" }
    public nonisolated var customMirror: Mirror { Mirror(self, children: ["endpoint": endpoint.absoluteString]) }
}
