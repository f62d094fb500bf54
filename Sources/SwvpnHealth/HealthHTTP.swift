/// The health listener's protocol, without sockets: a read-only HTTP/1.x subset.
///
/// One request per connection (`Connection: close`), GET or HEAD only, no body, request line and
/// headers at most `maxHeadBytes`. Routes: `/health` (200 when healthy, else 503, JSON body) and
/// `/metrics` (Prometheus text). Anything else gets a short error and the connection closes.
public enum HealthHTTP {
    public static let maxHeadBytes = 8192

    public enum Parsed: Sendable, Equatable {
        /// Keep reading (no blank line yet, under the limit).
        case incomplete
        case request(method: String, path: String)
        /// Answer `status` with `reason` and close.
        case invalid(status: Int, reason: String)
    }

    /// Looks at what arrived so far.
    public static func parse(_ bytes: [UInt8]) -> Parsed {
        guard let end = headEnd(bytes) else {
            return bytes.count >= maxHeadBytes
                ? .invalid(status: 431, reason: "request line and headers exceed \(maxHeadBytes) bytes") : .incomplete
        }
        guard end <= maxHeadBytes else {
            return .invalid(status: 431, reason: "request line and headers exceed \(maxHeadBytes) bytes")
        }
        let lineEnd = bytes.firstIndex(of: 0x0A) ?? end
        var line = bytes[..<lineEnd]
        if line.last == 0x0D { line = line.dropLast() }
        guard line.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            return .invalid(status: 400, reason: "bad request line")
        }
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
            parts[2].elementsEqual("HTTP/1.1".utf8) || parts[2].elementsEqual("HTTP/1.0".utf8)
        else { return .invalid(status: 400, reason: "bad request line") }
        let method = String(decoding: parts[0], as: UTF8.self)
        var target = String(decoding: parts[1], as: UTF8.self)
        if let q = target.firstIndex(of: "?") { target = String(target[..<q]) }
        return .request(method: method, path: target)
    }

    /// Index just past the blank line ending the head, accepting bare LF line ends.
    static func headEnd(_ b: [UInt8]) -> Int? {
        var i = 0
        while i < b.count {
            if b[i] == 0x0A {
                if i + 1 < b.count, b[i + 1] == 0x0A { return i + 2 }
                if i + 2 < b.count, b[i + 1] == 0x0D, b[i + 2] == 0x0A { return i + 3 }
            }
            i += 1
        }
        return nil
    }

    public struct Response: Sendable, Equatable {
        public var status: Int
        public var contentType: String
        public var body: String
        public var headOnly = false
        public var extraHeaders: [String] = []

        public init(status: Int, contentType: String, body: String) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }

        public var bytes: [UInt8] {
            let body = Array(self.body.utf8)
            var head = "HTTP/1.1 \(status) \(HealthHTTP.reasonPhrase(status))\r\n"
            head += "Content-Type: \(contentType)\r\n"
            head += "Content-Length: \(body.count)\r\n"
            head += "Cache-Control: no-store\r\n"
            for h in extraHeaders { head += h + "\r\n" }
            head += "Connection: close\r\n\r\n"
            return Array(head.utf8) + (headOnly ? [] : body)
        }
    }

    static let jsonType = "application/json"
    public static let metricsType = "text/plain; version=0.0.4; charset=utf-8"

    /// Answers a parsed request; `snapshot` and `metrics` are called only for the routes that need them.
    public static func respond(
        method: String, path: String, snapshot: () -> TunnelSnapshot,
        metrics: (TunnelSnapshot) -> String
    ) -> Response {
        guard method == "GET" || method == "HEAD" else {
            var r = error(405, "only GET and HEAD are served")
            r.extraHeaders = ["Allow: GET, HEAD"]
            return r
        }
        var r: Response
        switch path {
        case "/health":
            let s = snapshot()
            r = Response(status: s.isHealthy ? 200 : 503, contentType: jsonType, body: s.json + "\n")
        case "/metrics":
            r = Response(status: 200, contentType: metricsType, body: metrics(snapshot()))
        default:
            r = error(404, "not found (try /health or /metrics)")
        }
        r.headOnly = method == "HEAD"
        return r
    }

    public static func error(_ status: Int, _ message: String) -> Response {
        Response(status: status, contentType: "text/plain; charset=utf-8", body: message + "\n")
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 431: "Request Header Fields Too Large"
        case 503: "Service Unavailable"
        default: "Error"
        }
    }
}
