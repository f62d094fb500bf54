extension AWSError.Kind {
    /// The kind of an error the API answered with `code` and HTTP `status`.
    public init(code: String, httpStatus: Int) {
        if Self.throttlingCodes.contains(code) || httpStatus == 429 {
            self = .throttled
        } else if httpStatus >= 500 {
            self = .server
        } else if Self.credentialCodes.contains(code) {
            self = .credentials
        } else {
            self = .client
        }
    }

    static let throttlingCodes: Set<String> = [
        "RequestLimitExceeded", "Throttling", "ThrottlingException", "RequestThrottled",
        "RequestThrottledException", "TooManyRequestsException", "SlowDown",
    ]

    static let credentialCodes: Set<String> = [
        "AuthFailure", "ExpiredToken", "InvalidClientTokenId", "UnrecognizedClientException", "InvalidToken",
    ]
}

extension AWSError {
    /// An answer that a request signed with a wrong clock gets. The client re-signs once with the
    /// offset from the response's Date header, and only when that header shows a real skew.
    public var mayBeClockSkew: Bool {
        ["RequestExpired", "RequestTimeTooSkewed", "SignatureDoesNotMatch", "AuthFailure"].contains(code)
    }
}
