import Foundation
import SwvpnAWS

/// SNS Publish for alerts, through the same signing, retry and skew handling as EC2.
public actor SNSClient {
    public let region: String
    public let endpoint: URL
    let api: AWSQueryClient

    /// `endpoint` defaults to `https://sns.REGION.amazonaws.com/`.
    public init(
        region: String, endpoint: URL? = nil, credentials: any CredentialsProvider,
        transport: any HTTPTransport = URLSessionTransport(), timeout: Duration = .seconds(5),
        retry: RetryPolicy = RetryPolicy(),
        observe: @escaping @Sendable (EC2CallRecord) -> Void = { _ in }
    ) {
        self.region = region
        let url = endpoint ?? URL(string: "https://sns.\(region).amazonaws.com/")!
        self.endpoint = url
        api = AWSQueryClient(
            service: "sns", region: region, endpoint: url, timeout: timeout, retry: retry, skewThresholdSeconds: 60,
            credentials: credentials, transport: transport, now: SystemClock.now,
            sleep: { try? await Task.sleep(for: $0) }, random: { Double.random(in: 0..<1) }, observe: observe)
    }

    /// The region of a topic ARN (`arn:aws:sns:REGION:ACCOUNT:NAME`), if it is one.
    public static func region(ofTopic arn: String) -> String? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "sns", !parts[3].isEmpty else { return nil }
        return String(parts[3])
    }

    /// Publishes `message` to `topicArn`; returns SNS's MessageId. The subject is made what SNS
    /// accepts (printable ASCII, one line, at most 100 characters).
    @discardableResult
    public func publish(topicArn: String, subject: String?, message: String) async throws(AWSError) -> String {
        let tree = try await api.perform(
            .snsPublish(
                topicArn: topicArn, subject: subject.map(Self.sanitizeSubject),
                message: message))
        guard let id = tree.value("PublishResult", "MessageId") else {
            throw EC2Response.malformed("Publish", 200, "no PublishResult/MessageId")
        }
        return id
    }

    static func sanitizeSubject(_ subject: String) -> String {
        let printable = subject.unicodeScalars.map { (0x20..<0x7f).contains($0.value) ? Character($0) : "?" }
        return String(String(printable).prefix(100))
    }
}

extension SNSClient: CustomStringConvertible, CustomReflectable {
    public nonisolated var description: String { "SNSClient(\(endpoint.absoluteString), region \(region))" }
    public nonisolated var customMirror: Mirror { Mirror(self, children: ["client": description]) }
}
