/// Prometheus text exposition (format 0.0.4) of a snapshot plus the EC2 call counts the I/O keeps.
public enum MetricsText {
    /// `ec2Calls`: (action, code) → count; code is `ok` or the AWS error code.
    public static func render(_ s: MonitorSnapshot, ec2Calls: [EC2CallKey: Int]) -> String {
        var text = ""
        func family(_ name: String, _ type: String, _ help: String) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
            let rendered =
                labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
            text += "\(name)\(rendered) \(number(value))\n"
        }
        family(
            "swvpn_monitor_tunnel_up", "gauge",
            "1 when the tunnel passed its rise checks, 0 when down or not yet known.")
        for t in s.tunnels { sample("swvpn_monitor_tunnel_up", [("tunnel", t.name)], t.status == "up" ? 1 : 0) }
        family("swvpn_monitor_tunnel_on_standby", "gauge", "1 when the tunnel's routes point at its standby.")
        for t in s.tunnels {
            sample("swvpn_monitor_tunnel_on_standby", [("tunnel", t.name)], t.routes == "standby" ? 1 : 0)
        }
        family(
            "swvpn_monitor_route_target", "gauge",
            "1 for the instance each owned route points at, as last read from EC2.")
        for r in s.routes {
            sample(
                "swvpn_monitor_route_target",
                [("table", r.table), ("destination", r.destination), ("target", r.target)], 1)
        }
        family(
            "swvpn_monitor_isolated", "gauge",
            "1 while the monitor counts itself cut off (it moves and restarts nothing).")
        sample("swvpn_monitor_isolated", [], s.isolated ? 1 : 0)
        family("swvpn_monitor_failovers_total", "counter", "Route moves away from a down tunnel.")
        sample("swvpn_monitor_failovers_total", [], Double(s.failovers))
        family(
            "swvpn_monitor_failovers_held_total", "counter",
            "Checks on which a failover waited: the standby answered 200 but reported probe loss (see the log).")
        sample("swvpn_monitor_failovers_held_total", [], Double(s.failoversHeld))
        family("swvpn_monitor_failbacks_total", "counter", "Route moves back home after the hold.")
        sample("swvpn_monitor_failbacks_total", [], Double(s.failbacks))
        family(
            "swvpn_monitor_failbacks_held_total", "counter",
            "Checks on which a due failback waited: the home tunnel reported probe loss or a bad check (see the log).")
        sample("swvpn_monitor_failbacks_held_total", [], Double(s.failbacksHeld))
        family("swvpn_monitor_failover_seconds", "gauge", "Latest failover: first bad check to every route read back.")
        if let seconds = s.lastFailoverSeconds { sample("swvpn_monitor_failover_seconds", [], seconds) }
        family("swvpn_monitor_ec2_calls_total", "counter", "EC2 API calls by action and result code.")
        for (key, count) in ec2Calls.sorted(by: { ($0.key.action, $0.key.code) < ($1.key.action, $1.key.code) }) {
            sample("swvpn_monitor_ec2_calls_total", [("action", key.action), ("code", key.code)], Double(count))
        }
        family("swvpn_monitor_restarts_total", "counter", "Restart ladder steps taken.")
        for step in RestartStep.allCases {
            sample("swvpn_monitor_restarts_total", [("step", step.rawValue)], Double(s.restarts[step.rawValue] ?? 0))
        }
        return text
    }

    public struct EC2CallKey: Sendable, Hashable {
        public var action: String
        public var code: String
        public init(action: String, code: String) {
            self.action = action
            self.code = code
        }
    }

    static func escape(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
