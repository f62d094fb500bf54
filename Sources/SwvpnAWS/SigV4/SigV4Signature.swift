/// The outcome of signing: the headers to add to the request (X-Amz-Date, X-Amz-Security-Token when
/// there is a session token, Authorization), plus the intermediate texts for tests.
/// Its textual forms are redacted: the token and the signature never reach a log.
public struct SigV4Signature: Sendable {
    public let canonicalRequest: String
    public let stringToSign: String
    public let signature: String
    public let headers: [(name: String, value: String)]

    public var authorization: String? { headers.first { $0.name == "Authorization" }?.value }
}

extension SigV4Signature: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "SigV4Signature(headers: \(headers.map(\.name).joined(separator: ", ")), values redacted)"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["headers": headers.map(\.name)], displayStyle: .struct) }
}
