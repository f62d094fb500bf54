import SwvpnAWS

/// Where the EC2 client gets credentials for each request.
public protocol CredentialsProvider: Sendable {
    /// Usable credentials now (cached until near expiry by providers that fetch them).
    func credentials() async throws(AWSError) -> AWSCredentials
    /// The API refused the last credentials (e.g. ExpiredToken): fetch fresh ones next time.
    func invalidate() async
}

/// Fixed credentials (tests, or keys handed over by the caller).
public struct StaticCredentialsProvider: CredentialsProvider {
    let value: AWSCredentials
    public init(_ value: AWSCredentials) { self.value = value }
    public func credentials() async throws(AWSError) -> AWSCredentials { value }
    public func invalidate() async {}
}
