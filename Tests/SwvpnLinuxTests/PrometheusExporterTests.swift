import SwvpnHealth
import Testing

@testable import SwvpnLinux

@Suite struct PrometheusExporterTests {
    func snapshot(rx: UInt64, probe: Bool = true) -> TunnelSnapshot {
        var s = TunnelSnapshot(tunnel: "ignored", version: "1")
        s.state = .up
        s.traffic.linkReadBytes = rx
        s.drops = [.init("bad_hmac", 2)]
        s.restarts = [.init("ping-restart", 1)]
        if probe {
            s.probe = ProbeStatistics(
                intervalSeconds: 1, sent: 3, received: 3, lossPercent: 0, rttMilliseconds: 1.5,
                lastReplyMilliseconds: 0, thresholdMilliseconds: 2_500)
        }
        return s
    }

    func lines(_ text: String) -> Set<String> { Set(text.split(separator: "\n").map(String.init)) }

    @Test func writesHelpTypeAndLabelledSamples() {
        let e = PrometheusExporter(tunnel: "site \"a\"")
        let text = lines(e.render(snapshot(rx: 100)))
        #expect(text.contains("# TYPE swvpnd_link_read_bytes_total counter"))
        #expect(text.contains("# HELP swvpnd_link_read_bytes_total Bytes received on the link socket."))
        #expect(text.contains("swvpnd_link_read_bytes_total{tunnel=\"site \\\"a\\\"\"} 100"))
        #expect(text.contains("swvpnd_dropped_packets_total{tunnel=\"site \\\"a\\\"\",reason=\"bad_hmac\"} 2"))
        #expect(text.contains("swvpnd_tunnel_state{tunnel=\"site \\\"a\\\"\",state=\"up\"} 1.0"))
        #expect(text.contains("swvpnd_probe_rtt_seconds{tunnel=\"site \\\"a\\\"\"} 0.0015"))
    }

    @Test func countersFollowTheSnapshotThroughAResetAndVanishingSamples() {
        let e = PrometheusExporter(tunnel: "t")
        _ = e.render(snapshot(rx: 100))
        var text = lines(e.render(snapshot(rx: 250)))
        #expect(text.contains("swvpnd_link_read_bytes_total{tunnel=\"t\"} 250"))
        // A SIGHUP rebuilds the data plane: its counters start again from zero.
        text = lines(e.render(snapshot(rx: 40, probe: false)))
        #expect(text.contains("swvpnd_link_read_bytes_total{tunnel=\"t\"} 40"))
        #expect(!text.contains { $0.hasPrefix("swvpnd_probe_") })
    }
}
