import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// swvpn-monitor against a local EC2: AWSLab's moto (EC2 and instance metadata on one port, request
/// recorder), seeded with the four-instance layout, and either scripts/lib/fake_health.py standing in for
/// the four swvpnd /health listeners or real swvpnd listeners the caller started. Everything started here
/// is stopped by PID in `stop()`.
final class MonitorStand {
    let dir: URL
    let lab: AWSLab
    let motoURL: String
    let topology: AWSLab.Topology
    /// Per instance name: the /health URL its monitor config line names.
    let healthURLs: [String: String]
    private var healthPorts: [String: Int] = [:]
    private let health: Daemon?
    private var controlPort = 0
    private(set) var monitor: Daemon?
    /// The timing lines of the monitor's config (fast, so each scenario takes seconds).
    var timings = "check-interval 1\nhealth-timeout 0.8\nfall 2\nrise 2\nec2-interval 2\n"

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

    /// With `netns`, moto and the monitor run in that namespace (moto on its 127.0.0.1) and `healthURLs`
    /// are real swvpnd listeners reachable from it; without, fake_health.py answers on 127.0.0.1 here.
    init(netns: String? = nil, healthURLs given: [String: String]? = nil) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "moncore-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        lab = try AWSLab(netns: netns)
        motoURL = String(lab.motoURL.absoluteString.dropLast(lab.motoURL.absoluteString.hasSuffix("/") ? 1 : 0))
        topology = try lab.seed()
        if let given {
            healthURLs = given
            health = nil
            return
        }
        var ports: [String: Int] = [:]
        for name in topology.instances.keys.sorted() { ports[name] = try LoopbackPort.free() }
        healthPorts = ports
        healthURLs = ports.mapValues { "http://127.0.0.1:\($0)/health" }
        let fake = Paths.scriptsLib.appendingPathComponent("fake_health.py").path
        let daemon = try Daemon(
            label: "fake-health", args: ["python3", fake] + ports.values.sorted().map(String.init),
            logPath: dir.appendingPathComponent("health.log").path)
        health = daemon
        try daemon.waitForLog("ready")
        let control = daemon.log().split(separator: "\n").first { $0.hasPrefix("control ") }
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
        text += timings
        for (name, i) in topology.instances.sorted(by: { $0.key < $1.key }) {
            text += "instance \(name) \(i.instanceId) \(i.eniId) \(healthURLs[name]!)\n"
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
            label: "swvpn-monitor", args: lab.inNetns([try Self.monitorBinary(), "run", "--config", path]),
            logPath: dir.appendingPathComponent("monitor.log").path)
        monitor = daemon
        // Adopted and every tunnel up: the starting point of each scenario.
        try daemon.waitForLog("adopted B", timeout: 30)
        try waitForStatus("both tunnels up", timeout: 30) { s in s.tunnels.allSatisfy { $0.status == "up" } }
    }

    /// `swvpn-monitor run` that is expected to stop by itself (a start-up refusal): its exit and output.
    func runMonitorExpectingExit(_ extra: String = "") throws -> CommandResult {
        let path = dir.appendingPathComponent("monitor-once.conf").path
        try config(extra).write(toFile: path, atomically: true, encoding: .utf8)
        return try Shell.run(lab.inNetns([try Self.monitorBinary(), "run", "--config", path]), timeout: 60)
    }

    /// Sets an instance's source/destination check in moto behind the monitor's back; reads it back.
    @discardableResult
    func sourceDestCheck(_ instance: String, set value: Bool? = nil) throws -> Bool {
        let script = """
            import boto3, sys
            ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
            if sys.argv[3] != "-":
                ec2.modify_instance_attribute(InstanceId=sys.argv[2], SourceDestCheck={"Value": sys.argv[3] == "on"})
            print(ec2.describe_instance_attribute(InstanceId=sys.argv[2], Attribute="sourceDestCheck")["SourceDestCheck"]["Value"])
            """
        let arg = value.map { $0 ? "on" : "off" } ?? "-"
        let out = try python(script, motoURL, topology.instance(instance).instanceId, arg)
        return out.trimmingCharacters(in: .whitespacesAndNewlines) == "True"
    }

    /// A boto3 script against moto, run where moto is.
    @discardableResult
    private func python(_ script: String, _ arguments: String...) throws -> String {
        try Shell.must(lab.inNetns(["python3", "-c", script] + arguments))
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
            [String: String].self, from: Data(python(script, motoURL).utf8))
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
        try python(script, motoURL, topology.instance(instance).instanceId)
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
        return try python(script, motoURL).trimmingCharacters(in: .whitespacesAndNewlines)
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
        health?.stop()
        lab.teardown()
        try? FileManager.default.removeItem(at: dir)
    }

    private func httpGet(_ url: String) throws {
        let script = "import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=10).read()"
        try python(script, url)
    }
}
