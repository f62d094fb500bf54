import Foundation
import SwvpnAWS

@testable import SwvpnAWSClient

/// An HTTPTransport that answers from a script and records what was sent.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    typealias Answer = Result<HTTPResponse, HTTPTransportError>
    private let lock = NSLock()
    private var answers: [Answer]
    private var fallback: (@Sendable (HTTPRequest) -> Answer)?
    private(set) var sent: [HTTPRequest] = []

    init(_ answers: [Answer], fallback: (@Sendable (HTTPRequest) -> Answer)? = nil) {
        self.answers = answers
        self.fallback = fallback
    }

    func send(_ request: HTTPRequest) async throws(HTTPTransportError) -> HTTPResponse {
        let answer: Answer = lock.withLock {
            sent.append(request)
            if !answers.isEmpty { return answers.removeFirst() }
            return fallback?(request) ?? .failure(.failed("script exhausted"))
        }
        return try answer.get()
    }

    var requests: [HTTPRequest] { lock.withLock { sent } }

    /// The EC2 Action of each request sent.
    var actions: [String] { requests.map { Self.form($0)["Action"] ?? "?" } }

    static func form(_ request: HTTPRequest) -> [String: String] {
        var out: [String: String] = [:]
        for pair in String(decoding: request.body, as: UTF8.self).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            if kv.count == 2 { out[kv[0]] = kv[1] }
        }
        return out
    }
}

extension Result where Success == HTTPResponse, Failure == HTTPTransportError {
    static func xml(_ status: Int, _ body: String, date: String? = nil) -> Result<HTTPResponse, HTTPTransportError> {
        .success(HTTPResponse(status: status, headers: date.map { ["Date": $0] } ?? [:], body: Data(body.utf8)))
    }

    static func fixture(_ status: Int, _ shape: String, _ name: String, date: String? = nil) throws
        -> Result<HTTPResponse, HTTPTransportError>
    {
        .success(
            HTTPResponse(status: status, headers: date.map { ["Date": $0] } ?? [:], body: try Fixture.data(shape, name))
        )
    }

    static func error(_ status: Int, _ code: String, _ message: String = "m", date: String? = nil)
        -> Result<HTTPResponse, HTTPTransportError>
    {
        xml(
            status,
            "<Response><Errors><Error><Code>\(code)</Code><Message>\(message)</Message></Error></Errors></Response>",
            date: date)
    }
}

/// Records the backoff sleeps instead of sleeping.
final class SleepRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var slept: [Duration] = []
    var sleeps: [Duration] { lock.withLock { slept } }
    var function: @Sendable (Duration) async -> Void {
        { [self] d in lock.withLock { slept.append(d) } }
    }
}
