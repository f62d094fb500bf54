import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// swvpn-monitor against a local EC2: AWSLab's moto (EC2 and instance metadata on one port, request
/// recorder), seeded with the four-instance layout, and scripts/lib/fake_health.py standing in for the
/// four swvpnd /health listeners. Everything started here is stopped by PID in `stop()`.
final class MonitorStand {
    let dir: URL
    let lab: AWSLab
    let motoURL: String
    let topology: AWSLab.Topology
    let healthPorts: [String: Int]
    private let health: Daemon
    private var controlPort = 0
    private(set) var monitor: Daemon?

    static func monitorBinary() throws -> String {
        let path =
            ProcessInfo.processInfo.environment["SWVPN_MONITOR_BIN"]
            ?? Paths.packageRoot.appendingPathComponent(".build/debug/swvpn-monitor").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError(
                "swvpn-monitor not found at \(path): `swift build --product swvpn-monitor` or set SWVPN_MONITOR_BIN")
        }
        return path
    }

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "moncore-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        lab = try AWSLab()
        motoURL = String(lab.motoURL.absoluteString.dropLast(lab.motoURL.absoluteString.hasSuffix("/") ? 1 : 0))
        topology = try lab.seed()
        var ports: [String: Int] = [:]
        for name in topology.instances.keys.sorted() { ports[name] = try LoopbackPort.free() }
        healthPorts = ports
        let fake = Paths.scriptsLib.appendingPathComponent("fake_health.py").path
        health = try Daemon(
            label: "fake-health", args: ["python3", fake] + ports.values.sorted().map(String.init),
            logPath: dir.appendingPathComponent("health.log").path)
        try health.waitForLog("ready")
        let control = health.log().split(separator: "\n").first { $0.hasPrefix("control ") }
        controlPort = Int(control?.dropFirst("control ".count) ?? "") ?? 0
    }

    var statusPath: String { dir.appendingPathComponent("status.json").path }

    /// monitor.conf for the seeded layout: fast timings so each scenario takes seconds, restarts only
    /// where a test asks (`restart yes`), region and credentials from moto's instance metadata.
    /// EC2 through monaws' fault proxy (throttling, 503s, delays) instead of straight to moto.
    private(set) var ec2Endpoint: String?

    func useFaultProxy() throws {
        let url = try lab.startFaultProxy().absoluteString
        ec2Endpoint = url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    func config(_ extra: String) -> String {
        var text = "ec2-endpoint \(ec2Endpoint ?? motoURL)\nimds-endpoint \(motoURL)\nstatus-file \(statusPath)\n"
        text += "check-interval 1\nhealth-timeout 0.8\nfall 2\nrise 2\nec2-interval 2\n"
        for (name, i) in topology.instances.sorted(by: { $0.key < $1.key }) {
            text += "instance \(name) \(i.instanceId) \(i.eniId) http://127.0.0.1:\(healthPorts[name]!)/health\n"
        }
        text += "tunnel A vpn1a vpn2a\ntunnel B vpn1b vpn2b\npair A B\n"
        for (_, t) in topology.tables.sorted(by: { $0.key < $1.key }) {
            text += "route \(t.id) \(t.destination) \(t.home) \(t.standby)\n"
        }
        return text + (extra.contains("restart yes") ? "" : "restart no\n") + extra
    }

    func startMonitor(_ extra: String = "") throws {
        let path = dir.appendingPathComponent("monitor.conf").path
        try config(extra).write(toFile: path, atomically: true, encoding: .utf8)
        _ = try Shell.must([try Self.monitorBinary(), "--check-config", "--config", path])
        let daemon = try Daemon(
            label: "swvpn-monitor", args: [try Self.monitorBinary(), "run", "--config", path],
            logPath: dir.appendingPathComponent("monitor.log").path)
        monitor = daemon
        // Adopted and every tunnel up: the starting point of each scenario.
        try daemon.waitForLog("adopted B", timeout: 30)
        try waitForStatus("both tunnels up", timeout: 30) { s in s.tunnels.allSatisfy { $0.status == "up" } }
    }

    func setHealth(_ instance: String, _ mode: String) throws {
        try httpGet("http://127.0.0.1:\(controlPort)/set?port=\(healthPorts[instance]!)&mode=\(mode)")
    }

    func setAllHealth(_ mode: String) throws {
        try httpGet("http://127.0.0.1:\(controlPort)/set?port=all&mode=\(mode)")
    }

    /// From here on, moto records every request (the seeding before is dropped).
    func startRecording() async throws { try await lab.startRecording() }

    /// Every ReplaceRoute/CreateRoute moto received since `startRecording`, as "TABLE DEST → ENI".
    func recordedWrites() async throws -> [String] {
        try await lab.recordedRequests().filter { $0.action == "ReplaceRoute" || $0.action == "CreateRoute" }.map { r in
            let p = r.parameters
            return
                "\(p["RouteTableId"] ?? "?") \(p["DestinationCidrBlock"] ?? "?") → \(p["NetworkInterfaceId"] ?? p["InstanceId"] ?? "?")"
        }
    }

    /// "TABLE DEST → ENI" for a table of the seed moved to `instance`.
    func write(_ table: String, to instance: String) -> String {
        let t = topology.tables[table]!
        return "\(t.id) \(t.destination) → \(topology.instances[instance]!.eniId)"
    }

    /// What moto itself holds now (not the monitor's view): table name → ENI.
    func motoTargets() throws -> [String: String] {
        let script = """
            import boto3, json, sys
            ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
            out = {}
            for t in ec2.describe_route_tables()["RouteTables"]:
                for r in t["Routes"]:
                    if r.get("NetworkInterfaceId"): out[t["RouteTableId"]] = r["NetworkInterfaceId"]
            print(json.dumps(out))
            """
        let byId = try JSONDecoder().decode(
            [String: String].self, from: Data(Shell.must(["python3", "-c", script, motoURL]).utf8))
        var result: [String: String] = [:]
        for (name, t) in topology.tables { result[name] = byId[t.id] }
        return result
    }

    /// StopInstances behind the monitor's back (boto3 straight to moto).
    func stopBehindTheMonitorsBack(_ instance: String) throws {
        let script = """
            import boto3, sys
            ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
            ec2.stop_instances(InstanceIds=[sys.argv[2]])
            """
        try Shell.must(["python3", "-c", script, motoURL, topology.instance(instance).instanceId])
    }

    /// Every write other than routes (restarts) moto received since `startRecording`, as "Action INSTANCE".
    func recordedInstanceActions() async throws -> [String] {
        try await lab.recordedRequests().filter { $0.action.hasSuffix("Instances") && !$0.action.hasPrefix("Describe") }
            .map { "\($0.action) \($0.parameters["InstanceId.1"] ?? "?")" }
    }

    /// An SNS topic in moto, for notify-sns; returns its ARN.
    func createTopic() throws -> String {
        let script = """
            import boto3, sys
            sns = boto3.client("sns", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
            print(sns.create_topic(Name="vpn-alerts")["TopicArn"])
            """
        return try Shell.must(["python3", "-c", script, motoURL]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The Subject of every SNS Publish moto received since `startRecording`.
    func recordedPublishes(topic: String) async throws -> [String] {
        try await lab.recordedRequests().filter { $0.action == "Publish" && $0.parameters["TopicArn"] == topic }
            .map { $0.parameters["Subject"] ?? "" }
    }

    struct Status: Decodable {
        struct Snapshot: Decodable {
            struct Tunnel: Decodable {
                var name: String
                var status: String
                var routes: String
            }
            struct Route: Decodable {
                var table: String
                var target: String
                var desired: String
            }
            var tunnels: [Tunnel]
            var routes: [Route]
            var isolated: Bool
            var failovers: Int
            var failbacks: Int
            var routeWrites: Int
        }
        struct Call: Decodable {
            var action: String
            var code: String
            var count: Int
        }
        var snapshot: Snapshot
        var updated: Double
        var ec2Calls: [Call]
    }

    func status() throws -> Status {
        try JSONDecoder().decode(Status.self, from: Data(contentsOf: URL(fileURLWithPath: statusPath)))
    }

    /// Polls the monitor's status file until `condition` holds (a wait, not a timing assertion).
    @discardableResult
    func waitForStatus(_ what: String, timeout: Double, _ condition: (Status.Snapshot) -> Bool) throws -> Status {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = try? status(), condition(status.snapshot) { return status }
            if let monitor, !monitor.isRunning {
                throw HarnessError(
                    "swvpn-monitor exited (\(monitor.process.terminationStatus)) waiting for \(what):\n\(monitor.log().tail(30))"
                )
            }
            if Date() >= deadline {
                throw HarnessError(
                    "no \(what) within \(Int(timeout)) s; status: \((try? String(contentsOfFile: statusPath, encoding: .utf8)) ?? "none")\nmonitor log:\n\(monitor?.log().tail(30) ?? "")"
                )
            }
            usleep(100_000)
        }
    }

    /// Lets the monitor run for `seconds` more (for scenarios whose point is that nothing happens).
    func watch(_ seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let monitor, !monitor.isRunning {
                throw HarnessError("swvpn-monitor exited:\n\(monitor.log().tail(30))")
            }
            usleep(100_000)
        }
    }

    /// The monitor's log, for failure messages.
    var log: String { monitor?.log().tail(40) ?? "" }

    func stop() {
        monitor?.stop()
        health.stop()
        lab.teardown()
        try? FileManager.default.removeItem(at: dir)
    }

    private func httpGet(_ url: String) throws {
        let script = "import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=10).read()"
        try Shell.must(["python3", "-c", script, url])
    }
}
