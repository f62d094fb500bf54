import Foundation
import SwvpnMonitorCore
import Testing

@Suite struct MetricsTextTests {
    func rendered() throws -> String {
        var stand = try Stand(seedConfig)
        stand.run(until: 10)
        stand.alive["vpn1a"] = false
        stand.run(until: 60)
        let calls = [
            MetricsText.EC2CallKey(action: "ReplaceRoute", code: "ok"): 2,
            MetricsText.EC2CallKey(action: "DescribeRouteTables", code: "RequestLimitExceeded"): 1,
        ]
        return MetricsText.render(stand.core.snapshot, ec2Calls: calls)
    }

    @Test func carriesTheIssuesSeries() throws {
        let text = try rendered()
        for line in [
            #"swvpn_monitor_tunnel_up{tunnel="A"} 0"#,
            #"swvpn_monitor_tunnel_up{tunnel="B"} 1"#,
            #"swvpn_monitor_tunnel_on_standby{tunnel="A"} 1"#,
            #"swvpn_monitor_route_target{table="rtb-1a",destination="172.16.0.0/16",target="vpn1b"} 1"#,
            "swvpn_monitor_failovers_total 1",
            "swvpn_monitor_failover_seconds 1",
            #"swvpn_monitor_ec2_calls_total{action="DescribeRouteTables",code="RequestLimitExceeded"} 1"#,
            #"swvpn_monitor_restarts_total{step="reboot"} 1"#,
        ] {
            #expect(text.split(separator: "\n").contains(Substring(line)), "\(line)")
        }
    }

    /// Prometheus's own checker accepts the exposition (promtool from Debian's prometheus package).
    @Test func promtoolAcceptsIt() throws {
        let text = try rendered()
        let promtool = Process()
        promtool.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        promtool.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        promtool.standardInput = input
        promtool.standardOutput = output
        promtool.standardError = output
        try promtool.run()  // a missing promtool fails here: scripts/test.sh installs it
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        promtool.waitUntilExit()
        #expect(promtool.terminationStatus == 0, "\(report)")
        #expect(report.isEmpty, "lint: \(report)")
    }
}
