import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension Paths {
    static var badClientsScript: String { scriptsLib.appendingPathComponent("badclients.py").path }
}

extension IntegrationTests {
    /// The monitoring surface against the real openvpn: `/health` and `/metrics`, the in-tunnel probe,
    /// the control sockets and `swvpnd status`, the management interface, and misbehaving clients.
    /// swvpnd is always side A (namespace vpn1), openvpn side B.
    @Suite(.serialized)
    struct Health {
        static let cipher = CipherCase.aes256CBCSHA256KeyDirection
        static let healthPort = 9194
        static let managementPort = 7505

        static func prepare() throws -> (NetnsLab, SeedLab, String) {
            try Prerequisites.requireBase()
            for tool in ["curl", "promtool"] where Prerequisites.which(tool) == nil {
                throw HarnessError("`\(tool)` missing (apt-get install curl prometheus; scripts/test.sh installs them)")
            }
            let lab = try NetnsLab(owner: "hlth")
            do {
                let seed = try SeedLab(lab: lab)
                return (lab, seed, try seed.generateKey())
            } catch {
                lab.teardown()
                throw error
            }
        }

        /// swvpnd as side A with its control socket in the lab's own runtime directory.
        static func startSwvpnd(_ seed: SeedLab, name: String, config: String, runtime: String) throws -> Daemon {
            let path = try seed.lab.write("\(name).conf", config)
            return try seed.lab.spawn(
                in: seed.vpnA, label: "swvpnd-\(name)",
                ["env", "RUNTIME_DIRECTORY=\(runtime)", try Prerequisites.swvpndBinary(), "--config", path])
        }

        struct HTTPReply {
            var code: Int
            var body: String
            var json: [String: Any] {
                (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
            }
        }

        static func get(_ lab: NetnsLab, _ ns: String, _ path: String) throws -> HTTPReply {
            let r = try lab.run(
                in: ns, ["curl", "-s", "-m", "3", "-w", "\n%{http_code}", "http://127.0.0.1:\(healthPort)\(path)"])
            let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            return HTTPReply(code: Int(lines.last ?? "") ?? 0, body: lines.dropLast().joined(separator: "\n"))
        }

        /// Polls `/health` until `accept` holds; returns the reply, or throws with the last one.
        static func waitHealth(
            _ lab: NetnsLab, _ ns: String, within seconds: Double, what: String,
            _ accept: (HTTPReply) -> Bool
        ) throws -> HTTPReply {
            let deadline = Date().addingTimeInterval(seconds)
            var last = HTTPReply(code: 0, body: "")
            while Date() < deadline {
                last = try get(lab, ns, "/health")
                if accept(last) { return last }
                usleep(200_000)
            }
            throw HarnessError("/health: \(what) not seen within \(Int(seconds)) s; last: \(last.code) \(last.body)")
        }

        @Test
        func healthFollowsTheTunnelThroughPeerDeathAndReturn() throws {
            let (lab, seed, key) = try Self.prepare()
            defer { lab.teardown() }
            let runtime = lab.path("run")
            let liveness = ["ping 1", "ping-restart 4"]
            let a = try Self.startSwvpnd(
                seed, name: "site-a",
                config: seed.config(
                    side: .a, cipher: Self.cipher, keyPath: key,
                    extra: liveness + ["health-listen 127.0.0.1 \(Self.healthPort)", "health-probe 1"]),
                runtime: runtime)
            try a.waitForLog("health: serving")

            // No peer yet: 503, waiting.
            let waiting = try Self.get(lab, seed.vpnA, "/health")
            #expect(waiting.code == 503)
            #expect(waiting.json["state"] as? String == "waiting")
            #expect(waiting.json["tunnel"] as? String == "site-a")

            let bConfig = seed.config(side: .b, cipher: Self.cipher, keyPath: key, extra: liveness)
            var b = try seed.startPeer(.openvpn, side: .b, config: bConfig)
            try seed.waitUp([a, b])
            // Traffic flows and the probe is answered by openvpn's kernel: 200, with a measured RTT.
            let up = try Self.waitHealth(lab, seed.vpnA, within: 10, what: "200 after the peer came up") {
                $0.code == 200
            }
            #expect(up.json["state"] as? String == "up")
            let probe = up.json["probe"] as? [String: Any]
            #expect((probe?["rtt_ms"] as? Double).map { $0 > 0 } == true, "no probe RTT: \(up.body)")
            #expect(probe?["last_reply_seconds"] is Int)
            #expect(a.log().contains("Peer Connection Initiated"))

            // A live scrape passes promtool.
            let metrics = try Self.get(lab, seed.vpnA, "/metrics")
            #expect(metrics.code == 200)
            #expect(metrics.body.contains("swvpnd_probe_rtt_seconds{tunnel=\"site-a\"}"))
            let file = try lab.write("metrics.txt", metrics.body)
            let check = try Shell.run(["sh", "-c", "promtool check metrics < \(file)"])
            #expect(check.succeeded, "promtool: \(check.summary)")

            // The peer dies without a word: 503 within ping-restart (4 s) plus a poll's slack.
            kill(b.pid, SIGKILL)
            b.process.waitUntilExit()
            _ = try Self.waitHealth(lab, seed.vpnA, within: 6, what: "503 after kill -9") { $0.code == 503 }
            let lost = try Self.waitHealth(lab, seed.vpnA, within: 6, what: "state lost (ping-restart)") {
                $0.json["state"] as? String == "lost"
            }
            #expect(lost.json["reason"] as? String == "ping-restart")

            // It comes back: 200 again.
            b = try seed.startPeer(.openvpn, side: .b, config: bConfig, name: "openvpn-B-again")
            _ = try Self.waitHealth(lab, seed.vpnA, within: 20, what: "200 after the peer returned") { $0.code == 200 }
            #expect(a.isRunning)
        }

        @Test
        func statusShowsTwoTunnelsAndManagementAnswersLikeOpenVPN() throws {
            let (lab, seed, key) = try Self.prepare()
            defer { lab.teardown() }
            let runtime = lab.path("run")
            // `ping 1`: openvpn sends >BYTECOUNT from its coarse timers, which an idle tunnel rarely runs.
            let management = "management 127.0.0.1 \(Self.managementPort)\nping 1"
            let a1 = try Self.startSwvpnd(
                seed, name: "alpha",
                config: seed.config(
                    side: .a, cipher: Self.cipher, keyPath: key, extra: [management]), runtime: runtime)
            let a2 = try Self.startSwvpnd(
                seed, name: "beta",
                config: seed.config(
                    side: .a, cipher: Self.cipher, keyPath: key, port: 1195,
                    ifconfig: ("169.254.254.1", "169.254.254.2"),
                    route: false), runtime: runtime)
            let b1 = try seed.startPeer(
                .openvpn, side: .b,
                config: seed.config(
                    side: .b, cipher: Self.cipher, keyPath: key, extra: [management]))
            let b2 = try seed.startPeer(
                .openvpn, side: .b,
                config: seed.config(
                    side: .b, cipher: Self.cipher, keyPath: key, port: 1195,
                    ifconfig: ("169.254.254.2", "169.254.254.1"),
                    route: false), name: "openvpn-B-beta")
            try seed.waitUp([a1, b1, a2, b2])

            // `swvpnd status`: both tunnels, both up, exit 0.
            let bin = try Prerequisites.swvpndBinary()
            let env = ["env", "RUNTIME_DIRECTORY=\(runtime)", bin, "status"]
            var status = try Shell.run(env)
            let deadline = Date().addingTimeInterval(10)
            while status.stdout.components(separatedBy: "state: up").count < 3 && Date() < deadline {
                usleep(200_000)
                status = try Shell.run(env)
            }
            #expect(status.succeeded, "swvpnd status: \(status.summary)")
            #expect(
                status.stdout.contains("tunnel: alpha") && status.stdout.contains("tunnel: beta"), "\(status.stdout)")
            #expect(status.stdout.components(separatedBy: "state: up").count == 3, "\(status.stdout)")
            let json = try Shell.run(env + ["--json"])
            let array = (try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) as? [[String: Any]]
            #expect(array?.map { $0["tunnel"] as? String } == ["alpha", "beta"], "\(json.stdout)")
            let missing = try Shell.run(env + ["gamma"])
            #expect(!missing.succeeded && missing.stderr.contains("gamma"), "\(missing.summary)")
            // Mode 0600: only root reads the state.
            let mode =
                try FileManager.default.attributesOfItem(atPath: "\(runtime)/alpha.sock")[.posixPermissions] as? Int
            #expect(mode == 0o600)

            // The same management commands to swvpnd (vpn1) and openvpn (vpn2): the same shapes.
            let commands = [
                "version", "pid", "state", "state all", "status", "status 3", "log 2", "hold",
                "bytecount 1", "state on", "signal SIGUSR2", "foo", "bytecount 0", "quit",
            ]
            let ours = try ManagementShapes.session(lab, seed.vpnA, port: Self.managementPort, commands: commands)
            let theirs = try ManagementShapes.session(lab, seed.vpnB, port: Self.managementPort, commands: commands)
            #expect(ours.first?.hasPrefix(">INFO:OpenVPN Management Interface Version 5") == true, "\(ours)")
            #expect(
                ManagementShapes.shapes(ours) == ManagementShapes.shapes(theirs),
                "swvpnd:\n\(ours.joined(separator: "\n"))\nopenvpn:\n\(theirs.joined(separator: "\n"))")
            for lines in [ours, theirs] {
                #expect(lines.contains { $0.firstMatch(of: #/^>BYTECOUNT:\d+,\d+$/#) != nil }, "\(lines)")
            }
            #expect(a1.isRunning && a2.isRunning)

            // `state on` sees each step as it happens: the restart and the peer's return (often in the same
            // second), then SIGTERM's EXITING before the connection closes, as openvpn 2.6 prints them.
            let watched = try ManagementShapes.watchRestartAndExit(
                lab, seed.vpnA, port: Self.managementPort, pid: a1.pid)
            let states = watched.filter { $0.hasPrefix(">STATE:") }
            let expected = [
                #/^>STATE:\d+,RECONNECTING,SIGUSR1,,,,,$/#, #/^>STATE:\d+,CONNECTED,SUCCESS,169\.254\.255\.1,.+$/#,
                #/^>STATE:\d+,EXITING,SIGTERM,,,,,$/#,
            ]
            #expect(states.count == 3, "\(watched)")
            for (line, pattern) in zip(states, expected) { #expect(line.wholeMatch(of: pattern) != nil, "\(watched)") }
            a1.process.waitUntilExit()
            // openvpn's own EXITING line for the same SIGTERM: the same but for the time.
            let theirExit = try ManagementShapes.watchRestartAndExit(
                lab, seed.vpnB, port: Self.managementPort, pid: b1.pid, restartFirst: false)
            func exiting(_ lines: [String]) -> [String] {
                lines.filter { $0.contains(",EXITING,") }.map { $0.replacing(#/^>STATE:\d+,/#, with: ">STATE:N,") }
            }
            #expect(exiting(watched).count == 1 && exiting(watched) == exiting(theirExit), "openvpn: \(theirExit)")
            #expect(a2.isRunning)
        }

        /// `management PATH unix PW-FILE` with `management-client-user`: the password gate and the uid check.
        @Test
        func unixManagementSocketAsksThePasswordAndChecksTheClientUser() throws {
            let (lab, seed, key) = try Self.prepare()
            defer { lab.teardown() }
            let password = try lab.write("mgmt.pw", "s3cret\n")
            let socket = lab.path("mgmt.sock")
            let common = seed.config(side: .a, cipher: Self.cipher, keyPath: key, route: false)
            let a = try Self.startSwvpnd(
                seed, name: "site-a",
                config: common
                    + "management \(socket) unix \(password)\nmanagement-client-user root\n", runtime: lab.path("run"))
            try a.waitForLog("MANAGEMENT: unix domain socket listening")
            let script = """
                import socket, sys, time
                s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(0.3)
                out, closed = b"", False
                def drain(t):
                    global out, closed
                    end = time.time() + t
                    while time.time() < end and not closed:
                        try:
                            d = s.recv(4096)
                        except socket.timeout:
                            continue
                        except OSError:
                            d = b""
                        if not d:
                            out += b"<closed>"; closed = True
                        out += d
                drain(0.5)
                for line in sys.argv[2:]:
                    if closed: break
                    try:
                        s.sendall(line.encode() + b"\\n")
                    except OSError:
                        out += b"<closed>"; closed = True; break
                    drain(0.5)
                sys.stdout.write(out.decode())
                """
            let r = try lab.run(in: seed.vpnA, ["python3", "-c", script, socket, "wrong", "s3cret", "pid", "quit"])
            #expect(r.succeeded, "\(r.summary)")
            #expect(
                r.stdout.hasPrefix(
                    "ENTER PASSWORD:ERROR: bad password\r\nENTER PASSWORD:SUCCESS: password is correct\r\n"
                        + ">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info\r\nSUCCESS: pid="),
                "\(r.stdout)")
            #expect(r.stdout.hasSuffix("<closed>"), "\(r.stdout)")

            // Another tunnel that admits only `nobody`: root's connection is closed before any prompt.
            let b = try Self.startSwvpnd(
                seed, name: "site-b",
                config: common.replacingOccurrences(of: "port 1194", with: "port 1196")
                    .replacingOccurrences(of: "169.254.255.", with: "169.254.253.")
                    + "management \(socket)-b unix\nmanagement-client-user nobody\n", runtime: lab.path("run"))
            try b.waitForLog("MANAGEMENT: unix domain socket listening")
            let rejected = try lab.run(in: seed.vpnA, ["python3", "-c", script, socket + "-b", "pid"])
            #expect(rejected.stdout == "<closed>", "\(rejected.summary)")
            #expect(b.log().contains("client uid/gid rejected"))
        }

        @Test
        func misbehavingClientsAreClosedWithinLimitsWhileTheDaemonRuns() throws {
            let (lab, seed, key) = try Self.prepare()
            defer { lab.teardown() }
            let a = try Self.startSwvpnd(
                seed, name: "site-a",
                config: seed.config(
                    side: .a, cipher: Self.cipher, keyPath: key,
                    extra: [
                        "health-listen 127.0.0.1 \(Self.healthPort)", "management 127.0.0.1 \(Self.managementPort)",
                    ]),
                runtime: lab.path("run"))
            try a.waitForLog("MANAGEMENT: TCP Socket listening")
            func bad(_ args: [String], timeout: Double = 60) throws -> [String: Any] {
                let r = try lab.run(in: seed.vpnA, ["python3", Paths.badClientsScript] + args, timeout: timeout)
                guard r.succeeded,
                    let object = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any]
                else { throw HarnessError("badclients \(args): \(r.summary)") }
                return object
            }
            let http = ["127.0.0.1", "\(Self.healthPort)"]
            let mgmt = ["127.0.0.1", "\(Self.managementPort)"]

            var r = try bad(["garbage"] + http)
            #expect(r["closed"] as? Bool == true && (r["reply"] as? String)?.hasPrefix("HTTP/1.1 400") == true, "\(r)")
            r = try bad(["oversized"] + http)
            #expect(r["closed"] as? Bool == true && (r["reply"] as? String)?.hasPrefix("HTTP/1.1 431") == true, "\(r)")
            // 2 s to send a request: a byte a second is cut off (generous bound: the machine is shared).
            r = try bad(["slow"] + http)
            #expect(r["closed"] as? Bool == true && (r["seconds"] as? Double ?? 99) < 6, "\(r)")
            #expect((r["reply"] as? String)?.hasPrefix("HTTP/1.1 408") == true, "\(r)")
            // 40 silent connections: 16 are held (until their 2 s run out), the rest closed at once.
            r = try bad(["flood"] + http + ["40"])
            #expect(r["held_after_1s"] as? Int ?? 99 <= 16 && r["still_open"] as? Int == 0, "\(r)")

            r = try bad(["garbage"] + mgmt + ["2"])
            #expect((r["reply"] as? String)?.hasPrefix(">INFO:") == true, "\(r)")
            r = try bad(["oversized"] + mgmt)
            #expect(r["closed"] as? Bool == true, "\(r)")
            // A started line must end within 10 s.
            r = try bad(["slow"] + mgmt)
            #expect(r["closed"] as? Bool == true && (r["seconds"] as? Double ?? 99) < 15, "\(r)")
            r = try bad(["flood"] + mgmt + ["20", "3"])
            #expect(r["held_after_1s"] as? Int ?? 99 <= 4, "\(r)")

            // Still serving, and the log names the clients it closed.
            #expect(a.isRunning)
            #expect(try Self.get(lab, seed.vpnA, "/health").code == 503)
            #expect(a.log().contains("health-listen: 127.0.0.1:"))
            #expect(a.log().contains("refusing 127.0.0.1:"))
        }
    }
}

/// Normalised management replies, so swvpnd's and openvpn's can be compared line for line.
enum ManagementShapes {
    /// Connects, sends each command (waiting for its reply), returns every line received.
    static func session(_ lab: NetnsLab, _ ns: String, port: Int, commands: [String]) throws -> [String] {
        let script = """
            import socket, sys, time
            s = socket.create_connection(("127.0.0.1", \(port)), timeout=5)
            s.settimeout(0.3)
            out = b""
            def drain(t):
                global out
                end = time.time() + t
                while time.time() < end:
                    try:
                        d = s.recv(65536)
                    except socket.timeout:
                        continue
                    if not d:
                        return
                    out += d
            drain(0.8)
            for c in sys.argv[1:]:
                s.sendall((c + "\\n").encode())
                drain(2.5 if c.startswith("bytecount 1") else 0.8)
            sys.stdout.write(out.decode(errors="replace"))
            """
        let r = try lab.run(in: ns, ["python3", "-c", script] + commands, timeout: 60)
        guard r.succeeded else { throw HarnessError("management session: \(r.summary)") }
        return r.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
    }

    /// `state on`, `signal SIGUSR1` (with `restartFirst`), and once the peer is back (CONNECTED after
    /// RECONNECTING) SIGTERM to `pid`; every line until the daemon closes the connection.
    static func watchRestartAndExit(
        _ lab: NetnsLab, _ ns: String, port: Int, pid: Int32, restartFirst: Bool = true
    ) throws -> [String] {
        let script = """
            import os, signal, socket, sys, time
            s = socket.create_connection(("127.0.0.1", \(port)), timeout=5)
            s.settimeout(0.3)
            out = b""
            def until(done, t):
                global out
                end = time.time() + t
                while not done() and time.time() < end:
                    try:
                        d = s.recv(65536)
                    except socket.timeout:
                        continue
                    if not d:
                        return True
                    out += d
                return False
            if \(restartFirst ? "True" : "False"):
                s.sendall(b"state on\\nsignal SIGUSR1\\n")
                until(lambda: b",CONNECTED," in out.partition(b"RECONNECTING,SIGUSR1")[2], 15)
            else:
                s.sendall(b"state on\\n")
                until(lambda: b"notification set to ON" in out, 5)
            os.kill(\(pid), signal.SIGTERM)
            closed = until(lambda: False, 10)
            sys.stdout.write(out.decode(errors="replace") + ("" if closed else "NOT CLOSED\\r\\n"))
            """
        let r = try lab.run(in: ns, ["python3", "-c", script], timeout: 40)
        guard r.succeeded else { throw HarnessError("management watch: \(r.summary)") }
        return r.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
    }

    /// Digits become N; free text (versions, log messages, state details, addresses) is cut to its kind.
    static func shapes(_ lines: [String]) -> [String] {
        lines.compactMap { line -> String? in
            // Real-time notifications come whenever the daemon's timers run: compared apart, by format.
            if line.hasPrefix(">LOG:") || line.hasPrefix(">BYTECOUNT:") || line.hasPrefix(">STATE:") { return nil }
            if line.hasPrefix("OpenVPN Version: ") { return "OpenVPN Version: TEXT" }
            if let first = line.first, first.isNumber {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                if fields.count >= 3, !fields[1].isEmpty, fields[1].allSatisfy({ "IFNWD".contains($0) }) {
                    return "LOG"
                }
                if fields.count >= 8 { return stateShape(line) }  // a state history entry
            }
            var out = ""
            var lastDigit = false
            for c in line {
                if c.isNumber {
                    if !lastDigit { out.append("N") }
                    lastDigit = true
                } else {
                    out.append(c)
                    lastDigit = false
                }
            }
            return out
        }
    }

    /// `time,STATE,detail,tun-ip,remote-ip,remote-port,local-ip,local-port`: 8 fields, an upper-case state.
    static func stateShape(_ entry: String) -> String {
        let fields = entry.split(separator: ",", omittingEmptySubsequences: false)
        let ok =
            fields.count >= 8 && fields[0].allSatisfy(\.isNumber)
            && fields[1].allSatisfy { $0.isUppercase || $0 == "_" }
        return ok ? "STATE(8)" : "BAD-STATE(\(entry))"
    }
}
