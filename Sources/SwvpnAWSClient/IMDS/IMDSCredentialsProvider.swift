import SwvpnAWS

/// The instance role's credentials through IMDS, cached and refreshed when fewer than
/// `refreshMarginSeconds` remain (AWS publishes new ones at least 5 minutes before expiry).
/// A failed refresh keeps the cached credentials while they are still valid.
public actor IMDSCredentialsProvider: CredentialsProvider {
    private let imds: IMDSClient
    private let refreshMarginSeconds: Int64
    private let now: @Sendable () -> UTCTime
    private var cached: AWSCredentials?

    public init(
        imds: IMDSClient, refreshMarginSeconds: Int64 = 600, now: @escaping @Sendable () -> UTCTime = SystemClock.now
    ) {
        self.imds = imds
        self.refreshMarginSeconds = refreshMarginSeconds
        self.now = now
    }

    public func credentials() async throws(AWSError) -> AWSCredentials {
        let t = now()
        if let cached, !cached.expires(within: refreshMarginSeconds, at: t) { return cached }
        do {
            let fresh = try await imds.roleCredentials()
            cached = fresh
            return fresh
        } catch {
            if let cached, !cached.expires(within: 0, at: t) { return cached }
            throw error
        }
    }

    public func invalidate() async { cached = nil }
}

/// Cached credentials stay inside: reflection shows only where they come from.
extension IMDSCredentialsProvider: CustomStringConvertible, CustomReflectable {
    public nonisolated var description: String { "IMDSCredentialsProvider(\(imds))" }
    public nonisolated var customMirror: Mirror { Mirror(self, children: ["imds": imds.description]) }
}
