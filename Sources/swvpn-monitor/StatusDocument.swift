import Foundation
import SwvpnMonitorCore

/// What the running monitor writes to its status file (JSON, replaced atomically every second) and
/// `swvpn-monitor status` reads: the decision core's snapshot, the EC2 call counts and the metrics text.
struct StatusDocument: Codable {
    struct EC2Calls: Codable {
        var action: String
        var code: String
        var count: Int
    }

    var pid: Int32
    /// Unix time of this write; a status older than a few seconds means the monitor is not running.
    var updated: Double
    var region: String
    var snapshot: MonitorSnapshot
    var ec2Calls: [EC2Calls]
    /// Prometheus text exposition, also for a node_exporter textfile collector.
    var metrics: String

    init(pid: Int32, region: String, snapshot: MonitorSnapshot, calls: [MetricsText.EC2CallKey: Int]) {
        self.pid = pid
        updated = Date().timeIntervalSince1970
        self.region = region
        self.snapshot = snapshot
        ec2Calls = calls.map { EC2Calls(action: $0.key.action, code: $0.key.code, count: $0.value) }
            .sorted { ($0.action, $0.code) < ($1.action, $1.code) }
        metrics = MetricsText.render(snapshot, ec2Calls: calls)
    }

    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    static func read(from path: String) throws -> StatusDocument {
        try JSONDecoder().decode(StatusDocument.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The human view of `swvpn-monitor status`.
    var text: String {
        let s = snapshot
        var lines = [
            "swvpn-monitor pid \(pid), region \(region)\(s.isolated ? ", ISOLATED (moving and restarting nothing)" : "")"
        ]
        lines.append("tunnels:")
        for t in s.tunnels {
            let damped = t.damped ? ", damped" : ""
            lines.append(
                "  \(t.name): \(t.status) for \(Int(t.forSeconds)) s, routes \(t.routes)\(damped)\(t.status == "up" ? "" : " — \(t.evidence)")"
            )
        }
        lines.append("routes:")
        for r in s.routes {
            let mark = r.target == r.desired ? "" : " (should be \(r.desired))"
            lines.append(
                "  \(r.table) \(r.destination) → \(r.target)\(mark)\(r.blackhole ? " BLACKHOLE" : "")  [home \(r.home), standby \(r.standby)]"
            )
        }
        lines.append("instances:")
        for i in s.instances {
            let silent = i.silentSeconds.map { ", swvpnd silent \(Int($0)) s" } ?? ""
            lines.append(
                "  \(i.name) \(i.instanceId): EC2 \(i.ec2State ?? "unread"), \(i.healthy ? "healthy" : "not healthy")\(silent), restart ladder \(i.ladder)"
            )
        }
        let restarts = s.restarts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append(
            "failovers \(s.failovers), failbacks \(s.failbacks), route writes \(s.routeWrites), restarts \(restarts.isEmpty ? "0" : restarts)"
                + (s.lastFailoverSeconds.map { ", last failover \($0) s" } ?? ""))
        return lines.joined(separator: "\n") + "\n"
    }
}
