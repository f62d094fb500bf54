/// A failed AWS call, classified for the caller's policy (retry, alert, treat as isolation).
///
/// Carries the API's error code and message and never a credential, token or signature: those are
/// never put into requests' error paths in the first place.
public struct AWSError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// RequestLimitExceeded / Throttling: retried with backoff.
        case throttled
        /// HTTP 5xx: retried with backoff.
        case server
        /// Any other 4xx (bad id, missing permission, bad parameter): never retried.
        case client
        /// Connection refused/reset, DNS, TLS: the endpoint was not reached or the exchange broke.
        case transport
        /// No response within the request timeout.
        case timeout
        /// No usable credentials (IMDS down, role missing, environment empty) or they were refused.
        case credentials
        /// The response could not be understood (not XML, missing fields).
        case malformedResponse
    }

    public var kind: Kind
    /// The API's error code (e.g. "InvalidRouteTableID.NotFound"), or a local one ("Timeout", "Transport"...).
    public var code: String
    public var message: String
    public var httpStatus: Int?
    /// The API action or metadata path that failed (e.g. "ReplaceRoute", "IMDS credentials").
    public var action: String

    public init(kind: Kind, code: String, message: String, httpStatus: Int? = nil, action: String) {
        self.kind = kind
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.action = action
    }

    /// Throttling, 5xx and timeouts may succeed when tried again; every other failure will not.
    public var isRetryable: Bool {
        switch kind {
        case .throttled, .server, .timeout: true
        case .client, .transport, .credentials, .malformedResponse: false
        }
    }

    public var description: String {
        let status = httpStatus.map { " (HTTP \($0))" } ?? ""
        return "\(action) failed: \(code)\(status): \(message)"
    }
}
