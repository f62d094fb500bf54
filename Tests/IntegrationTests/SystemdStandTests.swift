import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension IntegrationTests {
    /// The package and the units under a real systemd (issue #11, items 6 and 7): a Debian bookworm
    /// container booted by systemd-nspawn (see `SystemdStand`), the .deb that `make deb` builds, and the
    /// host's openvpn as the peer in a namespace of the test's own.
    @Suite(.serialized)
    struct SystemdStandSuite {
        static let tunnelA = "169.254.255.1"
        static let tunnelB = "169.254.255.2"

        /// The package twice, as two versions, built once per test process from the static release binary.
        static func packages() throws -> (first: String, second: String) {
            let bin = try Install.releaseBinary()
            let dir = "\(SystemdStand.cacheDir)/debs-\(getpid())"
            // Packages of earlier test processes are stale (another binary); keep only this run's.
            for old in (try? FileManager.default.contentsOfDirectory(atPath: SystemdStand.cacheDir)) ?? []
            where old.hasPrefix("debs-") && "\(SystemdStand.cacheDir)/\(old)" != dir {
                try? FileManager.default.removeItem(atPath: "\(SystemdStand.cacheDir)/\(old)")
            }
            let version = try Shell.must([bin, "--version"]).trimmingCharacters(in: .whitespacesAndNewlines)
            let script = Paths.packageRoot.appendingPathComponent("scripts/deb.sh").path
            var built: [String] = []
            // The upgrade's package only needs another version: gzip saves most of a minute of xz.
            for (v, compress) in [(version, "xz"), (version + "+stand2", "gzip")] {
                let deb = "\(dir)/\(v)/swvpnd_\(v)_amd64.deb"
                if !FileManager.default.fileExists(atPath: deb) {
                    let r = try Shell.run(
                        ["BINARY=\(bin)", "DEB_VERSION=\(v)", "DEB_COMPRESS=\(compress)", script, "\(dir)/\(v)"],
                        timeout: 600)
                    guard r.succeeded, r.stdout.contains(deb) else {
                        throw HarnessError("make deb failed: \(r.summary)")
                    }
                }
                built.append(deb)
            }
            return (built[0], built[1])
        }

        /// A booted stand with the package installed and a veth to the test's namespace `peer` (10.77.0.2).
        struct Bench {
            let lab: NetnsLab
            let stand: SystemdStand
            let peerNs: String

            func teardown() {
                stand.shutdown()
                lab.teardown()
            }
        }

        static func bench(_ tag: String) throws -> Bench {
            try Prerequisites.requireBase()
            let debs = try packages()
            let lab = try NetnsLab()
            var stand: SystemdStand?
            do {
                let booted = try SystemdStand(lab: lab, tag: tag)
                stand = booted
                let peerNs = try lab.addNamespace("peer")
                try booted.linkPeer(peerNs, containerCIDR: "10.77.0.1/24", peerCIDR: "10.77.0.2/24")
                let r = try install(debs.first, in: booted)
                guard r.succeeded else { throw HarnessError("dpkg -i in the systemd stand: \(r.summary)") }
                return Bench(lab: lab, stand: booted, peerNs: peerNs)
            } catch {
                stand?.shutdown()
                lab.teardown()
                throw error
            }
        }

        static func install(_ deb: String, in stand: SystemdStand) throws -> CommandResult {
            let name = (deb as NSString).lastPathComponent
            try stand.copyIn(deb, to: "/root/\(name)")
            return try stand.run(["dpkg", "-i", "/root/\(name)"], timeout: 180)
        }

        /// A tunnel config in the container: side A of the seed deployment, peer B at `peer` (or listening).
        static func tunnelConfig(name: String, port: Int, peer: String?, device: String, extra: [String] = []) -> String
        {
            ([
                "dev \(device)", "dev-type tun", "port \(port)",
                "ifconfig \(tunnelA) \(tunnelB)",
                "cipher AES-256-CBC", "auth SHA256", "secret \(name).key 0",
                "keepalive 1 10", "verb 3",
            ] + (peer.map { ["remote \($0)", "route 172.16.0.0 255.255.0.0"] } ?? []) + extra)
            .joined(separator: "\n") + "\n"
        }

        static func peerConfig(key: String, port: Int, device: String) -> String {
            [
                "dev \(device)", "dev-type tun", "port \(port)", "remote 10.77.0.1", "ifconfig \(tunnelB) \(tunnelA)",
                "cipher AES-256-CBC", "auth SHA256", "secret \(key) 1", "keepalive 1 10", "verb 3",
            ].joined(separator: "\n") + "\n"
        }

        /// A key from the real openvpn, on the host (for the peer) and in the container's /etc/swvpnd.
        static func key(_ lab: NetnsLab, _ stand: SystemdStand, name: String) throws -> String {
            let host = lab.path("\(name).key")
            try Shell.must(["openvpn", "--genkey", "secret", host])
            try stand.copyIn(host, to: "/etc/swvpnd/\(name).key")
            try stand.must(["chmod", "600", "/etc/swvpnd/\(name).key"])
            return host
        }

        static func tunDevices(_ stand: SystemdStand) throws -> String {
            try stand.must(["ip", "-o", "link", "show", "type", "tun"])
        }

        @Test
        func debPassesLintianWithoutErrors() throws {
            guard Prerequisites.which("lintian") != nil else {
                throw HarnessError("lintian missing: apt-get install lintian (scripts/test.sh does)")
            }
            let debs = try Self.packages()
            let r = try Shell.run(["lintian", "--no-tag-display-limit", debs.first], timeout: 600)
            print("lintian \((debs.first as NSString).lastPathComponent):\n\(r.stdout)\(r.stderr)")
            #expect(!r.stdout.split(separator: "\n").contains { $0.hasPrefix("E: ") }, "lintian errors:\n\(r.stdout)")
            let depends = try Shell.must(["dpkg-deb", "-f", debs.first, "Depends"])
            // libcurl4 and libxml2: swvpn-monitor's FoundationNetworking.
            for lib in ["libc6", "libssl3", "libstdc++6", "libgcc-s1", "procps", "libcurl4", "libxml2"] {
                #expect(depends.contains(lib), "Depends lacks \(lib): \(depends)")
            }
        }

        /// dpkg -i, an upgrade that restarts the running tunnel, dpkg -r that stops it and keeps the admin's
        /// configs, dpkg -P that removes state and enablement links but still not /etc/swvpnd.
        @Test
        func packageInstallsUpgradesRemovesAndPurges() throws {
            try Prerequisites.requireBase()
            let debs = try Self.packages()
            let lab = try NetnsLab()
            defer { lab.teardown() }
            let stand = try SystemdStand(lab: lab, tag: "pkg")
            defer { stand.shutdown() }

            let first = try Self.install(debs.first, in: stand)
            #expect(first.succeeded, "dpkg -i: \(first.summary)")
            #expect(try stand.must(["stat", "-c", "%a %U", "/etc/swvpnd"]) == "750 root\n")
            #expect(
                try stand.run(["env", "-i", "/usr/sbin/swvpnd", "--version"]).succeeded,
                "the packaged binary does not run")
            #expect(try stand.property("swvpnd@x.service", "LoadState") == "loaded")
            #expect(
                try stand.property("swvpnd@x.service", "FragmentPath").hasSuffix("lib/systemd/system/swvpnd@.service"))
            #expect(
                try stand.run(["env", "-i", "/usr/sbin/swvpn-monitor", "--help"]).succeeded,
                "the packaged monitor does not run")
            #expect(try stand.property("swvpn-monitor.service", "LoadState") == "loaded")

            // The admin's config and key; a listening tunnel needs no peer to be READY.
            let config = Self.tunnelConfig(name: "x", port: 1194, peer: nil, device: "tun-x")
            try stand.write("/etc/swvpnd/x.conf", config)
            _ = try Self.key(lab, stand, name: "x")
            try stand.must(["systemctl", "enable", "--now", "swvpnd@x.service"], timeout: 60)
            let pidBefore = try stand.property("swvpnd@x.service", "MainPID")

            let second = try Self.install(debs.second, in: stand)
            #expect(second.succeeded, "dpkg -i (upgrade): \(second.summary)")
            let version = try stand.must(["dpkg-query", "-W", "-f=${Version}", "swvpnd"])
            #expect(version == ((debs.second as NSString).lastPathComponent.split(separator: "_")[1]))
            try stand.eventually("swvpnd@x active again after the upgrade") {
                try stand.property("swvpnd@x.service", "ActiveState") == "active"
                    && stand.property("swvpnd@x.service", "MainPID") != pidBefore
            }
            #expect(try stand.must(["cat", "/etc/swvpnd/x.conf"]) == config, "the upgrade changed the admin's config")

            let remove = try stand.run(["dpkg", "-r", "swvpnd"], timeout: 120)
            #expect(remove.succeeded, "dpkg -r: \(remove.summary)")
            #expect(
                try stand.property("swvpnd@x.service", "ActiveState") == "inactive",
                "tunnel still running after dpkg -r")
            #expect(
                try stand.property("swvpnd@x.service", "LoadState") == "not-found", "units still loaded after dpkg -r")
            #expect(try Self.tunDevices(stand).isEmpty, "tun device left after dpkg -r")
            #expect(!(try stand.run(["test", "-e", "/usr/sbin/swvpnd"]).succeeded))
            #expect(try stand.must(["cat", "/etc/swvpnd/x.conf"]) == config, "dpkg -r touched /etc/swvpnd")

            let purge = try stand.run(["dpkg", "-P", "swvpnd"], timeout: 120)
            #expect(purge.succeeded, "dpkg -P: \(purge.summary)")
            #expect(
                try stand.must(["ls", "/etc/swvpnd"]).split(separator: "\n").sorted() == ["x.conf", "x.key"],
                "dpkg -P touched /etc/swvpnd")
            for gone in [
                "/var/lib/swvpnd", "/etc/systemd/system/multi-user.target.wants/swvpnd@x.service",
                "/etc/systemd/system/swvpnd.target.wants/swvpnd@x.service", "/usr/share/doc/swvpnd",
            ] {
                #expect(!(try stand.run(["test", "-e", gone]).succeeded), "\(gone) left after dpkg -P")
            }
            let status = try stand.run(["dpkg-query", "-W", "-f=${Status}", "swvpnd"])
            #expect(
                !status.stdout.contains("installed") || status.stdout.contains("not-installed"),
                "dpkg status: \(status.stdout)")

            // The README's migration masks openvpn@NAME: Debian's openvpn generator wants it again after every
            // daemon-reload or boot, whatever "systemctl disable" said.
            try stand.write("/etc/openvpn/m.conf", "dev null\n")
            try stand.must(["systemctl", "disable", "openvpn@m.service"])
            try stand.must(["systemctl", "daemon-reload"])
            #expect(
                try stand.property("openvpn@m.service", "WantedBy").contains("openvpn.service"),
                "Debian's generator no longer re-adds openvpn@m: the README's mask step may be moot")
            try stand.must(["systemctl", "mask", "openvpn@m.service"])
            try stand.must(["systemctl", "daemon-reload"])
            _ = try stand.run(["systemctl", "start", "openvpn.service"])
            #expect(try stand.property("openvpn@m.service", "LoadState") == "masked")
            #expect(try stand.property("openvpn@m.service", "ActiveState") == "inactive")
        }

        /// One tunnel to the host's openvpn: READY after the route, traffic, a clean journal, reload,
        /// restart, the watchdog killing a frozen daemon, a clean stop, and the sandbox's security score.
        @Test
        func tunnelStartsPingsReloadsRestartsSurvivesTheWatchdogAndStopsCleanly() throws {
            let bench = try Self.bench("unit")
            defer { bench.teardown() }
            let (lab, stand, peerNs) = (bench.lab, bench.stand, bench.peerNs)

            let unit = "swvpnd@t1.service"
            try stand.write(
                "/etc/swvpnd/t1.conf",
                Self.tunnelConfig(
                    name: "t1", port: 1194, peer: "10.77.0.2", device: "tun-t1",
                    extra: ["log-append /var/log/swvpnd/t1.log", "writepid /run/swvpnd/t1.pid"]))
            let key = try Self.key(lab, stand, name: "t1")
            let peer = try lab.spawn(
                in: peerNs, label: "openvpn-peer",
                [
                    "openvpn", "--config",
                    try lab.write("peer.conf", Self.peerConfig(key: key, port: 1194, device: "tun0")),
                ])

            // Type=notify: "systemctl start" returns at READY=1, which comes only after the route.
            try stand.must(["systemctl", "start", unit], timeout: 90)
            let routes = try stand.must(["ip", "route"])
            #expect(routes.contains("172.16.0.0/16 via \(Self.tunnelB)"), "READY before the route:\n\(routes)")
            #expect(try stand.property(unit, "ActiveState") == "active")
            try stand.eventually("openvpn peer up") { peer.log().contains("Initialization Sequence Completed") }
            let ping = try Shell.run(
                [
                    "nsenter", "-t", "\(stand.leader)", "-n", "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2",
                    "-w", "15", Self.tunnelB,
                ], timeout: 25)
            #expect(ping.succeeded, "ping through the tunnel: \(ping.summary)")

            // Logging: the tunnel is named after its config although flags may come first; the log file keeps
            // its timestamps; libdispatch finds nothing to complain about without CAP_SYS_NICE.
            let log = try stand.must(["cat", "/var/log/swvpnd/t1.log"])
            #expect(
                log.split(separator: "\n").contains {
                    $0.range(
                        of: #"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d swvpnd .* starting: /etc/swvpnd/t1.conf$"#,
                        options: .regularExpression) != nil
                },
                "no timestamped start-up line naming /etc/swvpnd/t1.conf:\n\(log.tail(10))")
            // libdispatch renices its event thread to -4 and the packet threads to their QoS. The packet
            // queues ask for nothing a process without CAP_SYS_NICE cannot have; the event thread needs the
            // unit's LimitNICE=-4, which only a PID 1 allowed to raise RLIMIT_NICE can grant (a real host's can,
            // this machine's container may not): then no complaint at all, otherwise that one line.
            let complaints = stand.journal(unit).components(separatedBy: "Failed to set thread priority").count - 1
            let pid1Limits = try stand.must(["cat", "/proc/1/limits"])
            let niceHeadroom =
                pid1Limits.split(separator: "\n").first { $0.hasPrefix("Max nice priority") }?
                .split(separator: " ").compactMap { Int($0) }.last ?? 0
            #expect(
                complaints <= (niceHeadroom >= 24 ? 0 : 1),
                "libdispatch priority errors (\(complaints), PID 1 RLIMIT_NICE \(niceHeadroom)):\n\(stand.journal(unit).tail(10))"
            )
            let mainPID = try stand.property(unit, "MainPID")
            #expect(try stand.must(["cat", "/run/swvpnd/t1.pid"]) == "\(mainPID)\n")

            // Reload (SIGHUP) and restart keep a working tunnel.
            try stand.must(["systemctl", "reload", unit], timeout: 60)
            try stand.eventually("tunnel back after reload") {
                try Shell.run(
                    ["nsenter", "-t", "\(stand.leader)", "-n", "ping", "-n", "-c", "1", "-W", "1", Self.tunnelB],
                    timeout: 5
                ).succeeded
            }
            #expect(try stand.property(unit, "MainPID") == mainPID, "reload replaced the process")
            try stand.must(["systemctl", "restart", unit], timeout: 90)
            let restartedPID = try stand.property(unit, "MainPID")
            #expect(restartedPID != mainPID)
            try stand.eventually("tunnel back after restart") {
                try Shell.run(
                    ["nsenter", "-t", "\(stand.leader)", "-n", "ping", "-n", "-c", "1", "-W", "1", Self.tunnelB],
                    timeout: 5
                ).succeeded
            }

            // The watchdog: a frozen daemon is killed (SIGABRT) and Restart= brings it back.
            try stand.write(
                "/etc/systemd/system/\(unit).d/watchdog.conf",
                "[Service]\nWatchdogSec=3s\nRestartSec=1s\nTimeoutAbortSec=5s\n")
            try stand.must(["systemctl", "daemon-reload"])
            try stand.must(["systemctl", "restart", unit], timeout: 90)
            let frozenPID = try stand.property(unit, "MainPID")
            try stand.must(["kill", "-STOP", frozenPID])
            try stand.eventually("watchdog restart of the frozen swvpnd", timeout: 60) {
                let pid = try stand.property(unit, "MainPID")
                let state = try stand.property(unit, "ActiveState")
                return pid != frozenPID && pid != "0" && state == "active"
            }
            #expect(
                stand.journal(unit).contains("Watchdog timeout"),
                "no watchdog timeout in the journal:\n\(stand.journal(unit).tail(15))")
            let restarts = Int(try stand.property(unit, "NRestarts")) ?? 0
            #expect(restarts >= 1, "NRestarts \(restarts) after the watchdog")

            // Stop: device and routes gone, pid file cannot name a process any more.
            try stand.must(["systemctl", "stop", unit], timeout: 60)
            #expect(try stand.property(unit, "ActiveState") == "inactive")
            #expect(try Self.tunDevices(stand).isEmpty, "tun device left after stop")
            #expect(!(try stand.must(["ip", "route"])).contains("172.16.0.0/16"), "route left after stop")
            #expect(!(try stand.run(["test", "-e", "/run/swvpnd/t1.pid"])).succeeded, "pid file left after stop")

            // With user/group: reload still reaches the daemon (kill runs outside the sandbox, which has no
            // CAP_KILL to signal nobody's process), and the pid file in root's /run/swvpnd is emptied at stop.
            try stand.must([
                "sh", "-c",
                "printf 'user nobody\\ngroup nogroup\\npersist-key\\npersist-tun\\n' >> /etc/swvpnd/t1.conf",
            ])
            try stand.must(["systemctl", "start", unit], timeout: 90)
            try stand.must(["systemctl", "reload", unit], timeout: 60)
            try stand.eventually("SIGHUP logged by the unprivileged swvpnd") {
                (try stand.must(["cat", "/var/log/swvpnd/t1.log"])).contains("SIGHUP received")
            }
            #expect(try stand.property(unit, "ActiveState") == "active")
            try stand.must(["systemctl", "stop", unit], timeout: 60)
            let pidLeft = try stand.run(["cat", "/run/swvpnd/t1.pid"])
            #expect(
                pidLeft.succeeded && pidLeft.stdout.isEmpty, "pid file after stop with user nobody: '\(pidLeft.stdout)'"
            )
            #expect(
                (try stand.must(["cat", "/var/log/swvpnd/t1.log"])).contains("pid file /run/swvpnd/t1.pid emptied"))
            #expect(try Self.tunDevices(stand).isEmpty, "tun device left after stop with user nobody")

            let security = try stand.run(["systemd-analyze", "security", "--no-pager", unit])
            let overall = (security.stdout + security.stderr).split(separator: "\n").first {
                $0.contains("Overall exposure level")
            }
            print("systemd stand: \(overall ?? "no overall exposure line")")
            let score = overall.flatMap { $0.firstMatch(of: #/service: ([0-9.]+)/#) }.flatMap { Double($0.1) }
            #expect(
                score != nil && score! <= 3.0,
                "systemd-analyze security: \(overall.map(String.init) ?? security.summary)")
        }

        /// Two tunnels under swvpnd.target: started together; `swvpnd status` reads both from the units' runtime
        /// directory, and exits 1 once one of them is lost; "systemctl stop swvpnd.target" returns only once both
        /// have stopped (each sends explicit-exit-notify for 2 s first).
        @Test
        func twoTunnelsUnderTheTargetStartReportAndStopTogether() throws {
            let bench = try Self.bench("two")
            defer { bench.teardown() }
            let (lab, stand, peerNs) = (bench.lab, bench.stand, bench.peerNs)

            var peers: [Daemon] = []
            for (i, name) in ["ta", "tb"].enumerated() {
                let port = 1194 + i
                // ta probes its peer through the tunnel; tb gives its peer up after 4 s of silence.
                var config = Self.tunnelConfig(
                    name: name, port: port, peer: "10.77.0.2", device: "tun-\(name)",
                    extra: ["explicit-exit-notify 2", i == 0 ? "health-probe 1" : "keepalive 1 4"])
                if i == 1 { config = config.replacingOccurrences(of: "keepalive 1 10\n", with: "") }
                try stand.write(
                    "/etc/swvpnd/\(name).conf",
                    config
                        .replacingOccurrences(of: "169.254.255.", with: "169.254.\(i + 1).")
                        .replacingOccurrences(of: "route 172.16.0.0", with: "route 172.\(17 + i).0.0"))
                let key = try Self.key(lab, stand, name: name)
                let conf = Self.peerConfig(key: key, port: port, device: "tun-\(name)")
                    .replacingOccurrences(of: "169.254.255.", with: "169.254.\(i + 1).")
                peers.append(
                    try lab.spawn(
                        in: peerNs, label: "openvpn-\(name)",
                        ["openvpn", "--config", try lab.write("\(name).conf", conf)]))
            }
            let units = ["swvpnd@ta.service", "swvpnd@tb.service"]
            try stand.must(["systemctl", "enable"] + units)
            try stand.must(["systemctl", "start", "swvpnd.target"], timeout: 90)
            try stand.eventually("both tunnels active and their peers up", timeout: 60) {
                try units.allSatisfy { try stand.property($0, "ActiveState") == "active" }
                    && peers.allSatisfy { $0.log().contains("Initialization Sequence Completed") }
            }

            try Self.statusReportsTheUnitsTunnels(stand, units: units, killing: peers[1])

            try stand.must(["systemctl", "stop", "swvpnd.target"], timeout: 90)
            for unit in units {
                let state = try stand.property(unit, "ActiveState")
                #expect(state == "inactive", "\(unit) still \(state) when 'systemctl stop swvpnd.target' returned")
            }
            #expect(try Self.tunDevices(stand).isEmpty, "tun devices left after stopping the target")
            #expect(peers[0].isRunning)
        }

        /// `swvpnd status` as an operator runs it in the stand: the units' control sockets are in their
        /// $RUNTIME_DIRECTORY, /run/swvpnd, root's alone; both tunnels up with their peers (exit 0, text and
        /// JSON); then tb's peer dies, tb is lost after its ping-restart, and status exits 1 while ta stays up.
        static func statusReportsTheUnitsTunnels(_ stand: SystemdStand, units: [String], killing tbPeer: Daemon) throws
        {
            for (unit, name) in zip(units, ["ta", "tb"]) {
                let pid = try stand.property(unit, "MainPID")
                let environment = try stand.must(["cat", "/proc/\(pid)/environ"]).split(separator: "\0")
                #expect(environment.contains("RUNTIME_DIRECTORY=/run/swvpnd"), "\(unit): \(environment)")
                let socket = try stand.must(["stat", "-c", "%a %U %F", "/run/swvpnd/\(name).sock"])
                #expect(socket == "600 root socket\n", "/run/swvpnd/\(name).sock: \(socket)")
            }
            var status = try stand.run(["swvpnd", "status"])
            try stand.eventually("swvpnd status: both up, ta's probe answered") {
                status = try stand.run(["swvpnd", "status"])
                return status.succeeded && status.stdout.contains("latest reply")
                    && !status.stdout.contains("latest reply never")
            }
            let text = status.stdout
            #expect(text.components(separatedBy: "state: up").count == 3, "\(text)")
            for peer in [
                "tunnel: ta\n  state: up\n  peer: 10.77.0.2:1194", "tunnel: tb\n  state: up\n  peer: 10.77.0.2:1195",
            ] {
                #expect(text.contains(peer), "\(text)")
            }
            let json = try stand.run(["swvpnd", "status", "--json"])
            #expect(json.succeeded, "\(json.summary)")
            let tunnels = (try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) as? [[String: Any]] ?? []
            #expect(tunnels.map { $0["tunnel"] as? String } == ["ta", "tb"], "\(json.stdout)")
            #expect(tunnels.allSatisfy { $0["state"] as? String == "up" && $0["healthy"] as? Bool == true })
            let probe = tunnels.first?["probe"] as? [String: Any]
            #expect((probe?["rtt_ms"] as? Double).map { $0 > 0 } == true, "no probe RTT under the unit: \(json.stdout)")
            // Mode 0600: another user cannot read the state.
            let nobody = try stand.run([
                "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/sbin/swvpnd", "status", "ta",
            ])
            #expect(!nobody.succeeded && nobody.stderr.contains("ta"), "status as nobody: \(nobody.summary)")

            kill(tbPeer.pid, SIGKILL)
            tbPeer.process.waitUntilExit()
            try stand.eventually("tb lost after its peer died", timeout: 30) {
                try stand.run(["swvpnd", "status", "tb"]).stdout.contains("state: lost (ping-restart)")
            }
            let down = try stand.run(["swvpnd", "status"])
            #expect(down.status == 1 && !down.timedOut, "swvpnd status with tb lost: \(down.summary)")
            #expect(down.stdout.contains("tunnel: ta\n  state: up"), "\(down.stdout)")
            let downJSON = try stand.run(["swvpnd", "status", "--json", "tb"])
            let lost = (try? JSONSerialization.jsonObject(with: Data(downJSON.stdout.utf8))) as? [[String: Any]]
            #expect(downJSON.status == 1, "\(downJSON.summary)")
            #expect(lost?.first?["state"] as? String == "lost" && lost?.first?["healthy"] as? Bool == false)
            let ta = try stand.run(["swvpnd", "status", "ta"])
            #expect(ta.succeeded, "swvpnd status ta while tb is lost: \(ta.summary)")
        }
    }
}
