import Foundation
import Testing

/// swvpn-monitor end to end against moto: the exact writes EC2 received, from moto's request recorder.
@Suite(.serialized) struct MonitorMotoTests {
    @Test func hardDeathOfOneTunnelMovesBothTablesAndReadsThemBack() async throws {
        let stand = try MonitorStand()
        defer { stand.stop() }
        // The notification hook: argv, no shell, the event named in its environment.
        let notified = stand.dir.appendingPathComponent("notified").path
        let program =
            #"import os; open("\#(notified)", "a").write(os.environ["SWVPN_MONITOR_EVENT"] + " " + os.environ["SWVPN_MONITOR_SUBJECT"] + chr(10))"#
        let topic = try stand.createTopic()
        try stand.startMonitor("notify-exec /usr/bin/python3 -c '\(program)'\nnotify-sns \(topic) \(stand.motoURL)\n")
        try await stand.startRecording()
        try stand.setHealth("vpn1a", "silent")
        try stand.waitForStatus("A's routes read back on standby", timeout: 30) { s in
            s.failovers == 1 && s.routes.allSatisfy { $0.target == $0.desired } && s.tunnels[0].routes == "standby"
        }
        try stand.watch(2)
        let writes = try await stand.recordedWrites()
        #expect(
            writes.sorted() == [stand.write("rt1a", to: "vpn1b"), stand.write("rt2a", to: "vpn2b")].sorted(),
            "\(stand.log)")
        let moto = try stand.motoTargets()
        #expect(moto["rt1a"] == stand.topology.instances["vpn1b"]!.eniId)
        #expect(moto["rt2a"] == stand.topology.instances["vpn2b"]!.eniId)
        #expect(moto["rt1b"] == stand.topology.instances["vpn1b"]!.eniId)
        #expect(moto["rt2b"] == stand.topology.instances["vpn2b"]!.eniId)
        #expect(stand.monitor?.log().contains("routes-verified A") == true)
        #expect(
            stand.monitor?.log().contains("source-dest-check") == false,
            "the seed turns the check off; the audit ran clean")
        let calls = try stand.status().ec2Calls
        let audit = calls.filter { $0.action == "DescribeInstanceAttribute" }
        #expect(audit.map { "\($0.code) \($0.count)" } == ["ok 4"])
        // The start-up permission check: moto carries route dry runs out (to the route's own target: no
        // change), so they are not confirmed, and do not stop the monitor; the writes above are all it made.
        let dryRuns = calls.filter { $0.action.hasSuffix("/DryRun") }.map { "\($0.action) \($0.code) \($0.count)" }
        #expect(dryRuns.sorted() == ["CreateRoute/DryRun ok 4", "ReplaceRoute/DryRun ok 4"])
        #expect(stand.monitor?.log().contains("preflight monitor: permission check: 2 of 10 calls allowed") == true)
        var lines: [String] = []
        for _ in 0..<150 where !(lines.contains("failover A") && lines.contains("routes-verified A")) {
            try stand.watch(0.1)  // the hook runs after the journal line, one program at a time
            lines =
                (try? String(contentsOfFile: notified, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        }
        #expect(lines.contains("failover A") && lines.contains("routes-verified A"), "notify-exec got: \(lines)")
        let published = try await stand.recordedPublishes(topic: topic)
        #expect(
            published.contains("swvpn-monitor failover A") && published.contains("swvpn-monitor routes-verified A"),
            "SNS got: \(published)")
    }

    @Test func bothTunnelsDownWritesNothing() async throws {
        let stand = try MonitorStand()
        defer { stand.stop() }
        for tool in ["curl", "promtool"] where Prerequisites.which(tool) == nil {
            throw HarnessError("`\(tool)` missing (apt-get install curl prometheus; scripts/test.sh installs them)")
        }
        let metricsURL = "http://127.0.0.1:19611/metrics"
        try stand.startMonitor("metrics-listen 127.0.0.1 19611\n")
        try await stand.startRecording()
        try stand.setAllHealth("down")
        try stand.waitForStatus("both tunnels down", timeout: 30) { s in s.tunnels.allSatisfy { $0.status == "down" } }
        try stand.watch(3)
        #expect(try await stand.recordedWrites() == [], "\(stand.log)")
        #expect(stand.monitor?.log().contains("both-down") == true)

        // metrics-listen serves what `status --metrics` prints, and it passes promtool.
        let file = stand.dir.appendingPathComponent("metrics.txt").path
        _ = try Shell.must(["curl", "-sSf", "-o", file, metricsURL])
        let scraped = try String(contentsOfFile: file, encoding: .utf8)
        #expect(scraped.contains("swvpn_monitor_tunnel_up{tunnel=\"A\"} 0"), "\(scraped)")
        let check = try Shell.run(["sh", "-c", "promtool check metrics < \(file)"])
        #expect(check.succeeded, "promtool: \(check.summary)")
        let other = try Shell.must([
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:19611/health",
        ])
        #expect(other.trimmingCharacters(in: .whitespacesAndNewlines) == "404")
    }

    @Test func isolatedMonitorWritesNothing() async throws {
        let stand = try MonitorStand()
        defer { stand.stop() }
        try stand.startMonitor()
        try await stand.startRecording()
        // No swvpnd answers while EC2 says every instance runs: the monitor is the one cut off.
        try stand.setAllHealth("silent")
        try stand.waitForStatus("isolation", timeout: 30) { s in s.isolated }
        try stand.watch(4)
        #expect(try await stand.recordedWrites() == [], "\(stand.log)")
        #expect(stand.monitor?.log().contains("isolated monitor") == true)
    }

    @Test func failbackAfterTheHoldMovesBothTablesHome() async throws {
        let stand = try MonitorStand()
        defer { stand.stop() }
        // vpn1b forwards nothing with its source/destination check on: the monitor turns it off at start.
        #expect(try stand.sourceDestCheck("vpn1b", set: true))
        try stand.startMonitor("failback-hold 3\nfix-source-dest-check yes\n")
        try await stand.startRecording()
        try stand.setHealth("vpn2a", "down")
        try stand.waitForStatus("failover", timeout: 30) { s in
            s.failovers == 1 && s.routes.allSatisfy { $0.target == $0.desired }
        }
        try stand.setHealth("vpn2a", "ok")
        try stand.waitForStatus("failback read back", timeout: 30) { s in
            s.failbacks == 1 && s.routes.allSatisfy { $0.target == $0.desired } && s.tunnels[0].routes == "home"
        }
        try stand.watch(2)
        let writes = try await stand.recordedWrites()
        #expect(writes.count == 4, "\(stand.log)")
        #expect(Set(writes.prefix(2)) == [stand.write("rt1a", to: "vpn1b"), stand.write("rt2a", to: "vpn2b")])
        #expect(Set(writes.suffix(2)) == [stand.write("rt1a", to: "vpn1a"), stand.write("rt2a", to: "vpn2a")])
        let moto = try stand.motoTargets()
        #expect(moto["rt1a"] == stand.topology.instances["vpn1a"]!.eniId)
        #expect(moto["rt2a"] == stand.topology.instances["vpn2a"]!.eniId)

        #expect(try stand.sourceDestCheck("vpn1b") == false, "\(stand.log)")
        let vpn1b = stand.topology.instance("vpn1b").instanceId
        #expect(
            stand.monitor?.log().contains("source-dest-check vpn1b: \(vpn1b): source/destination check off (read back)")
                == true)
        let calls = try stand.status().ec2Calls.map { "\($0.action) \($0.code) \($0.count)" }
        #expect(
            calls.contains("ModifyInstanceAttribute ok 1") && calls.contains("DescribeInstanceAttribute ok 5"),
            "\(calls)")
        #expect(calls.contains("ModifyInstanceAttribute/DryRun DryRunOperation 4"), "\(calls)")
    }

    @Test func instanceStoppedBehindTheMonitorsBackIsStartedAfterItsRoutesMoved() async throws {
        let stand = try MonitorStand()
        defer { stand.stop() }
        try stand.startMonitor("restart yes\n")
        try await stand.startRecording()
        try stand.stopBehindTheMonitorsBack("vpn2a")
        try stand.setHealth("vpn2a", "silent")  // a stopped instance's swvpnd does not answer
        try stand.waitForStatus("failover read back", timeout: 30) { s in
            s.failovers == 1 && s.routes.allSatisfy { $0.target == $0.desired }
        }
        let deadline = Date().addingTimeInterval(30)
        var actions: [String] = []
        while Date() < deadline, !actions.contains(where: { $0.hasPrefix("StartInstances") }) {
            try stand.watch(0.5)
            actions = try await stand.recordedInstanceActions()
        }
        try stand.watch(2)
        let vpn2a = stand.topology.instance("vpn2a").instanceId
        #expect(
            try await stand.recordedInstanceActions() == ["StopInstances \(vpn2a)", "StartInstances \(vpn2a)"],
            "\(stand.log)")
        // `restart yes`: every rung's permission was dry-run at start, on every instance (moto honours DryRun there).
        let dryRuns = try stand.status().ec2Calls.filter { $0.action.hasSuffix("Instances/DryRun") }
        #expect(
            dryRuns.map { "\($0.action) \($0.code) \($0.count)" }.sorted() == [
                "RebootInstances/DryRun DryRunOperation 4", "StartInstances/DryRun DryRunOperation 4",
                "StopInstances/DryRun DryRunOperation 4",
            ])
        #expect(
            try await stand.recordedWrites().sorted()
                == [stand.write("rt1a", to: "vpn1b"), stand.write("rt2a", to: "vpn2b")].sorted())
    }

    @Test func throttlingDuringAFailoverIsRetriedUntilBothTablesMoved() async throws {
        let stand = try MonitorStand()
        defer { stand.stop() }
        try stand.useFaultProxy()
        // A missing permission stops the monitor at start, naming it (the proxy answers as EC2 does).
        try await stand.lab.queueFaults([.init(fault: "deny", action: "ReplaceRoute", count: 1)])
        let refused = try stand.runMonitorExpectingExit()
        #expect(refused.status == 1, "\(refused.summary)")
        #expect(
            refused.stderr.contains(
                "EC2 refuses calls the monitor needs (UnauthorizedOperation): ec2:ReplaceRoute on rtb-"),
            "\(refused.summary)")
        #expect(try await stand.lab.faultLog().contains("ReplaceRoute:deny"))
        try await stand.lab.clearFaults()
        try stand.startMonitor()
        try await stand.startRecording()
        // Both ReplaceRoute calls are throttled on all three of their attempts: the monitor retries them.
        try await stand.lab.queueFaults([.init(fault: "throttle", action: "ReplaceRoute", count: 6)])
        try stand.setHealth("vpn1a", "silent")
        try stand.waitForStatus("A's routes read back on standby", timeout: 40) { s in
            s.failovers == 1 && s.routes.allSatisfy { $0.target == $0.desired } && s.tunnels[0].routes == "standby"
        }
        try stand.watch(2)
        #expect(
            try await stand.recordedWrites().sorted()
                == [stand.write("rt1a", to: "vpn1b"), stand.write("rt2a", to: "vpn2b")].sorted(),
            "\(stand.log)")
        let throttled = try await stand.lab.faultLog().filter { $0 == "ReplaceRoute:throttle" }
        #expect(throttled.count == 6)
        #expect(stand.log.components(separatedBy: "route-write-failed").count - 1 == 2)
        let calls = try stand.status().ec2Calls.filter { $0.action == "ReplaceRoute" }.map { "\($0.code) \($0.count)" }
            .sorted()
        #expect(calls == ["RequestLimitExceeded 2", "ok 2"])
    }
}
