import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// HTTP(S) through URLSession (libcurl on Linux): an ephemeral session with no cookies, no cache and
/// an explicit per-request deadline.
///
/// One connection per request (`Connection: close`): when a kept-alive connection dies before the
/// answer, libcurl silently resends on a new one, and through URLSession on Linux that resend was
/// seen to go out without its POST body. A monitor making about one call a second can afford a
/// handshake per call, and a reset then always surfaces as an error the caller can reason about.
///
/// No proxy: URLSession on Linux leaves proxy selection to libcurl, which reads `http_proxy`,
/// `https_proxy` and `all_proxy` from the environment, so the first transport made removes those
/// variables from this process (IMDS must never be reached through a proxy, and the monitor's EC2
/// path should not depend on one). Call this at startup, before other threads read the environment.
public final class URLSessionTransport: HTTPTransport, Sendable {
    private let session: URLSession

    public static let proxyVariables = [
        "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
    ]

    public init() {
        for name in Self.proxyVariables { unsetenv(name) }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.connectionProxyDictionary = [:]
        configuration.httpCookieAcceptPolicy = .never
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        configuration.timeoutIntervalForRequest = 30
        configuration.timeoutIntervalForResource = 60
        session = URLSession(configuration: configuration)
    }

    deinit { session.invalidateAndCancel() }

    public func send(_ request: HTTPRequest) async throws(HTTPTransportError) -> HTTPResponse {
        var r = URLRequest(url: request.url)
        r.httpMethod = request.method
        for (name, value) in request.headers { r.setValue(value, forHTTPHeaderField: name) }
        r.setValue("close", forHTTPHeaderField: "Connection")
        if !request.body.isEmpty || request.method == "POST" { r.httpBody = request.body }
        // libcurl's own timer has whole-second resolution: it is only the backstop for the race below.
        let seconds = Double(request.timeout.components.seconds) + Double(request.timeout.components.attoseconds) / 1e18
        r.timeoutInterval = max(1, seconds.rounded(.up) + 1)
        let urlRequest = r
        let session = self.session
        let timeout = request.timeout

        let outcome = await withTaskGroup(of: Result<HTTPResponse, HTTPTransportError>?.self) { group in
            group.addTask {
                do {
                    let (data, response) = try await session.data(for: urlRequest)
                    guard let http = response as? HTTPURLResponse else {
                        return .failure(.failed("not an HTTP response"))
                    }
                    var headers: [String: String] = [:]
                    for (key, value) in http.allHeaderFields {
                        if let key = key as? String, let value = value as? String { headers[key] = value }
                    }
                    return .success(HTTPResponse(status: http.statusCode, headers: headers, body: data))
                } catch {
                    if Task.isCancelled { return nil }
                    return .failure(Self.classify(error))
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return Task.isCancelled ? nil : .failure(.timeout)
            }
            var first: Result<HTTPResponse, HTTPTransportError>?
            for await result in group {
                if let result {
                    first = result
                    break
                }
            }
            group.cancelAll()
            return first ?? .failure(.timeout)
        }
        return try outcome.get()
    }

    static func classify(_ error: any Error) -> HTTPTransportError {
        guard let e = error as? URLError else { return .failed("HTTP request failed") }
        switch e.code {
        case .timedOut: return .timeout
        case .cannotConnectToHost: return .failed("connection refused")
        case .networkConnectionLost: return .failed("connection reset")
        case .cannotFindHost, .dnsLookupFailed: return .failed("host not found")
        case .notConnectedToInternet: return .failed("network unreachable")
        default:
            // libcurl's own words (e.g. "SSL certificate problem: unable to get local issuer
            // certificate") are in the underlying error; they name no credential.
            let ns = e as NSError
            let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError
            let text =
                (underlying?.userInfo[NSLocalizedDescriptionKey] ?? ns.userInfo[NSLocalizedDescriptionKey]) as? String
            return .failed("HTTP request failed (URLError \(e.code.rawValue)\(text.map { ": " + $0 } ?? ""))")
        }
    }
}
