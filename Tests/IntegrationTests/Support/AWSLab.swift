import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// A local EC2 for tests, all on 127.0.0.1 with free ports: moto's server (started with its request
/// recorder writing into our work dir), optionally a fault proxy in front of it and an IMDSv2 stub.
/// Every process is ours and stopped by PID in `teardown()` (meant for `defer`). No root needed.
///
/// Reusable by the monitor's tests: `seed()` builds the HA appendix topology (2 VPCs x 2 AZs, 4 VPN
/// instances with fixed private IPs, 4 route tables), `recordedRequests()`/`recordedWrites()` tell
/// exactly which API calls reached moto.
final class AWSLab {
    let workDir: String
    let motoURL: URL
    /// Set: moto (and the stubs) run in this network namespace, on its own 127.0.0.1, and everything here
    /// that talks to them (seeding, recorder, fault controls) goes through `ip netns exec`.
    let netns: String?
    private(set) var proxyURL: URL?
    private(set) var imdsURL: URL?
    private var daemons: [Daemon] = []
    private var tornDown = false

    /// Fails, never skips, when moto's server or boto3 is missing.
    static func requireTools() throws {
        var missing: [String] = []
        if Prerequisites.which("moto_server") == nil { missing.append("`moto_server` in PATH") }
        if Prerequisites.which("python3") == nil { missing.append("`python3` in PATH") }
        if Prerequisites.which("openssl") == nil { missing.append("`openssl` in PATH (apt-get install openssl)") }
        let check = try? Shell.run(["python3", "-c", "import boto3, moto"], timeout: 60)
        if check?.succeeded != true { missing.append("python modules boto3 and moto") }
        if !missing.isEmpty {
            throw HarnessError(
                "AWS test prerequisites missing: \(missing.joined(separator: ", ")). "
                    + "Install with: pip install 'moto[server]' (scripts/test.sh does it)")
        }
    }

    /// With `tls`, moto serves HTTPS with a certificate for 127.0.0.1 from a CA made here (`caPath`),
    /// which no system trust store holds.
    init(tls: Bool = false, netns: String? = nil) throws {
        self.netns = netns
        try Self.requireTools()
        let tag = String(UInt32.random(in: 0...0xFFFF_FFFF), radix: 36)
        workDir = NSTemporaryDirectory() + "swt-\(getpid())-aws-\(tag)"
        try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
        let port = try LoopbackPort.free()
        motoURL = URL(string: "\(tls ? "https" : "http")://127.0.0.1:\(port)/")!
        do {
            let certificate = tls ? try makeCertificates() : []
            try start(
                label: "moto",
                [
                    "env", "MOTO_RECORDER_FILEPATH=\(workDir)/moto_recording",
                    "moto_server", "-H", "127.0.0.1", "-p", "\(port)",
                ] + certificate, port: port)
        } catch {
            teardown()
            throw error
        }
    }

    deinit { teardown() }

    var caPath: String { "\(workDir)/ca.pem" }

    /// A throwaway CA and a server certificate for IP 127.0.0.1 signed by it; moto's TLS arguments.
    private func makeCertificates() throws -> [String] {
        let d = workDir
        try Shell.must([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(d)/ca.key",
            "-out", caPath, "-days", "2", "-subj", "/CN=swvpnd test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
        ])
        try Shell.must([
            "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(d)/server.key",
            "-out", "\(d)/server.csr", "-subj", "/CN=127.0.0.1",
        ])
        try "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: "\(d)/ext.cnf", atomically: true, encoding: .utf8)
        try Shell.must([
            "openssl", "x509", "-req", "-in", "\(d)/server.csr", "-CA", caPath, "-CAkey", "\(d)/ca.key",
            "-CAcreateserial", "-out", "\(d)/server.pem", "-days", "2", "-extfile", "\(d)/ext.cnf",
        ])
        return ["-c", "\(d)/server.pem", "-k", "\(d)/server.key"]
    }

    /// `args` run in the lab's namespace, if it has one.
    func inNetns(_ args: [String]) -> [String] { netns.map { ["ip", "netns", "exec", $0] + args } ?? args }

    private func start(label: String, _ args: [String], port: Int) throws {
        let d = try Daemon(label: label, args: inNetns(args), logPath: "\(workDir)/\(label).log")
        daemons.append(d)
        try waitForListener(d, port: port)
    }

    /// Waits until `port` accepts connections; fails at once if the process dies first.
    private func waitForListener(_ d: Daemon, port: Int, timeout: Double = 60) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !accepts(port) {
            if !d.isRunning {
                throw HarnessError(
                    "\(d.label) (pid \(d.pid)) exited before listening on 127.0.0.1:\(port):\n\(d.log().tail(20))")
            }
            if Date() > deadline {
                throw HarnessError(
                    "\(d.label) (pid \(d.pid)) not listening on 127.0.0.1:\(port) after \(Int(timeout)) s")
            }
            usleep(50_000)
        }
    }

    private func accepts(_ port: Int) -> Bool {
        guard netns != nil else { return LoopbackPort.accepts(port) }
        let probe = inNetns(["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/\(port)"])
        return (try? Shell.run(probe, timeout: 5))?.succeeded == true
    }

    /// Starts the fault proxy in front of moto; returns its URL (the EC2 endpoint to use).
    @discardableResult
    func startFaultProxy(clockOffsetSeconds: Int = 0) throws -> URL {
        let port = try LoopbackPort.free()
        try start(
            label: "fault-proxy",
            [
                "python3", Paths.scriptsLib.appendingPathComponent("ec2_fault_proxy.py").path,
                "\(port)", motoURL.absoluteString, "--clock-offset", "\(clockOffsetSeconds)",
            ],
            port: port)
        let url = URL(string: "http://127.0.0.1:\(port)/")!
        proxyURL = url
        return url
    }

    /// Starts the IMDSv2 stub; returns its base URL (the metadata endpoint to use).
    @discardableResult
    /// `downForSeconds`: every request is refused (connection closed) for that long after start.
    func startIMDS(
        credentialLifetime: Int = 3600, tokenTTL: Int = 21_600, region: String = "us-east-1",
        instanceId: String = "i-0monitor000000001", downForSeconds: Double = 0
    ) throws -> URL {
        let port = try LoopbackPort.free()
        try start(
            label: "imds-stub",
            [
                "python3", Paths.scriptsLib.appendingPathComponent("imds_stub.py").path, "\(port)",
                "--cred-lifetime", "\(credentialLifetime)", "--token-ttl", "\(tokenTTL)",
                "--region", region, "--instance-id", instanceId,
                "--down-for", "\(downForSeconds)",
            ], port: port)
        let url = URL(string: "http://127.0.0.1:\(port)")!
        imdsURL = url
        return url
    }

    // MARK: Topology

    struct Topology: Decodable {
        struct VPC: Decodable {
            let id: String
            let cidr: String
        }
        struct Instance: Decodable {
            let instanceId: String, eniId: String, privateIp: String, subnetId: String, vpc: String, az: String
        }
        struct Table: Decodable { let id: String, vpc: String, destination: String, home: String, standby: String }
        let region: String
        let vpcs: [String: VPC]
        /// vpn1a, vpn1b (VPC 1), vpn2a, vpn2b (VPC 2).
        let instances: [String: Instance]
        /// rt1a, rt1b, rt2a, rt2b: each sends the other VPC's CIDR to its own AZ's VPN instance (home).
        let tables: [String: Table]

        func instance(_ name: String) -> Instance { instances[name]! }
        func table(_ name: String) -> Table { tables[name]! }
    }

    /// Seeds moto with the HA appendix topology (through boto3, before any recording starts).
    func seed() throws -> Topology {
        let r = try Shell.run(
            inNetns([
                "python3", Paths.scriptsLib.appendingPathComponent("moto_seed.py").path,
                motoURL.absoluteString,
            ]), timeout: 180)
        guard r.succeeded else { throw HarnessError("seeding moto failed: \(r.summary)") }
        return try JSONDecoder().decode(Topology.self, from: Data(r.stdout.utf8))
    }

    // MARK: moto's request recorder

    struct RecordedRequest: CustomStringConvertible {
        let method: String
        let path: String
        let headers: [String: String]
        let parameters: [String: String]
        var action: String { parameters["Action"] ?? "" }
        var isWrite: Bool { !action.isEmpty && !action.hasPrefix("Describe") }
        var description: String {
            "\(action) "
                + parameters.filter { $0.key != "Action" && $0.key != "Version" }
                .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
    }

    func startRecording() async throws {
        _ = try await request("POST", motoURL.appendingPathComponent("moto-api/recorder/reset-recording"))
        _ = try await request("POST", motoURL.appendingPathComponent("moto-api/recorder/start-recording"))
    }

    /// Every request moto saw since `startRecording()`, in order.
    func recordedRequests() async throws -> [RecordedRequest] {
        let (_, data) = try await request(
            "GET", motoURL.appendingPathComponent("moto-api/recorder/download-recording"))
        // Field names are the JSON keys moto's recorder writes.
        // swift-format-ignore: AlwaysUseLowerCamelCase
        struct Entry: Decodable {
            let headers: [String: String]
            let method: String
            let url: String
            let body: String?
            let body_encoded: Bool?
        }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            let e = try JSONDecoder().decode(Entry.self, from: Data(line.utf8))
            var body = e.body ?? ""
            if e.body_encoded == true, let raw = Data(base64Encoded: body) {
                body = String(decoding: raw, as: UTF8.self)
            }
            return RecordedRequest(
                method: e.method, path: URL(string: e.url)?.path ?? e.url, headers: e.headers,
                parameters: Self.parseForm(body))
        }
    }

    /// The writes (every action but Describe*) moto saw, as "Action Param=Value ..." lines.
    func recordedWrites() async throws -> [String] {
        try await recordedRequests().filter(\.isWrite).map(\.description)
    }

    // MARK: fault proxy and IMDS stub controls

    struct Fault: Encodable {
        let fault: String
        var action: String?
        var count: Int?
        var seconds: Double?
    }

    func queueFaults(_ faults: [Fault]) async throws {
        guard let proxyURL else { throw HarnessError("fault proxy not started") }
        let (status, _) = try await request(
            "POST", proxyURL.appendingPathComponent("_fault"),
            body: try JSONEncoder().encode(faults))
        guard status == 200 else { throw HarnessError("fault proxy refused the fault plan (HTTP \(status))") }
    }

    /// What the proxy did to each request since the last clear: "Action:fault" strings.
    func faultLog() async throws -> [String] {
        guard let proxyURL else { throw HarnessError("fault proxy not started") }
        let (_, data) = try await request("GET", proxyURL.appendingPathComponent("_fault/log"))
        let entries = try JSONDecoder().decode([[String: String]].self, from: data)
        return entries.map { "\($0["action"] ?? ""):\($0["fault"] ?? "")" }
    }

    func clearFaults() async throws {
        guard let proxyURL else { throw HarnessError("fault proxy not started") }
        _ = try await request("POST", proxyURL.appendingPathComponent("_fault/clear"))
    }

    /// The stub's request log: "METHOD path outcome" strings.
    func imdsLog() async throws -> [String] {
        guard let imdsURL else { throw HarnessError("IMDS stub not started") }
        let (_, data) = try await request("GET", imdsURL.appendingPathComponent("_control/log"))
        return try JSONDecoder().decode([[String: String]].self, from: data).map {
            "\($0["method"] ?? "") \($0["path"] ?? "") \($0["outcome"] ?? "")"
        }
    }

    /// "revoke-tokens" or "down?seconds=N".
    func imdsControl(_ command: String) async throws {
        guard let imdsURL, let url = URL(string: imdsURL.absoluteString + "/_control/" + command) else {
            throw HarnessError("IMDS stub not started")
        }
        _ = try await request("POST", url)
    }

    // MARK: plumbing

    static func parseForm(_ body: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            if kv.count == 2 { out[kv[0]] = kv[1] }
        }
        return out
    }

    /// An HTTP exchange with moto or a stub: from here, or with curl inside the lab's namespace.
    func request(_ method: String, _ url: URL, body: Data? = nil) async throws -> (Int, Data) {
        guard netns != nil else { return try await Self.http(method, url, body: body) }
        var args = ["curl", "-s", "-m", "30", "-X", method, "-o", "-", "-w", "\n%{http_code}", url.absoluteString]
        if let body { args += ["--data-binary", String(decoding: body, as: UTF8.self)] }
        let out = try Shell.must(inNetns(args), timeout: 40)
        let status = out.split(separator: "\n", omittingEmptySubsequences: false).last.flatMap { Int($0) } ?? 0
        return (status, Data(out.dropLast(out.hasSuffix("\n\(status)") ? "\n\(status)".count : 0).utf8))
    }

    static func http(_ method: String, _ url: URL, body: Data? = nil) async throws -> (Int, Data) {
        var r = URLRequest(url: url)
        r.httpMethod = method
        r.httpBody = body
        r.timeoutInterval = 30
        let (data, response) = try await URLSession.shared.data(for: r)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    func teardown() {
        guard !tornDown else { return }
        tornDown = true
        for d in daemons.reversed() { d.stop(grace: 3) }
        if ProcessInfo.processInfo.environment["SWT_KEEP_LOGS"] == nil {
            try? FileManager.default.removeItem(atPath: workDir)
        }
    }
}

/// Ports on 127.0.0.1 for the test servers.
enum LoopbackPort {
    /// A port the kernel just handed out on 127.0.0.1 (bound, read back, released).
    static func free() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, len) == 0 && getsockname(fd, sa, &len) == 0
            }
        }
        guard ok else { throw HarnessError("binding 127.0.0.1:0 failed: errno \(errno)") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// True when something accepts TCP connections on 127.0.0.1:`port`.
    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
