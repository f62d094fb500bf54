import SwvpnMonitorCore

/// `--help` text and the `--check-config` summary, from the directive table.
enum MonitorHelp {
    static var text: String {
        var lines = ["Config directives (\(MonitorConfig.defaultPath), swvpnd's syntax; see conf/monitor.conf):"]
        for d in MonitorDirectives.all {
            lines.append("  \(d.synopsis)")
            lines.append("      \(d.summary)")
        }
        return lines.joined(separator: "\n")
    }

    static func summary(_ c: MonitorConfig) -> String {
        var out = "\(c.sourceName): OK\n"
        out += "region \(c.region ?? "(from instance metadata)")\n"
        for t in c.tunnels {
            out +=
                "tunnel \(t.name): \(c.instances[t.ends[0]].name) \(t.healthURLs[0]) <-> \(c.instances[t.ends[1]].name) \(t.healthURLs[1])\n"
        }
        for r in c.routes {
            out +=
                "route \(r.tableId) \(r.destination): home \(c.instances[r.home].name) (tunnel \(c.tunnels[r.homeTunnel].name)), "
                + "standby \(c.instances[r.standby].name) (tunnel \(c.tunnels[r.standbyTunnel].name))\n"
        }
        let t = c.timings
        out +=
            "check every \(MonitorCore.seconds(t.checkInterval)), fall \(t.fall), rise \(t.rise), failback hold \(MonitorCore.seconds(t.failbackHold))\n"
        out +=
            c.restart.enabled
            ? "restarts: after \(MonitorCore.seconds(c.restart.silentAfter)) silent, at most \(c.restart.limit) per \(MonitorCore.seconds(c.restart.window))\n"
            : "restarts: off\n"
        for w in c.warnings { out += "warning: \(w)\n" }
        return out
    }
}
