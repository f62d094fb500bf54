import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SwvpnMonitorCore

/// GETs every tunnel end's swvpnd `/health` at once, each within the health timeout. The status code
/// decides (200 good, anything else bad, no answer unreachable); the JSON body is kept as evidence.
final class HealthPoller: Sendable {
    private let session: URLSession
    private let targets: [(tunnel: Int, end: Int, url: URL)]
    private let timeout: Duration

    init(config: MonitorConfig) {
        let configuration = URLSessionConfiguration.ephemeral
        let seconds = Double(config.timings.healthTimeout.components.seconds)
            + Double(config.timings.healthTimeout.components.attoseconds) / 1e18
        configuration.timeoutIntervalForRequest = seconds
        configuration.timeoutIntervalForResource = seconds
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        // Health URLs are VPC-internal: never through a proxy from the environment.
        configuration.connectionProxyDictionary = [:]
        configuration.httpMaximumConnectionsPerHost = 2
        session = URLSession(configuration: configuration)
        timeout = config.timings.healthTimeout
        var targets: [(Int, Int, URL)] = []
        for (t, tunnel) in config.tunnels.enumerated() {
            for end in 0..<2 {
                // Validated as http(s)://… by the config parser.
                targets.append((t, end, URL(string: tunnel.healthURLs[end])!))
            }
        }
        self.targets = targets
    }

    func round() async -> [HealthObservation] {
        await withTaskGroup(of: HealthObservation.self) { group in
            for target in targets {
                group.addTask { [session, timeout] in
                    let result = await Self.get(session, target.url, timeout)
                    return HealthObservation(tunnel: target.tunnel, end: target.end, result: result.0, evidence: result.1)
                }
            }
            var all: [HealthObservation] = []
            for await observation in group { all.append(observation) }
            return all
        }
    }

    private static func get(_ session: URLSession, _ url: URL, _ timeout: Duration) async -> (HealthResult, String) {
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        request.setValue("swvpn-monitor", forHTTPHeaderField: "User-Agent")
        // URLSession's timeout is an idle timeout; this bounds the whole exchange.
        let exchange = Task { try await session.data(for: request) }
        let guardTask = Task {
            try await Task.sleep(for: timeout)
            exchange.cancel()
        }
        defer { guardTask.cancel() }
        do {
            let (data, response) = try await exchange.value
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            let evidence = summarize(data)
            return (status == 200 ? .ok : .notOK(status: status), evidence)
        } catch is CancellationError {
            return (.unreachable, "no answer within \(timeout)")
        } catch let error as URLError {
            return (.unreachable, error.code == .cancelled || error.code == .timedOut ? "no answer within \(timeout)" : "\(error.code.rawValue) \(error.localizedDescription)")
        } catch {
            return (.unreachable, "\(error)")
        }
    }

    /// `state=lost reason=... probe_loss=..%` from swvpnd's JSON, at most a line.
    static func summarize(_ data: Data) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: data.prefix(16384)) as? [String: Any] else {
            return data.isEmpty ? "" : "body is not JSON"
        }
        var parts: [String] = []
        if let state = object["state"] as? String { parts.append("state=\(state)") }
        if let reason = object["reason"] as? String { parts.append("reason=\(reason)") }
        if let received = object["last_received_seconds"] as? Double { parts.append("last_received=\(received)s") }
        if let probe = object["probe"] as? [String: Any], let loss = probe["loss_percent"] as? Double {
            parts.append("probe_loss=\(loss)%")
        }
        let line = parts.joined(separator: " ")
        return String(line.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.prefix(200).map(Character.init))
    }
}
