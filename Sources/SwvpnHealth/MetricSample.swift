/// One Prometheus sample derived from a snapshot: the metric names and meanings live here (pure),
/// the text exposition is left to the Prometheus library in the I/O layer.
public struct MetricSample: Sendable, Equatable {
    public enum Kind: String, Sendable { case counter, gauge }

    /// Full name, `swvpnd_` prefix, units in the name, counters end in `_total`.
    public var name: String
    public var help: String
    public var kind: Kind
    /// Besides `tunnel`, which every sample carries.
    public var labels: [(String, String)]
    public var value: Double

    public init(_ name: String, _ kind: Kind, _ help: String, _ value: Double, labels: [(String, String)] = []) {
        self.name = name
        self.kind = kind
        self.help = help
        self.value = value
        self.labels = labels
    }

    public static func == (a: MetricSample, b: MetricSample) -> Bool {
        a.name == b.name && a.kind == b.kind && a.help == b.help && a.value == b.value
            && a.labels.map(\.0) == b.labels.map(\.0) && a.labels.map(\.1) == b.labels.map(\.1)
    }
}

extension TunnelSnapshot {
    /// Every metric swvpnd exports, in a fixed order (README "Monitoring" lists them).
    public var metricSamples: [MetricSample] {
        var s: [MetricSample] = []
        for st in State.allCases {
            s.append(
                MetricSample(
                    "swvpnd_tunnel_state", .gauge, "1 for the tunnel's current state, 0 for the others.",
                    state == st ? 1 : 0, labels: [("state", st.rawValue)]))
        }
        s.append(MetricSample("swvpnd_tunnel_healthy", .gauge, "1 when GET /health answers 200.", isHealthy ? 1 : 0))
        s.append(
            MetricSample("swvpnd_uptime_seconds", .gauge, "Seconds since the tunnel was set up.", Double(uptimeSeconds))
        )
        if let r = lastReceivedSeconds {
            s.append(
                MetricSample(
                    "swvpnd_last_received_seconds", .gauge,
                    "Seconds since the last authenticated packet from the peer.", Double(r)))
        }
        if let t = lastSentSeconds {
            s.append(
                MetricSample(
                    "swvpnd_last_sent_seconds", .gauge, "Seconds since the last packet sent to the peer.", Double(t)))
        }
        s.append(MetricSample("swvpnd_tun_mtu_bytes", .gauge, "MTU of the TUN device.", Double(mtu)))
        s.append(
            MetricSample(
                "swvpnd_routes_installed", .gauge, "Routes of the config that are installed.",
                Double(routesInstalled.count)))
        s.append(
            MetricSample(
                "swvpnd_routes_missing", .gauge, "Routes of the config that are not installed.",
                Double(routesMissing.count)))
        if let f = ipForward {
            s.append(MetricSample("swvpnd_ip_forward", .gauge, "net.ipv4.ip_forward (1 on, 0 off).", f ? 1 : 0))
        }
        let t = traffic
        s.append(
            MetricSample(
                "swvpnd_tun_read_bytes_total", .counter, "Bytes read from the TUN device (sent into the tunnel).",
                Double(t.tunReadBytes)))
        s.append(
            MetricSample(
                "swvpnd_tun_write_bytes_total", .counter, "Bytes written to the TUN device (received from the tunnel).",
                Double(t.tunWriteBytes)))
        s.append(
            MetricSample(
                "swvpnd_link_read_bytes_total", .counter, "Bytes received on the link socket.", Double(t.linkReadBytes))
        )
        s.append(
            MetricSample(
                "swvpnd_link_write_bytes_total", .counter, "Bytes sent on the link socket.", Double(t.linkWriteBytes)))
        s.append(
            MetricSample(
                "swvpnd_link_read_packets_total", .counter, "Packets received on the link socket.",
                Double(t.linkReadPackets)))
        s.append(
            MetricSample(
                "swvpnd_link_write_packets_total", .counter, "Packets sent on the link socket.",
                Double(t.linkWritePackets)))
        for d in drops {
            s.append(
                MetricSample(
                    "swvpnd_dropped_packets_total", .counter, "Packets dropped, by reason.", Double(d.count),
                    labels: [("reason", d.reason)]))
        }
        for r in restarts {
            s.append(
                MetricSample(
                    "swvpnd_restarts_total", .counter, "Session restarts, by reason.", Double(r.count),
                    labels: [("reason", r.reason)]))
        }
        if let p = probe {
            s.append(MetricSample("swvpnd_probe_sent_total", .counter, "In-tunnel ICMP probes sent.", Double(p.sent)))
            s.append(
                MetricSample(
                    "swvpnd_probe_received_total", .counter, "In-tunnel ICMP probe replies received.",
                    Double(p.received)))
            s.append(
                MetricSample(
                    "swvpnd_probe_loss_ratio", .gauge, "Probe loss over the last 10 probes (0..1).",
                    Double(p.lossPercent) / 100))
            if let rtt = p.rttMilliseconds {
                s.append(
                    MetricSample(
                        "swvpnd_probe_rtt_seconds", .gauge, "Round-trip time of the latest probe reply.", rtt / 1000))
            }
            if let age = p.lastReplySeconds {
                s.append(
                    MetricSample(
                        "swvpnd_probe_last_reply_seconds", .gauge, "Seconds since the latest probe reply.", Double(age))
                )
            }
        }
        return s
    }
}
