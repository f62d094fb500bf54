import Testing

@testable import SwvpnHealth

struct MetricSampleTests {
    @Test func namesFollowPrometheusConventions() {
        let samples = Fixtures.upSnapshot().metricSamples
        for s in samples {
            #expect(s.name.hasPrefix("swvpnd_"))
            #expect(s.name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
            #expect((s.kind == .counter) == s.name.hasSuffix("_total"), "\(s.name)")
            #expect(!s.help.isEmpty)
        }
        // One help and kind per name.
        let byName = Dictionary(grouping: samples, by: \.name)
        for (_, group) in byName { #expect(Set(group.map(\.help)).count == 1 && Set(group.map(\.kind)).count == 1) }
    }

    @Test func valuesComeFromTheSnapshot() {
        let samples = Fixtures.upSnapshot().metricSamples
        func value(_ name: String, _ label: (String, String)? = nil) -> Double? {
            samples.first { $0.name == name && (label == nil || $0.labels.contains { $0 == label! }) }?.value
        }
        #expect(value("swvpnd_tunnel_state", ("state", "up")) == 1)
        #expect(value("swvpnd_tunnel_state", ("state", "waiting")) == 0)
        #expect(value("swvpnd_tunnel_healthy") == 1)
        #expect(value("swvpnd_link_read_bytes_total") == 3_600_000)
        #expect(value("swvpnd_dropped_packets_total", ("reason", "bad_hmac")) == 3)
        #expect(value("swvpnd_restarts_total", ("reason", "ping-restart")) == 1)
        #expect(value("swvpnd_probe_rtt_seconds") == 0.0008125)
        #expect(value("swvpnd_probe_loss_ratio") == 0.1)
        var noProbe = Fixtures.upSnapshot()
        noProbe.probe = nil
        #expect(!noProbe.metricSamples.contains { $0.name.hasPrefix("swvpnd_probe_") })
    }
}
