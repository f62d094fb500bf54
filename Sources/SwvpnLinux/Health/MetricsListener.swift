import Dispatch
import Logging
import SwvpnHealth
import Synchronization

/// `GET /metrics` for a process that renders its own Prometheus text (swvpn-monitor's
/// `metrics-listen`): the same bounded server and limits as swvpnd's `health-listen` (16
/// connections, 2 s and 8 KiB for the request), on its own queue, serving the last text given
/// to `update`. Everything else is 404; methods other than GET/HEAD are 405.
package final class MetricsListener: @unchecked Sendable {  // `server` is used on `queue` after `serve()`
    private let queue = DispatchQueue(label: "swvpn.metrics")
    private let text = Mutex("")
    private var server: StreamServer?

    /// Binds `host:port` (a numeric address, or `localhost`); `name` prefixes the log lines.
    package init(name: String, host: String, port: UInt16, logger: Logger) throws(SystemError) {
        let fd = try StreamServer.listenTCP(host: host, port: port)
        server = HealthService.makeHTTPServer(name: name, fd: fd, queue: queue, logger: logger) {
            [unowned self] method, path in
            guard method == "GET" || method == "HEAD" else {
                var r = HealthHTTP.error(405, "only GET and HEAD are served")
                r.extraHeaders = ["Allow: GET, HEAD"]
                return r
            }
            guard path == "/metrics" else { return HealthHTTP.error(404, "not found (try /metrics)") }
            let body = self.text.withLock { $0 }
            var r =
                body.isEmpty
                ? HealthHTTP.error(503, "no metrics yet")
                : HealthHTTP.Response(status: 200, contentType: HealthHTTP.metricsType, body: body)
            r.headOnly = method == "HEAD"
            return r
        }
    }

    /// The text `GET /metrics` answers from now on.
    package func update(_ metrics: String) { text.withLock { $0 = metrics } }

    /// Starts accepting connections.
    package func serve() { server?.start() }
}
