/// One AWS Query-protocol request (EC2, SNS): the action, the API version and the parameters, sent
/// as a form-encoded POST body.
public struct AWSQuery: Sendable {
    public let action: String
    public let version: String
    public let parameters: [(name: String, value: String)]

    public init(action: String, version: String, parameters: [(name: String, value: String)]) {
        self.action = action
        self.version = version
        self.parameters = parameters
    }

    /// Action, Version, then the parameters.
    public var allParameters: [(name: String, value: String)] {
        [("Action", action), ("Version", version)] + parameters
    }

    /// The form-encoded request body.
    public var body: [UInt8] { Array(QueryForm.encode(allParameters).utf8) }

    /// Whether the action changes something (for logs and the request-recorder assertions).
    public var isWrite: Bool { !action.hasPrefix("Describe") }
}

/// The name the EC2 builders were first published under.
public typealias EC2Query = AWSQuery
