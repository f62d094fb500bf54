import Foundation

/// One HTTP exchange, the seam between the AWS clients and the network: `URLSessionTransport` in
/// production, fakes that inject faults in tests.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns whatever status came back; throws only when no response arrived.
    func send(_ request: HTTPRequest) async throws(HTTPTransportError) -> HTTPResponse
}

public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [(name: String, value: String)]
    public var body: Data
    /// The whole exchange (connect, send, receive) must finish within this.
    public var timeout: Duration

    public init(
        method: String, url: URL, headers: [(name: String, value: String)] = [], body: Data = Data(),
        timeout: Duration
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// Header values and the body can carry a signature, a session token or an IMDS token: only the
/// method, URL and header names are ever shown.
extension HTTPRequest: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "\(method) \(url.absoluteString) [headers: \(headers.map(\.name).joined(separator: ", ")); values redacted]"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["request": description], displayStyle: .struct) }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// The body can hold credentials (IMDS's role document): only the status and size are ever shown.
extension HTTPResponse: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "HTTP \(status), \(body.count) bytes [body and headers redacted]" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["response": description], displayStyle: .struct) }
}

/// No HTTP response: the request timed out, or the connection failed (refused, reset, DNS, TLS).
public enum HTTPTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    case timeout
    case failed(String)

    public var description: String {
        switch self {
        case .timeout: "timed out"
        case .failed(let why): why
        }
    }
}
