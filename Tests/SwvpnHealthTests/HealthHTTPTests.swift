import Testing

@testable import SwvpnHealth

struct HealthHTTPTests {
    func parse(_ s: String) -> HealthHTTP.Parsed { HealthHTTP.parse(Array(s.utf8)) }

    @Test func parsesGetRequests() {
        #expect(parse("GET /health HTTP/1.1\r\nHost: x\r\n\r\n") == .request(method: "GET", path: "/health"))
        #expect(parse("GET /metrics?x=1 HTTP/1.0\n\n") == .request(method: "GET", path: "/metrics"))
        #expect(parse("GET /health HTTP/1.1\r\nHost: x\r\n") == .incomplete)
        #expect(parse("") == .incomplete)
    }

    @Test func rejectsGarbageAndOversizedHeads() {
        guard case .invalid(400, _) = parse("\u{0}\u{1}garbage\r\n\r\n") else {
            Issue.record("garbage accepted")
            return
        }
        guard case .invalid(400, _) = parse("GET /health\r\n\r\n") else {
            Issue.record("HTTP/0.9 accepted")
            return
        }
        guard case .invalid(400, _) = parse("GET  /health HTTP/1.1\r\n\r\n") else {
            Issue.record("double space")
            return
        }
        let big = "GET /health HTTP/1.1\r\nX: " + String(repeating: "a", count: 9000)
        guard case .invalid(431, _) = parse(big) else {
            Issue.record("oversized accepted")
            return
        }
        guard case .invalid(431, _) = parse(big + "\r\n\r\n") else {
            Issue.record("oversized complete accepted")
            return
        }
    }

    @Test func routesAndStatusCodes() {
        let up = Fixtures.upSnapshot()
        var down = up
        down.state = .lost
        let metrics: (TunnelSnapshot) -> String = { _ in "m 1\n" }
        var r = HealthHTTP.respond(method: "GET", path: "/health", snapshot: { up }, metrics: metrics)
        #expect(r.status == 200 && r.contentType == "application/json" && r.body == up.json + "\n")
        r = HealthHTTP.respond(method: "GET", path: "/health", snapshot: { down }, metrics: metrics)
        #expect(r.status == 503)
        var probeLate = up
        probeLate.probe?.lastReplySeconds = 4
        #expect(
            HealthHTTP.respond(method: "GET", path: "/health", snapshot: { probeLate }, metrics: metrics).status == 503)
        r = HealthHTTP.respond(method: "GET", path: "/metrics", snapshot: { up }, metrics: metrics)
        #expect(r.status == 200 && r.body == "m 1\n" && r.contentType.hasPrefix("text/plain; version=0.0.4"))
        #expect(HealthHTTP.respond(method: "GET", path: "/", snapshot: { up }, metrics: metrics).status == 404)
        r = HealthHTTP.respond(method: "POST", path: "/health", snapshot: { up }, metrics: metrics)
        #expect(r.status == 405 && r.extraHeaders == ["Allow: GET, HEAD"])
        r = HealthHTTP.respond(method: "HEAD", path: "/health", snapshot: { up }, metrics: metrics)
        let text = String(decoding: r.bytes, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n") && text.hasSuffix("Connection: close\r\n\r\n"))
        #expect(text.contains("Content-Length: \(up.json.utf8.count + 1)\r\n"))
    }
}
