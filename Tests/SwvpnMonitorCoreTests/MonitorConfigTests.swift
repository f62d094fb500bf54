import Foundation
import SwvpnConfig
import SwvpnMonitorCore
import Testing

@Suite struct MonitorConfigTests {
    static let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../conf/monitor.conf").standardizedFileURL

    func error(_ text: String) -> String {
        do {
            _ = try MonitorConfig.parse(text: text, source: "m.conf")
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func shippedSampleIsTheFourInstanceLayoutWithDefaults() throws {
        let text = try String(contentsOf: Self.sample, encoding: .utf8)
        let config = try MonitorConfig.parse(text: text, source: "monitor.conf")
        #expect(config.instances.map(\.name) == ["vpn1a", "vpn1b", "vpn2a", "vpn2b"])
        #expect(
            config.tunnels.map(\.healthURLs) == [
                ["http://10.0.0.5:9180/health", "http://172.16.0.5:9180/health"],
                ["http://10.0.2.5:9180/health", "http://172.16.2.5:9180/health"],
            ])
        #expect(
            config.routes.map {
                "\($0.tableId) \(config.tunnels[$0.homeTunnel].name)→\(config.tunnels[$0.standbyTunnel].name)"
            } == [
                "rtb-0aaaaaaaaaaaaaa1a A→B", "rtb-0aaaaaaaaaaaaaa1b B→A", "rtb-0bbbbbbbbbbbbbb2a A→B",
                "rtb-0bbbbbbbbbbbbbb2b B→A",
            ])
        #expect(config.region == nil)
        #expect(config.timings == MonitorConfig.Timings())
        #expect(config.timings.checkInterval == .seconds(1) && config.timings.fall == 2 && config.timings.rise == 5)
        #expect(config.timings.failbackHold == .seconds(60))
        #expect(config.warnings.isEmpty)
    }

    @Test func everyCommentedDirectiveInTheSampleParses() throws {
        // Uncommenting the sample's ";directive" lines gives a valid config (hub spoke included).
        let text = try String(contentsOf: Self.sample, encoding: .utf8)
        let spoke = """
            instance vpn3a i-3a eni-3a http://10.3.0.5:9180/health
            instance vpn3b i-3b eni-3b http://10.3.2.5:9180/health

            """
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lines.append(line.hasPrefix(";") && !line.hasPrefix("; ") ? String(line.dropFirst()) : String(line))
        }
        let all = spoke + lines.joined(separator: "\n")
        let config = try MonitorConfig.parse(text: all, source: "monitor.conf")
        #expect(config.region == "us-east-1")
        #expect(config.pairs.count == 2)
        #expect(config.routes.count == 5)
        #expect(config.tunnels[config.routes[4].homeTunnel].name == "A3")
        #expect(config.notify.exec == ["/usr/local/bin/page-oncall", "--from", "swvpn-monitor"])
        #expect(config.metricsListen == .init(address: "127.0.0.1", port: 9190))
        #expect(config.fixSourceDestCheck == false)
        #expect(
            try MonitorConfig.parse(text: hubConfig + "fix-source-dest-check yes\n", source: "h").fixSourceDestCheck)
    }

    @Test func hubWithSeveralSpokesIsOneConfig() throws {
        let config = try MonitorConfig.parse(text: hubConfig, source: "hub.conf")
        #expect(config.routes.map { config.tunnels[$0.homeTunnel].name } == ["A2", "A3", "A2", "A3"])
    }

    @Test(arguments: [
        ("bogus 1\n", "m.conf:1: bogus: unknown directive (see swvpn-monitor --help)"),
        (
            "instance a i-1 eni-1\ninstance b i-1 eni-2\n",
            "m.conf:2: instance: 'a' (m.conf:1) has the same instance or ENI id"
        ),
        ("instance a x-1 eni-1\n", "m.conf:1: instance: bad instance id 'x-1' (expected i-…)"),
        ("tunnel A a b\n", "m.conf:1: tunnel: unknown instance 'a' (name it in an instance line above)"),
        (
            "instance a i-1 eni-1\ninstance b i-2 eni-2\ntunnel A a b\n",
            "m.conf:3: tunnel: instance 'a' has no health URL: add one to its instance line or here"
        ),
        ("check-interval 0.0001\n", "m.conf:1: check-interval: bad check-interval '0.0001' (seconds, e.g. 1 or 0.5)"),
        ("fall\n", "m.conf:1: fall: takes 1 argument (usage: fall N)"),
        ("fall 0\n", "m.conf:1: fall: count 0 is out of range 1..100"),
        ("notify-exec page-me\n", "m.conf:1: notify-exec: 'page-me' must be an absolute path"),
        ("region 'us east'\n", "m.conf:1: region: bad region 'us east'"),
        ("fix-source-dest-check on\n", "m.conf:1: fix-source-dest-check: bad value 'on' (must be yes or no)"),
        ("\n", "m.conf: no route lines: nothing to fail over (see conf/monitor.conf)"),
    ])
    func errorsNameFileAndLine(text: String, expected: String) {
        #expect(error(text) == expected)
    }

    @Test func routeErrors() {
        let base = """
            instance a1 i-a1 eni-a1 http://10.0.0.5/health
            instance b1 i-b1 eni-b1 http://10.0.2.5/health
            instance a2 i-a2 eni-a2 http://172.16.0.5/health
            instance b2 i-b2 eni-b2 http://172.16.2.5/health
            tunnel A a1 a2
            tunnel B b1 b2
            pair A B

            """
        #expect(
            error(base + "route rtb-1 172.16.0.1/16 a1 b1\n")
                == "m.conf:8: route: destination '172.16.0.1/16' has host bits set")
        #expect(
            error(base + "route rtb-1 172.16.0.0/16 a1 b2\n")
                == "m.conf:8: route: no pair has a tunnel from a1 and one from b2 on the same side")
        #expect(
            error(base + "route rtb-1 172.16.0.0/16 a1 b1\nroute rtb-1 172.16.0.0/16 b1 a1\n")
                == "m.conf:9: route: rtb-1 172.16.0.0/16 is already owned by the route at m.conf:8")
        #expect(
            error(base + "route rtb-1 172.16.0.0/16 a1 b1 B\n").hasPrefix(
                "m.conf:8: route: tunnel 'B' does not join a1"))
        #expect(
            error(base.replacingOccurrences(of: "pair A B\n", with: "") + "route rtb-1 172.16.0.0/16 a1 b1\n")
                == "m.conf:7: route: no pair has a tunnel from a1 and one from b1 on the same side")
        #expect(error(base + "pair A B\n") == "m.conf:8: pair: tunnel already in the pair at m.conf:7")
    }
}
