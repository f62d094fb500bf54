import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// swvpn-monitor against a local EC2: moto's server on 127.0.0.1 (EC2 and instance metadata on one
/// port, request recorder on), seeded with the four-instance layout by scripts/lib/moto_seed.py, and
/// scripts/lib/fake_health.py standing in for the four swvpnd /health listeners. Everything started
/// here is stopped by PID in `stop()`.
final class MonitorStand {
    struct Topology: Decodable {
        struct Instance: Decodable { var instanceId: String; var eniId: String }
        struct Table: Decodable { var id: String; var destination: String; var home: String; var standby: String }
        var region: String
        var instances: [String: Instance]
        var tables: [String: Table]
    }

    let dir: URL
    let motoURL: String
    let topology: Topology
    let healthPorts: [String: Int]
    private let moto: Daemon
    private let health: Daemon
    private var controlPort = 0
    private(set) var monitor: Daemon?

    static func monitorBinary() throws -> String {
        let path = ProcessInfo.processInfo.environment["SWVPN_MONITOR_BIN"]
            ?? Paths.packageRoot.appendingPathComponent(".build/debug/swvpn-monitor").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("swvpn-monitor not found at \(path): `swift build --product swvpn-monitor` or set SWVPN_MONITOR_BIN")
        }
        return path
    }

    init() throws {
        for tool in ["moto_server", "python3"] where Prerequisites.which(tool) == nil {
            throw HarnessError("`\(tool)` not in PATH: pip install 'moto[server]' (scripts/test.sh does)")
        }
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("moncore-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let port = try freeLoopbackPort()
        motoURL = "http://127.0.0.1:\(port)"
        moto = try Daemon(label: "moto", args: ["env", "MOTO_ENABLE_RECORDING=True", "MOTO_RECORDER_FILEPATH=\(dir.path)/recording",
                                               "moto_server", "-H", "127.0.0.1", "-p", "\(port)"],
                          logPath: dir.appendingPathComponent("moto.log").path)
        try moto.waitForLog("Running on", timeout: 30)
        let seed = Paths.scriptsLib.appendingPathComponent("moto_seed.py").path
        topology = try JSONDecoder().decode(Topology.self, from: Data(Shell.must(["python3", seed, motoURL], timeout: 60).utf8))
        var ports: [String: Int] = [:]
        for name in topology.instances.keys.sorted() { ports[name] = try freeLoopbackPort() }
        healthPorts = ports
        let fake = Paths.scriptsLib.appendingPathComponent("fake_health.py").path
        health = try Daemon(label: "fake-health", args: ["python3", fake] + ports.values.sorted().map(String.init),
                            logPath: dir.appendingPathComponent("health.log").path)
        try health.waitForLog("ready")
        let control = health.log().split(separator: "\n").first { $0.hasPrefix("control ") }
        controlPort = Int(control?.dropFirst("control ".count) ?? "") ?? 0
    }

    var statusPath: String { dir.appendingPathComponent("status.json").path }

    /// monitor.conf for the seeded layout: fast timings so each scenario takes seconds, no restarts
    /// (moto simulates no boot), region and credentials from moto's instance metadata.
    func config(_ extra: String) -> String {
        var text = "ec2-endpoint \(motoURL)\nimds-endpoint \(motoURL)\nstatus-file \(statusPath)\n"
        text += "check-interval 1\nhealth-timeout 0.8\nfall 2\nrise 2\nec2-interval 2\nrestart no\n"
        for (name, i) in topology.instances.sorted(by: { $0.key < $1.key }) {
            text += "instance \(name) \(i.instanceId) \(i.eniId) http://127.0.0.1:\(healthPorts[name]!)/health\n"
        }
        text += "tunnel A vpn1a vpn2a\ntunnel B vpn1b vpn2b\npair A B\n"
        for (_, t) in topology.tables.sorted(by: { $0.key < $1.key }) {
            text += "route \(t.id) \(t.destination) \(t.home) \(t.standby)\n"
        }
        return text + extra
    }

    func startMonitor(_ extra: String = "") throws {
        let path = dir.appendingPathComponent("monitor.conf").path
        try config(extra).write(toFile: path, atomically: true, encoding: .utf8)
        _ = try Shell.must([try Self.monitorBinary(), "--check-config", "--config", path])
        let daemon = try Daemon(label: "swvpn-monitor", args: [try Self.monitorBinary(), "run", "--config", path],
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
    func startRecording() throws {
        try httpPost("\(motoURL)/moto-api/recorder/reset-recording")
        try httpPost("\(motoURL)/moto-api/recorder/start-recording")
    }

    /// Every ReplaceRoute/CreateRoute moto received since `startRecording`, as "TABLE DEST → ENI".
    func recordedWrites() throws -> [String] {
        try httpPost("\(motoURL)/moto-api/recorder/stop-recording")
        let text = try httpGet("\(motoURL)/moto-api/recorder/download-recording")
        var writes: [String] = []
        for line in text.split(separator: "\n") {
            guard let entry = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let body = entry["body"] as? String else { continue }
            let form = (entry["body_encoded"] as? Bool == true) ? String(decoding: Data(base64Encoded: body) ?? Data(), as: UTF8.self) : body
            var fields: [String: String] = [:]
            for pair in form.split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                if kv.count == 2 { fields[kv[0]] = kv[1] }
            }
            guard let action = fields["Action"], action == "ReplaceRoute" || action == "CreateRoute" else { continue }
            writes.append("\(fields["RouteTableId"] ?? "?") \(fields["DestinationCidrBlock"] ?? "?") → \(fields["NetworkInterfaceId"] ?? fields["InstanceId"] ?? "?")")
        }
        return writes
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
        let byId = try JSONDecoder().decode([String: String].self, from: Data(Shell.must(["python3", "-c", script, motoURL]).utf8))
        var result: [String: String] = [:]
        for (name, t) in topology.tables { result[name] = byId[t.id] }
        return result
    }

    struct Status: Decodable {
        struct Snapshot: Decodable {
            struct Tunnel: Decodable { var name: String; var status: String; var routes: String }
            struct Route: Decodable { var table: String; var target: String; var desired: String }
            var tunnels: [Tunnel]
            var routes: [Route]
            var isolated: Bool
            var failovers: Int
            var failbacks: Int
            var routeWrites: Int
        }
        var snapshot: Snapshot
        var updated: Double
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
                throw HarnessError("swvpn-monitor exited (\(monitor.process.terminationStatus)) waiting for \(what):\n\(monitor.log().tail(30))")
            }
            if Date() >= deadline {
                throw HarnessError("no \(what) within \(Int(timeout)) s; status: \((try? String(contentsOfFile: statusPath, encoding: .utf8)) ?? "none")\nmonitor log:\n\(monitor?.log().tail(30) ?? "")")
            }
            usleep(100_000)
        }
    }

    /// Lets the monitor run for `seconds` more (for scenarios whose point is that nothing happens).
    func watch(_ seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let monitor, !monitor.isRunning { throw HarnessError("swvpn-monitor exited:\n\(monitor.log().tail(30))") }
            usleep(100_000)
        }
    }

    /// The monitor's log, for failure messages.
    var log: String { monitor?.log().tail(40) ?? "" }

    func stop() {
        monitor?.stop()
        health.stop()
        moto.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    @discardableResult
    private func httpGet(_ url: String) throws -> String { try http("GET", url) }
    private func httpPost(_ url: String) throws { _ = try http("POST", url) }

    private func http(_ method: String, _ url: String) throws -> String {
        let script = "import sys, urllib.request as u; r = u.urlopen(u.Request(sys.argv[2], method=sys.argv[1], data=b'' if sys.argv[1] == 'POST' else None), timeout=10); sys.stdout.write(r.read().decode())"
        return try Shell.must(["python3", "-c", script, method, url])
    }
}

/// A TCP port on 127.0.0.1 nobody listens on right now (bind to port 0, read it back, close).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
            bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
        }
    }
    guard bound else { throw HarnessError("bind 127.0.0.1:0: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}
