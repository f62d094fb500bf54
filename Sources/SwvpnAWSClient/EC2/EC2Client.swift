import Foundation
import SwvpnAWS

/// The EC2 Query API over an `HTTPTransport` (see `AWSQueryClient` for signing, retries, clock-skew
/// correction and credential refetch).
public actor EC2Client {
    public struct Configuration: Sendable {
        /// `https://ec2.REGION.amazonaws.com` unless overridden (tests: moto on 127.0.0.1).
        public var endpoint: URL
        public var region: String
        /// Per HTTP attempt.
        public var timeout: Duration
        public var retry: RetryPolicy
        /// A Date header further than this from our clock, on a skew-type error, is corrected for.
        public var skewThresholdSeconds: Int64

        public init(
            region: String, endpoint: URL? = nil, timeout: Duration = .seconds(3),
            retry: RetryPolicy = RetryPolicy(), skewThresholdSeconds: Int64 = 60
        ) {
            self.region = region
            self.endpoint = endpoint ?? URL(string: "https://ec2.\(region).amazonaws.com/")!
            self.timeout = timeout
            self.retry = retry
            self.skewThresholdSeconds = skewThresholdSeconds
        }
    }

    public let configuration: Configuration
    let api: AWSQueryClient

    public init(
        configuration: Configuration, credentials: any CredentialsProvider,
        transport: any HTTPTransport = URLSessionTransport(),
        now: @escaping @Sendable () -> UTCTime = SystemClock.now,
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        observe: @escaping @Sendable (EC2CallRecord) -> Void = { _ in }
    ) {
        self.configuration = configuration
        api = AWSQueryClient(
            service: "ec2", region: configuration.region, endpoint: configuration.endpoint,
            timeout: configuration.timeout,
            retry: configuration.retry, skewThresholdSeconds: configuration.skewThresholdSeconds,
            credentials: credentials, transport: transport, now: now, sleep: sleep, random: random, observe: observe)
    }

    /// Seconds to add to our clock to get the server's (learnt from a skew error's Date header).
    public var clockOffsetSeconds: Int64 { get async { await api.clockOffsetSeconds } }

    func perform(_ query: AWSQuery) async throws(AWSError) -> XMLTree {
        try await api.perform(query)
    }
}

/// Reflection shows the endpoint and region, never the credentials provider's state.
extension EC2Client: CustomStringConvertible, CustomReflectable {
    public nonisolated var description: String {
        "EC2Client(\(configuration.endpoint.absoluteString), region \(configuration.region))"
    }
    public nonisolated var customMirror: Mirror { Mirror(self, children: ["client": description]) }
}
