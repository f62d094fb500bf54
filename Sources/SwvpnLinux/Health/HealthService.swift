import Dispatch
import Glibc
import Logging
import SwvpnConfig
import SwvpnHealth

/// The monitoring surface of one tunnel: the control socket (always), the HTTP health/metrics
/// listener and the management interface (when configured). It knows the tunnel only through
/// `snapshot`, a closure that returns the current state; it runs on its own queue at default
/// priority, so a flood of clients never competes with the packet loops' queues.
package final class HealthService: @unchecked Sendable {
    package typealias SnapshotProvider = @Sendable () -> TunnelSnapshot

    let queue = DispatchQueue(label: "swvpnd.health")
    let tunnel: String
    let settings: HealthSettings
    let logger: Logger
    let snapshot: SnapshotProvider
    /// `signal SIGUSR1` from a management client.
    let raise: @Sendable (String) -> Void
    let title: String
    let logTap: LogTap?
    private var servers: [StreamServer] = []
    func servers(append server: StreamServer) { servers.append(server) }
    private var ticker: (any DispatchSourceTimer)?
    /// Management: the state history, fed by the tunnel at each lifecycle step (`record`).
    var stateLog = ManagementStateLog()
    var managementServer: StreamServer?
    var managementPassword: String?
    let exporter: PrometheusExporter
    package private(set) var controlSocketPath: String?

    package init(
        tunnel: String, settings: HealthSettings, title: String, logger: Logger, logTap: LogTap?,
        snapshot: @escaping SnapshotProvider, raise: @escaping @Sendable (String) -> Void
    ) {
        self.tunnel = tunnel
        self.settings = settings
        self.title = title
        self.logger = logger
        self.logTap = logTap
        self.snapshot = snapshot
        self.raise = raise
        exporter = PrometheusExporter(tunnel: tunnel)
    }

    /// `$RUNTIME_DIRECTORY` (the first, when systemd gives several), else `/run/swvpnd`.
    package static func runtimeDirectory() -> String {
        if let value = getenv("RUNTIME_DIRECTORY").map({ String(cString: $0) }), !value.isEmpty {
            return String(value.split(separator: ":").first ?? "")
        }
        return "/run/swvpnd"
    }

    /// `site-a` for `/etc/swvpnd/site-a.conf`: the name `swvpnd status NAME` and metrics use.
    package static func tunnelName(sourceName: String) -> String {
        var base = sourceName.split(separator: "/").last.map(String.init) ?? sourceName
        if base.hasSuffix(".conf") { base.removeLast(5) }
        let cleaned = String(base.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" })
        return cleaned.isEmpty ? "swvpnd" : cleaned
    }

    /// Opens the sockets (before any privilege drop). The control socket only warns when it cannot
    /// be created; a configured listener that cannot bind is a set-up error. Nothing is served (no
    /// Dispatch source runs) until `serve()`, so no thread exists before the privilege drop.
    /// `initial`: the tunnel right after set-up (management's state history starts from it).
    package func open(initial: TunnelSnapshot, hasRoutes: Bool) throws(SetupError) {
        stateLog.record(.started(initial, hasRoutes: hasRoutes))
        let directory = Self.runtimeDirectory()
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            logger.warning("control socket: cannot create \(directory): \(SystemError.text(for: errno))")
        }
        let path = directory + "/" + tunnel + ".sock"
        do throws(SystemError) {
            let fd = try StreamServer.listenUnix(path: path, mode: 0o600)
            servers.append(makeControlServer(fd: fd, path: path))
            controlSocketPath = path
        } catch {
            logger.warning("control socket \(path): \(error); swvpnd status will not see this tunnel")
        }
        if let listen = settings.listen {
            do throws(SystemError) {
                let fd = try StreamServer.listenTCP(host: listen.host, port: listen.port)
                servers.append(makeHTTPServer(fd: fd))
                logger.notice("health: serving GET /health and /metrics on \(listen.host):\(listen.port)")
            } catch {
                throw .monitoring("health-listen \(listen.host) \(listen.port): \(error)")
            }
        }
        if let management = settings.management {
            try startManagement(management)
        }
    }

    /// Starts accepting on the sockets `open` created (after the privilege drop).
    package func serve() {
        for server in servers { server.start() }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .milliseconds(200), repeating: .seconds(1), leeway: .milliseconds(100))
        timer.setEventHandler { [unowned self] in tick() }
        timer.resume()
        ticker = timer
    }

    /// Closes the listeners; safe from any queue. Without `exiting` it never waits for the health
    /// queue. With it (the process is about to exit), management clients get `>STATE:...,EXITING,...`
    /// first: the caller waits for that at most `exitWaitMilliseconds`, since the health queue may
    /// itself be waiting for the caller's queue (a snapshot in flight), which then ends the wait.
    package func stop(exiting signal: String? = nil) {
        if let controlSocketPath { unlink(controlSocketPath) }
        if case .unix(let path)? = settings.management?.endpoint { unlink(path) }
        let flushed = DispatchSemaphore(value: 0)
        let event = signal.map { ManagementStateLog.Event.exiting(unixTime: Int64(time(nil)), signal: $0) }
        queue.async { [self] in
            if let event { publish(event) }
            ticker?.cancel()
            for server in servers { server.stop() }
            servers = []
            flushed.signal()
        }
        if event != nil, settings.management != nil {
            _ = flushed.wait(timeout: .now() + .milliseconds(Self.exitWaitMilliseconds))
        }
    }

    static let exitWaitMilliseconds = 500

    /// A lifecycle step for the management state history (from the control queue; never waits).
    package func record(_ event: ManagementStateLog.Event) {
        queue.async { [self] in publish(event) }
    }

    private func tick() {
        guard managementServer != nil else { return }
        managementTick()
    }

    // MARK: Control socket

    /// Answers the snapshot JSON on connect, then closes: `socat - UNIX-CONNECT:/run/swvpnd/NAME.sock`.
    private func makeControlServer(fd: Int32, path: String) -> StreamServer {
        StreamServer(
            name: "control socket", listenFD: fd, socketPath: path, queue: queue,
            limits: .init(maxConnections: 16, requestSeconds: 2, maxInputBytes: 1024), logger: logger,
            handler: .init(
                opened: { [snapshot] c in
                    c.send(snapshot().json + "\n")
                    c.finish()
                }, received: { c in c.input.removeAll() }))
    }

    // MARK: HTTP

    static let httpLimits = StreamServer.Limits(
        maxConnections: 16, requestSeconds: 2, maxInputBytes: HealthHTTP.maxHeadBytes)

    private func makeHTTPServer(fd: Int32) -> StreamServer {
        Self.makeHTTPServer(name: "health-listen", fd: fd, queue: queue, logger: logger) {
            [unowned self] method, path in
            HealthHTTP.respond(method: method, path: path, snapshot: snapshot, metrics: exporter.render)
        }
    }

    /// A bounded HTTP/1.x server (one request per connection) answering with `respond(method, path)`;
    /// on `queue`. Also swvpn-monitor's `metrics-listen` (see `MetricsListener`).
    static func makeHTTPServer(
        name: String, fd: Int32, queue: DispatchQueue, logger: Logger,
        respond: @escaping (String, String) -> HealthHTTP.Response
    ) -> StreamServer {
        StreamServer(
            name: name, listenFD: fd, queue: queue, limits: httpLimits, logger: logger,
            handler: .init(
                opened: { _ in },
                received: { c in
                    switch HealthHTTP.parse(c.input) {
                    case .incomplete:
                        return
                    case .invalid(let status, let reason):
                        logger.notice("\(name): \(c.peer): \(reason)")
                        c.input.removeAll()
                        c.send(HealthHTTP.error(status, reason).bytes)
                        c.finish()
                    case .request(let method, let path):
                        c.satisfied()
                        c.input.removeAll()
                        c.send(respond(method, path).bytes)
                        c.finish()
                    }
                },
                timedOut: { c in
                    c.send(HealthHTTP.error(408, "request not complete within 2 s").bytes)
                    c.finish()
                },
                overflowed: { c in
                    c.send(
                        HealthHTTP.error(431, "request line and headers exceed \(HealthHTTP.maxHeadBytes) bytes").bytes)
                    c.finish()
                }))
    }
}
