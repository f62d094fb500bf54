/// `swvpnd status`: the snapshot for a person, laid out like `wg show`.
extension TunnelSnapshot {
    public var statusText: String {
        var lines = ["tunnel: \(tunnel)"]
        func add(_ label: String, _ value: String) { lines.append("  \(label): \(value)") }
        add("state", state.rawValue + (reason.map { " (\($0))" } ?? ""))
        add("peer", peer ?? "(none)")
        if let local { add("listening", local) }
        var device = "\(self.device) mtu \(mtu)"
        if let a = tunnelAddress { device += ", \(a)" + (tunnelPeerAddress.map { " -> \($0)" } ?? "") }
        add("device", device)
        add("latest authenticated packet", lastReceivedSeconds.map(Self.ago) ?? "never")
        add("latest packet sent", lastSentSeconds.map(Self.ago) ?? "never")
        add("transfer", "\(Self.bytes(traffic.tunWriteBytes)) received, \(Self.bytes(traffic.tunReadBytes)) sent")
        if let p = probe {
            let rtt = p.rttMilliseconds.map { JSONWriter.decimal($0, places: 3) + " ms" } ?? "-"
            let last = p.lastReplySeconds.map(Self.ago) ?? "never"
            add("probe", "rtt \(rtt), loss \(p.lossPercent)%, latest reply \(last)")
        }
        if !routesInstalled.isEmpty || !routesMissing.isEmpty {
            var text = "\(routesInstalled.count) installed"
            if !routesMissing.isEmpty { text += ", missing: " + routesMissing.joined(separator: ", ") }
            add("routes", text)
        }
        if let f = ipForward { add("ip_forward", f ? "on" : "off") }
        let drops = self.drops.filter { $0.count > 0 }
        add("drops", drops.isEmpty ? "none" : drops.map { "\($0.count) \($0.reason)" }.joined(separator: ", "))
        let restarts = self.restarts.filter { $0.count > 0 }
        if !restarts.isEmpty { add("restarts", restarts.map { "\($0.count) \($0.reason)" }.joined(separator: ", ")) }
        add("uptime", Self.duration(uptimeSeconds))
        return lines.joined(separator: "\n")
    }

    /// `wg show`'s style: "1 minute, 5 seconds ago".
    static func ago(_ seconds: Int64) -> String {
        seconds <= 0 ? "just now" : duration(seconds) + " ago"
    }

    static func duration(_ seconds: Int64) -> String {
        let units: [(Int64, String)] = [(86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")]
        var rest = max(seconds, 0)
        var parts: [String] = []
        for (size, name) in units where rest >= size {
            let n = rest / size
            rest %= size
            parts.append("\(n) \(name)\(n == 1 ? "" : "s")")
        }
        return parts.isEmpty ? "0 seconds" : parts.joined(separator: ", ")
    }

    /// Binary units with two decimals, as `wg show` prints transfer.
    static func bytes(_ n: UInt64) -> String {
        if n < 1024 { return "\(n) B" }
        var value = Double(n) / 1024
        for unit in ["KiB", "MiB", "GiB", "TiB"] {
            if value < 1024 || unit == "TiB" { return JSONWriter.decimal(value, places: 2) + " " + unit }
            value /= 1024
        }
        return "\(n) B"
    }
}
