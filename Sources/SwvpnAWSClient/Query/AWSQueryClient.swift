import Foundation
import SwvpnAWS

/// An AWS Query-protocol API (EC2, SNS) over an `HTTPTransport`: SigV4-signed POSTs, XML answers,
/// retries with jittered backoff on throttling/5xx/timeouts, one re-signed retry when the server's
/// Date header shows our clock is off, and one retry with fresh credentials when they were refused.
actor AWSQueryClient {
    let service: String
    let endpoint: URL
    let timeout: Duration
    let retry: RetryPolicy
    let skewThresholdSeconds: Int64
    private let credentials: any CredentialsProvider
    private let transport: any HTTPTransport
    private let signer: SigV4Signer
    private let now: @Sendable () -> UTCTime
    private let sleep: @Sendable (Duration) async -> Void
    private let random: @Sendable () -> Double
    private let observe: @Sendable (EC2CallRecord) -> Void
    /// Seconds to add to our clock to get the server's.
    private(set) var clockOffsetSeconds: Int64 = 0

    init(
        service: String, region: String, endpoint: URL, timeout: Duration, retry: RetryPolicy,
        skewThresholdSeconds: Int64, credentials: any CredentialsProvider, transport: any HTTPTransport,
        now: @escaping @Sendable () -> UTCTime, sleep: @escaping @Sendable (Duration) async -> Void,
        random: @escaping @Sendable () -> Double, observe: @escaping @Sendable (EC2CallRecord) -> Void
    ) {
        self.service = service
        self.endpoint = endpoint
        self.timeout = timeout
        self.retry = retry
        self.skewThresholdSeconds = skewThresholdSeconds
        self.credentials = credentials
        self.transport = transport
        self.signer = SigV4Signer(service: service, region: region)
        self.now = now
        self.sleep = sleep
        self.random = random
        self.observe = observe
    }

    /// Sends `query`, retrying as the policy allows; returns the parsed success body.
    func perform(_ query: AWSQuery) async throws(AWSError) -> XMLTree {
        let started = ContinuousClock.now
        var attempts = 0
        var skewRetried = false
        var credentialsRetried = false
        while true {
            attempts += 1
            let (result, serverDate) = await attempt(query)
            switch result {
            case .success(let tree):
                observe(
                    EC2CallRecord(
                        action: query.action, outcome: "OK", attempts: attempts,
                        duration: ContinuousClock.now - started))
                return tree
            case .failure(let error):
                if error.mayBeClockSkew, !skewRetried, let serverDate {
                    let offset = serverDate.epochSeconds - now().epochSeconds
                    if abs(offset - clockOffsetSeconds) > skewThresholdSeconds {
                        clockOffsetSeconds = offset
                        skewRetried = true
                        continue
                    }
                }
                if error.kind == .credentials, !credentialsRetried {
                    credentialsRetried = true
                    await credentials.invalidate()
                    continue
                }
                if let ms = retry.delayMilliseconds(after: attempts, error: error, unit: random()) {
                    await sleep(.milliseconds(ms))
                    continue
                }
                observe(
                    EC2CallRecord(
                        action: query.action, outcome: error.code, attempts: attempts,
                        duration: ContinuousClock.now - started, error: error))
                throw error
            }
        }
    }

    /// One signed HTTP exchange and the server's Date header, if any.
    private func attempt(_ query: AWSQuery) async -> (Result<XMLTree, AWSError>, UTCTime?) {
        let creds: AWSCredentials
        do {
            creds = try await credentials.credentials()
        } catch {
            // Whatever broke (IMDS unreachable, no role, empty environment), the API itself was not
            // asked: the caller must not read this as "the API is unreachable".
            return (
                .failure(
                    AWSError(
                        kind: .credentials, code: error.code, message: "\(error.action): \(error.message)",
                        httpStatus: error.httpStatus, action: query.action)), nil
            )
        }
        let body = query.body
        let contentType = [(name: "Content-Type", value: QueryForm.contentType)]
        let signed: SigV4Signature
        do {
            signed = try signer.sign(
                method: "POST", host: Self.hostHeader(endpoint), headers: contentType, body: body,
                credentials: creds, at: now().adding(seconds: clockOffsetSeconds))
        } catch {
            return (
                .failure(
                    AWSError(
                        kind: .credentials, code: "SigningFailed", message: error.message,
                        action: query.action)), nil
            )
        }
        let request = HTTPRequest(
            method: "POST", url: endpoint, headers: contentType + signed.headers,
            body: Data(body), timeout: timeout)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            let timedOut = error == .timeout
            return (
                .failure(
                    AWSError(
                        kind: timedOut ? .timeout : .transport, code: timedOut ? "Timeout" : "Transport",
                        message: "\(endpoint.absoluteString): \(error)", action: query.action)), nil
            )
        }
        let serverDate = response.header("Date").flatMap { UTCTime(httpDate: $0) }
        do {
            return (
                .success(try EC2Response.decode(action: query.action, status: response.status, body: response.body)),
                serverDate
            )
        } catch {
            return (.failure(error), serverDate)
        }
    }

    /// The Host header as libcurl sends it: host, plus the port when it is not the scheme's default.
    static func hostHeader(_ url: URL) -> String {
        let host = url.host ?? ""
        guard let port = url.port else { return host }
        let isDefault = (url.scheme == "https" && port == 443) || (url.scheme == "http" && port == 80)
        return isDefault ? host : "\(host):\(port)"
    }
}
