/// AWS access key, secret and (for role credentials) session token.
///
/// Every textual form (`description`, `debugDescription`, `dump`'s mirror) shows only where they
/// came from and when they expire: the key id, secret and token never reach a log or an error.
public struct AWSCredentials: Sendable, Hashable {
    public let accessKeyId: String
    public let secretAccessKey: String
    public let sessionToken: String?
    /// When the provider stops accepting them (role credentials); nil for long-lived keys.
    public let expiration: UTCTime?
    /// Where they came from, for logs: "instance role vpn-monitor", "environment".
    public let source: String

    public init(
        accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil,
        expiration: UTCTime? = nil, source: String
    ) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.source = source
    }

    /// True when fewer than `margin` seconds remain before `expiration` at `now`.
    public func expires(within margin: Int64, at now: UTCTime) -> Bool {
        guard let expiration else { return false }
        return expiration.epochSeconds - now.epochSeconds < margin
    }
}

extension AWSCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "AWSCredentials(source: \(source), expiration: \(expiration?.iso8601 ?? "none"), secrets redacted)"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["source": source, "expiration": expiration?.iso8601 ?? "none"], displayStyle: .struct)
    }
}
