import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension IntegrationTests {
    /// Process and option features of the daemon (status, writepid, scripts, user/group, logging, route-delay,
    /// replay-persist, IPv6 underlay, DNS remote, OCC, SIGHUP), each with swvpnd on A and the real openvpn on B
    /// unless a test says otherwise. openvpn's own output is used as the reference wherever it has one.
    @Suite(.serialized)
    struct DaemonOptions {
        static let cipher = CipherCase.aes256CBCSHA256KeyDirection

        struct Env {
            let lab: NetnsLab
            let seed: SeedLab
            let key: String
        }

        static func prepare() throws -> Env {
            try Prerequisites.requireBase()
            _ = try Prerequisites.swvpndBinary()
            let lab = try NetnsLab()
            do {
                let seed = try SeedLab(lab: lab)
                return Env(lab: lab, seed: seed, key: try seed.generateKey())
            } catch {
                lab.teardown()
                throw error
            }
        }

        /// The seed config for one side, with `verb` instead of the harness's default 7.
        static func config(
            _ env: Env, _ side: Side, extra: [String] = [], verb: Int = 7, remoteHost: String? = nil, port: Int = 1194,
            ifconfig: (String, String)? = nil, route: Bool = true
        ) -> String {
            let text = env.seed.config(
                side: side, cipher: cipher, keyPath: env.key, port: port, remoteHost: remoteHost, ifconfig: ifconfig,
                route: route, extra: extra)
            return verb == 7 ? text : text.replacingOccurrences(of: "\nverb 7\n", with: "\nverb \(verb)\n")
        }

        /// openvpn on B, then swvpnd on A, both up.
        static func startPair(
            _ env: Env, extraA: [String] = [], extraB: [String] = [], verbB: Int = 7, remoteA: String? = nil,
            remoteB: String? = nil, nameA: String = "swvpnd-A", nameB: String = "openvpn-B"
        ) throws -> (a: Daemon, b: Daemon) {
            let b = try env.seed.startPeer(
                .openvpn, side: .b, config: config(env, .b, extra: extraB, verb: verbB, remoteHost: remoteB),
                name: nameB)
            let a = try env.seed.startPeer(
                .swvpnd, side: .a, config: config(env, .a, extra: extraA, remoteHost: remoteA), name: nameA)
            try env.seed.waitUp([a, b])
            return (a, b)
        }

        /// Polls `condition` until it holds; a timeout is a failure naming `what`. Never a timing assertion:
        /// the timeouts are generous upper bounds for a loaded 2-core machine.
        static func eventually(_ what: @autoclosure () -> String, timeout: Double = 15, _ condition: () throws -> Bool)
            throws
        {
            let deadline = Date().addingTimeInterval(timeout)
            while true {
                if try condition() { return }
                if Date() >= deadline { throw HarnessError("timed out after \(Int(timeout)) s waiting for \(what())") }
                usleep(100_000)
            }
        }

        /// Waits for `needle` in a file the daemon writes itself (`log FILE`); fails at once if it dies.
        static func waitForFile(
            _ path: String, contains needle: String, count: Int = 1, daemon: Daemon, timeout: Double = 15
        ) throws {
            let deadline = Date().addingTimeInterval(timeout)
            while true {
                let text = read(path) ?? ""
                if text.components(separatedBy: needle).count - 1 >= count { return }
                if !daemon.isRunning || Date() >= deadline {
                    throw HarnessError(
                        "\(daemon.label) (pid \(daemon.pid), \(daemon.isRunning ? "running" : "exited")) did not write '\(needle)' "
                            + "\(count)x to \(path).\nfile:\n\(text.tail(30))\nstdout/stderr:\n\(daemon.log().tail(10))"
                    )
                }
                usleep(100_000)
            }
        }

        static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

        static func routes(_ ns: String) throws -> String { try Shell.must(["ip", "-n", ns, "route", "show"]) }

        static func occurrences(_ needle: String, in text: String) -> Int {
            text.components(separatedBy: needle).count - 1
        }

        static var timestampPrefix: Regex<Substring> { #/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} /# }

        /// Seconds since the epoch of the first log line containing `needle` (openvpn's local-time prefix).
        static func loggedTime(of needle: String, in log: String) throws -> time_t {
            guard let line = log.split(separator: "\n").first(where: { $0.contains(needle) }) else {
                throw HarnessError("no log line contains '\(needle)':\n\(log.tail(20))")
            }
            guard line.prefixMatch(of: timestampPrefix) != nil else {
                throw HarnessError("log line has no timestamp (is JOURNAL_STREAM set?): \(line)")
            }
            let f = line.prefix(19).split(whereSeparator: { $0 == "-" || $0 == " " || $0 == ":" }).compactMap {
                Int32($0)
            }
            guard f.count == 6 else { throw HarnessError("unparsable timestamp in: \(line)") }
            var tmv = tm()
            (tmv.tm_year, tmv.tm_mon, tmv.tm_mday) = (f[0] - 1900, f[1] - 1, f[2])
            (tmv.tm_hour, tmv.tm_min, tmv.tm_sec) = (f[3], f[4], f[5])
            tmv.tm_isdst = -1
            return mktime(&tmv)
        }

        // MARK: status

        struct StatusBlock {
            var keys: [String] = []
            var values: [String: UInt64] = [:]
        }

        static let statusKeys = [
            "TUN/TAP read bytes", "TUN/TAP write bytes", "TCP/UDP read bytes", "TCP/UDP write bytes", "Auth read bytes",
        ]

        /// openvpn's p2p status block (PROTOCOL.md §9.7): header, `Updated,<local time>`, `name,count` lines, `END`.
        static func parseStatus(_ text: String, source: String) throws -> StatusBlock {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard lines.count >= 4, lines[0] == "OpenVPN STATISTICS",
                lines[1].wholeMatch(of: #/Updated,\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/#) != nil,
                let end = lines.firstIndex(of: "END"), end == lines.count - 2 || end == lines.count - 1,
                lines.last == "" || end == lines.count - 1
            else { throw HarnessError("\(source) is not an openvpn p2p status block:\n\(text)") }
            var block = StatusBlock()
            for line in lines[2..<end] {
                guard let comma = line.lastIndex(of: ","), let value = UInt64(line[line.index(after: comma)...]) else {
                    throw HarnessError("\(source): bad status line '\(line)'")
                }
                let key = String(line[..<comma])
                block.keys.append(key)
                block.values[key] = value
            }
            return block
        }

        static let compressionKeys = [
            "pre-compress bytes", "post-compress bytes", "pre-decompress bytes", "post-decompress bytes",
        ]

        /// `status FILE 1` has openvpn's exact p2p format (the same lines as openvpn's own status file, which
        /// status-version 1, 2 and 3 leave alike in point-to-point mode; with compression, its four
        /// compression lines), the counters grow with traffic, and SIGUSR2 logs the same block.
        @Test
        func statusFileHasOpenvpnFormatCountsGrowAndSIGUSR2LogsIt() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let statusA = env.lab.path("status-A.txt")
            let statusB = env.lab.path("status-B.txt")
            let compression = ["comp-lzo yes", "allow-compression yes"]
            let peers = try Self.startPair(
                env, extraA: ["status \(statusA) 1", "status-version 3"] + compression,
                extraB: ["status \(statusB) 1", "status-version 2"] + compression)

            var first = StatusBlock()
            try Self.eventually("a complete status file at \(statusA)") {
                guard let text = Self.read(statusA), !text.isEmpty else { return false }
                first = try Self.parseStatus(text, source: statusA)
                return true
            }
            // openvpn rewrites its file in place, so a read may catch it half written: retry until it parses.
            var reference = StatusBlock()
            try Self.eventually("a complete status file from openvpn at \(statusB)") {
                guard let text = Self.read(statusB),
                    let block = try? Self.parseStatus(text, source: statusB)
                else { return false }
                reference = block
                return true
            }
            #expect(
                first.keys == reference.keys,
                "swvpnd's status lines differ from openvpn's: \(first.keys) vs \(reference.keys)")
            #expect(first.keys == Self.statusKeys + Self.compressionKeys)

            try env.seed.pingAcrossBothWays()
            try env.seed.transfer(
                from: env.seed.hostA, to: env.seed.hostB, receiverAddress: SeedLab.hostAddrB, bytes: 256 * 1024, seed: 5
            )
            // openvpn compresses what shrinks: compressible data from B is what A decompresses.
            try env.seed.transfer(
                from: env.seed.hostB, to: env.seed.hostA, receiverAddress: SeedLab.hostAddrA, bytes: 64 * 1024, seed: 6,
                compressible: true)
            var later = StatusBlock()
            try Self.eventually("status counters in \(statusA) to grow past \(first.values)") {
                guard let text = Self.read(statusA), let block = try? Self.parseStatus(text, source: statusA) else {
                    return false
                }
                later = block
                // The file is rewritten every second: wait for one written after the transfer went out through A's tun.
                return Self.statusKeys.allSatisfy { (block.values[$0] ?? 0) > (first.values[$0] ?? 0) }
                    && (block.values["TUN/TAP read bytes"] ?? 0) >= 256 * 1024
                    && (block.values["TUN/TAP write bytes"] ?? 0) >= 64 * 1024
            }
            // Compression counts as openvpn's: every packet tried (random data included), what came out,
            // and what decompressed grew.
            let v = later.values
            #expect((v["pre-compress bytes"] ?? 0) > 0 && (v["post-compress bytes"] ?? 0) > 0, "\(v)")
            #expect(
                (v["post-decompress bytes"] ?? 0) > (v["pre-decompress bytes"] ?? 0)
                    && (v["pre-decompress bytes"] ?? 0) > 0,
                "decompressed bytes: \(v)")
            #expect(
                (later.values["TCP/UDP write bytes"] ?? 0) > (later.values["TUN/TAP read bytes"] ?? 0),
                "link bytes include the encryption overhead: \(later.values)")

            kill(peers.a.pid, SIGUSR2)
            try Self.eventually("the SIGUSR2 status block in \(peers.a.logPath)") {
                peers.a.log().split(separator: "\n").contains { $0.hasSuffix(" END") || $0 == "END" }
            }
            let logged = peers.a.log().split(separator: "\n").map { line -> String in
                let s = String(line)
                return s.prefixMatch(of: Self.timestampPrefix) != nil ? String(s.dropFirst(20)) : s
            }
            guard let start = logged.lastIndex(of: "OpenVPN STATISTICS"),
                let end = logged[start...].firstIndex(of: "END")
            else { throw HarnessError("no status block in the log after SIGUSR2:\n\(peers.a.log().tail(15))") }
            let block = try Self.parseStatus(logged[start...end].joined(separator: "\n"), source: "log after SIGUSR2")
            #expect(block.keys == reference.keys)
            #expect(peers.a.isRunning, "SIGUSR2 must not stop swvpnd")
            try LogScan.assertClean([peers.a, peers.b])
        }

        // MARK: writepid

        /// `writepid FILE` holds the PID and a newline while running and is removed on exit.
        @Test
        func writepidHoldsPIDAndIsRemovedOnExit() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let pidFile = env.lab.path("swvpnd.pid")
            let peers = try Self.startPair(env, extraA: ["writepid \(pidFile)"])
            #expect(Self.read(pidFile) == "\(peers.a.pid)\n")
            #expect(peers.a.stop(signal: SIGTERM, grace: 5), "swvpnd did not exit within 5 s of SIGTERM")
            #expect(peers.a.process.terminationStatus == 0)
            #expect(!FileManager.default.fileExists(atPath: pidFile), "pid file left behind")
        }

        /// With `user nobody` the pid file's directory no longer lets swvpnd unlink it at exit: it is emptied
        /// instead, so it can never name a reused PID.
        @Test
        func writepidWithUserIsEmptiedWhenItCannotBeRemoved() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            // Like /run/swvpnd under the unit: root's, mode 0750, so nobody can neither unlink nor stat in it.
            let runDir = env.lab.path("run")
            try FileManager.default.createDirectory(
                atPath: runDir, withIntermediateDirectories: false,
                attributes: [.posixPermissions: 0o750])
            let pidFile = "\(runDir)/swvpnd-nobody.pid"
            let peers = try Self.startPair(env, extraA: ["writepid \(pidFile)", "user nobody", "group nogroup"])
            try peers.a.waitForLog("dropped privileges")
            #expect(Self.read(pidFile) == "\(peers.a.pid)\n")
            #expect(peers.a.stop(signal: SIGTERM, grace: 5), "swvpnd did not exit within 5 s of SIGTERM")
            #expect(peers.a.process.terminationStatus == 0)
            let left = Self.read(pidFile)
            #expect(left == nil || left == "", "stale pid file after the drop to nobody: '\(left ?? "")'")
            #expect(
                peers.a.log().contains("pid file \(pidFile) emptied"),
                "no note about the emptied pid file:\n\(peers.a.log().tail(10))")
        }

        // MARK: up/down scripts

        /// A script that records its arguments and openvpn's script environment in `script-<SIDE>-<type>.txt`.
        /// As `up` it also records the device as the script finds it (link up, MTU, number of addresses) and,
        /// with `CONFIGURE_DEVICE` set (for `ifconfig-noexec`), then configures it from the `ifconfig_*`
        /// variables; as `down` it exits with `DOWN_STATUS` when that is set.
        static func writeRecorderScript(_ env: Env) throws -> String {
            let path = try env.lab.write(
                "record.sh",
                """
                #!/bin/sh
                f="\(env.lab.workDir)/script-${SIDE}-${script_type}.txt"
                {
                  echo "argc=$#"
                  echo "args=$*"
                  for v in dev dev_type tun_mtu link_mtu ifconfig_local ifconfig_remote script_type script_context signal \
                      trusted_ip trusted_port verb daemon daemon_log_redirect proto_1 remote_1 remote_port_1 local_port_1 \
                      route_network_1 route_netmask_1 route_gateway_1 route_vpn_gateway redirect_gateway \
                      route_net_gateway net_gateway_ipv6 ifconfig_ipv6_local ifconfig_ipv6_netbits ifconfig_ipv6_remote \
                      route_ipv6_network_1 route_ipv6_gateway_1 route_ipv6_metric_1 \
                      route_ipv6_network_2 route_ipv6_gateway_2 route_ipv6_metric_2; do
                    eval "echo $v=\\${$v-UNSET}"
                  done
                  env | grep -E '^(dns_|foreign_option_)' | sort
                  if [ "$script_type" = up ]; then
                    echo "device_up=$(ip -o link show dev "$dev" | grep -cE '[<,]UP[,>]')"
                    echo "device_mtu=$(ip -o link show dev "$dev" | sed -n 's/.* mtu \\([0-9]*\\) .*/\\1/p')"
                    echo "device_addresses=$(ip -o addr show dev "$dev" | grep -c inet)"
                  fi
                } > "$f"
                env | sort > "${f%.txt}.env"
                if [ "$script_type" = up ] && [ -n "$CONFIGURE_DEVICE" ]; then
                  ip link set dev "$dev" up mtu "$tun_mtu" || exit 1
                  ip addr add "$ifconfig_local" peer "$ifconfig_remote" dev "$dev" || exit 1
                  ip -6 addr add "$ifconfig_ipv6_local/$ifconfig_ipv6_netbits" dev "$dev" nodad || exit 1
                fi
                if [ "$script_type" = down ] && [ -n "$DOWN_STATUS" ]; then exit "$DOWN_STATUS"; fi
                exit 0

                """)
            try Shell.must(["chmod", "755", path])
            return path
        }

        static func parseRecord(_ path: String) throws -> [String: String] {
            guard let text = read(path) else { throw HarnessError("script did not run: \(path) missing") }
            var fields: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let eq = line.firstIndex(of: "=") else { continue }
                fields[String(line[..<eq])] = String(line[line.index(after: eq)...])
            }
            return fields
        }

        /// With `script-security 2`, `up`, `route-up`, `ipchange`, `route-pre-down` and `down` get openvpn's
        /// arguments (up/down/route-pre-down: `tun_dev tun_mtu link_mtu ifconfig_local ifconfig_remote init`;
        /// route-up none; ipchange "ip port") and environment (`dns_*` and `foreign_option_N` from `dns` and
        /// `dhcp-option` included); compared field by field with what the real openvpn passes the same script
        /// on B. Both ends run with `ifconfig-noexec` (the `up` script finds the device as openvpn leaves it and
        /// configures it from `ifconfig_*`), `route-ipv6` lines with `route-ipv6-gateway` (`route_ipv6_*` and
        /// the kernel routes compared), and host default routes (`route_net_gateway`, `net_gateway_ipv6`).
        /// Both ends then exit on `inactive` (no tunnel traffic), with openvpn's log lines and `signal`. Then
        /// tcp-clients of both give up on an address that never answers after `connect-timeout`, and exit after
        /// `connect-retry-max`; then, without default routes, a `down` script that fails: both exit with status 1 and openvpn's lines.
        @Test
        func scriptsGetOpenvpnArgumentsAndEnvironmentAndInactiveExits() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let script = try Self.writeRecorderScript(env)
            // The hosts' default gateways: each VPN instance's IPv4 and IPv6 default routes point at the other.
            let defaults = [
                (env.seed.vpnA, SeedLab.underlayB, "fd77::1", "fd77::2"),
                (env.seed.vpnB, SeedLab.underlayA, "fd77::2", "fd77::1"),
            ]
            for (ns, gateway, own6, gateway6) in defaults {
                try env.lab.must(in: ns, ["ip", "route", "add", "default", "via", gateway])
                try env.lab.must(in: ns, ["ip", "-6", "addr", "add", "\(own6)/64", "dev", "inet0", "nodad"])
                try env.lab.must(in: ns, ["ip", "-6", "route", "add", "default", "via", gateway6, "dev", "inet0"])
            }
            let common = [
                "script-security 2", "up \(script)", "down \(script)", "route-up \(script)",
                "route-pre-down \(script)", "ipchange \(script)", "dhcp-option DNS 10.1.1.1",
                "dhcp-option DOMAIN corp.example", "dns server 2 address 10.0.0.53 [fd00:0::53]:853",
                "dns server 2 transport DoT", "dns server -1 address 10.0.0.54", "dns search-domains example.net",
                "ifconfig-noexec", "setenv CONFIGURE_DEVICE 1", "route-ipv6 fd99:1::/64",
                "route-ipv6 fd99:2::1/64 fd00:77::9 7", "route-ipv6-gateway fd00:77::5",
                // Long enough for both ends to start on a loaded machine; no tunnel traffic afterwards.
                "inactive 12",
            ]
            let peers = try Self.startPair(
                env, extraA: common + ["setenv SIDE A", "ifconfig-ipv6 fd00:77::1/64 fd00:77::2"],
                extraB: common + ["setenv SIDE B", "ifconfig-ipv6 fd00:77::2/64 fd00:77::1"])
            let devA = try env.seed.tunDevices(in: env.seed.vpnA).map(\.name)
            let upA = try Self.parseRecord(env.lab.path("script-A-up.txt"))
            let upB = try Self.parseRecord(env.lab.path("script-B-up.txt"))

            let argsA = upA["args"]?.split(separator: " ").map(String.init) ?? []
            let argsB = upB["args"]?.split(separator: " ").map(String.init) ?? []
            #expect(
                upA["argc"] == "6" && upB["argc"] == "6",
                "argc: swvpnd \(upA["argc"] ?? "-"), openvpn \(upB["argc"] ?? "-")")
            if argsA.count == 6 && argsB.count == 6 {
                #expect(devA == [argsA[0]], "tun_dev argument \(argsA[0]) vs devices \(devA)")
                #expect(argsA[1] == argsB[1], "tun_mtu: swvpnd \(argsA[1]) openvpn \(argsB[1])")
                #expect(argsA[2] == argsB[2], "link_mtu: swvpnd \(argsA[2]) openvpn \(argsB[2])")
                #expect(argsA[3] == SeedLab.tunnelA && argsA[4] == SeedLab.tunnelB, "ifconfig arguments: \(argsA)")
                #expect(
                    argsB[3] == SeedLab.tunnelB && argsB[4] == SeedLab.tunnelA, "openvpn's ifconfig arguments: \(argsB)"
                )
                #expect(argsA[5] == "init" && argsB[5] == "init")
            }
            #expect(upA["dev"] == argsA.first)
            #expect(upA["ifconfig_local"] == SeedLab.tunnelA)
            #expect(upA["ifconfig_remote"] == SeedLab.tunnelB)
            for name in ["dev_type", "tun_mtu", "link_mtu", "script_type", "script_context", "trusted_ip"] {
                #expect(
                    upA[name] == upB[name], "up env \(name): swvpnd \(upA[name] ?? "-") openvpn \(upB[name] ?? "-")")
            }
            #expect(upA["script_type"] == "up")
            // ifconfig-noexec: the up script finds the device down, without addresses, at the kernel's MTU.
            for name in ["device_up", "device_mtu", "device_addresses", "ifconfig_ipv6_netbits"] {
                #expect(
                    upA[name] != nil && upA[name] == upB[name],
                    "up \(name): swvpnd \(upA[name] ?? "-") openvpn \(upB[name] ?? "-")")
            }
            #expect(upA["device_up"] == "0" && upA["device_addresses"] == "0", "swvpnd configured the device: \(upA)")
            #expect(upA["ifconfig_ipv6_local"] == "fd00:77::1" && upB["ifconfig_ipv6_local"] == "fd00:77::2")
            #expect(upA["ifconfig_ipv6_remote"] == "fd00:77::2" && upB["ifconfig_ipv6_remote"] == "fd00:77::1")
            // dns_* and foreign_option_N: the same names and values as openvpn's.
            let dnsA = upA.filter { $0.key.hasPrefix("dns_") || $0.key.hasPrefix("foreign_option_") }
            let dnsB = upB.filter { $0.key.hasPrefix("dns_") || $0.key.hasPrefix("foreign_option_") }
            #expect(dnsB["dns_server_2_port_2"] == "853", "openvpn's dns environment: \(dnsB)")
            #expect(
                dnsA == dnsB,
                "dns/foreign_option environment: swvpnd \(dnsA.sorted { $0.key < $1.key }) openvpn \(dnsB.sorted { $0.key < $1.key })"
            )

            // route-up: no arguments, the same environment.
            try Self.eventually("route-up records") {
                FileManager.default.fileExists(atPath: env.lab.path("script-A-route-up.txt"))
                    && FileManager.default.fileExists(atPath: env.lab.path("script-B-route-up.txt"))
            }
            let routeUpA = try Self.parseRecord(env.lab.path("script-A-route-up.txt"))
            let routeUpB = try Self.parseRecord(env.lab.path("script-B-route-up.txt"))
            for name in ["argc", "args", "dev_type", "tun_mtu", "script_type", "script_context"] {
                #expect(
                    routeUpA[name] == routeUpB[name],
                    "route-up \(name): swvpnd \(routeUpA[name] ?? "-") openvpn \(routeUpB[name] ?? "-")")
            }
            #expect(routeUpA["argc"] == "0" && routeUpA["script_type"] == "route-up")

            // ipchange: "ip port" as one argument, trusted_ip/trusted_port set.
            try Self.eventually("ipchange records") {
                FileManager.default.fileExists(atPath: env.lab.path("script-A-ipchange.txt"))
                    && FileManager.default.fileExists(atPath: env.lab.path("script-B-ipchange.txt"))
            }
            let ipA = try Self.parseRecord(env.lab.path("script-A-ipchange.txt"))
            let ipB = try Self.parseRecord(env.lab.path("script-B-ipchange.txt"))
            #expect(
                ipA["argc"] == ipB["argc"], "ipchange argc: swvpnd \(ipA["argc"] ?? "-") openvpn \(ipB["argc"] ?? "-")")
            #expect(ipB["args"] == "[AF_INET]\(SeedLab.underlayA) 1194", "openvpn's ipchange arguments: \(ipB)")
            #expect(ipA["args"] == "[AF_INET]\(SeedLab.underlayB) 1194", "swvpnd's ipchange arguments: \(ipA)")
            #expect(ipA["trusted_ip"] == SeedLab.underlayB && ipB["trusted_ip"] == SeedLab.underlayA)
            #expect(ipA["trusted_port"] == ipB["trusted_port"] && ipA["trusted_port"] == "1194")
            for name in ["script_type", "script_context", "dev_type", "tun_mtu"] {
                #expect(
                    ipA[name] == ipB[name], "ipchange \(name): swvpnd \(ipA[name] ?? "-") openvpn \(ipB[name] ?? "-")")
            }

            for kind in ["up", "route-up", "ipchange"] {
                let names = { (side: String) -> Set<String> in
                    Set(
                        (Self.read(env.lab.path("script-\(side)-\(kind).env")) ?? "").split(separator: "\n").compactMap
                        {
                            $0.split(separator: "=", maxSplits: 1).first.map(String.init)
                        })
                }
                let (a, b) = (names("A"), names("B"))
                // PATH: swvpnd's scripts get a fixed one.
                #expect(
                    b.subtracting(a).isEmpty && a.subtracting(b) == ["PATH"],
                    "\(kind) variables: openvpn only \(b.subtracting(a).sorted()); swvpnd only \(a.subtracting(b).sorted())"
                )
            }
            // The route lists: the same IPv6 entries (network as given, route-ipv6-gateway as the default
            // gateway, the metric), and each host's own default gateways.
            for name in [
                "route_ipv6_network_1", "route_ipv6_gateway_1", "route_ipv6_metric_1", "route_ipv6_network_2",
                "route_ipv6_gateway_2", "route_ipv6_metric_2",
            ] {
                #expect(
                    routeUpA[name] != nil && routeUpA[name] == routeUpB[name],
                    "route-up \(name): swvpnd \(routeUpA[name] ?? "-") openvpn \(routeUpB[name] ?? "-")")
            }
            #expect(routeUpB["route_ipv6_gateway_1"] == "fd00:77::5", "openvpn's route-ipv6 default: \(routeUpB)")
            #expect(
                routeUpA["route_net_gateway"] == SeedLab.underlayB
                    && routeUpB["route_net_gateway"] == SeedLab.underlayA,
                "route_net_gateway: swvpnd \(routeUpA["route_net_gateway"] ?? "-") openvpn \(routeUpB["route_net_gateway"] ?? "-")"
            )
            #expect(
                routeUpA["net_gateway_ipv6"] == "fd77::2" && routeUpB["net_gateway_ipv6"] == "fd77::1",
                "net_gateway_ipv6: swvpnd \(routeUpA["net_gateway_ipv6"] ?? "-") openvpn \(routeUpB["net_gateway_ipv6"] ?? "-")"
            )
            // The kernel's IPv6 routes as each daemon added them (tun: no gateway; host bits cleared; metric).
            let kernelRoutes = { (ns: String) throws -> [String] in
                let tun = try env.seed.tunDevices(in: ns).map(\.name).first ?? "-"
                return try Shell.must(["ip", "-n", ns, "-6", "route", "show"]).split(separator: "\n")
                    .filter { $0.contains("fd99:") }.map { $0.replacingOccurrences(of: tun, with: "TUN") }.sorted()
            }
            let (routes6A, routes6B) = (try kernelRoutes(env.seed.vpnA), try kernelRoutes(env.seed.vpnB))
            #expect(routes6A.count == 2 && routes6A == routes6B, "IPv6 routes: swvpnd \(routes6A) openvpn \(routes6B)")
            for name in [
                "verb", "daemon", "daemon_log_redirect", "proto_1", "remote_port_1", "local_port_1", "route_netmask_1",
                "redirect_gateway",
            ] {
                #expect(
                    routeUpA[name] != nil && routeUpA[name] == routeUpB[name],
                    "route-up \(name): swvpnd \(routeUpA[name] ?? "-") openvpn \(routeUpB[name] ?? "-")")
            }
            #expect(routeUpA["route_vpn_gateway"] == SeedLab.tunnelB && routeUpA["route_gateway_1"] == SeedLab.tunnelB)
            #expect(routeUpA["remote_1"] == SeedLab.underlayB && routeUpA["route_network_1"] == "172.16.0.0")
            // inactive: both exit by themselves, with openvpn's lines and status 0.
            for (daemon, label) in [(peers.a, "swvpnd"), (peers.b, "openvpn")] {
                #expect(daemon.waitForExit(timeout: 45), "\(label) did not exit on inactive:\n\(daemon.log().tail(10))")
                #expect(daemon.process.terminationStatus == 0, "\(label) exit status")
                let log = daemon.log()
                #expect(log.contains("Inactivity timeout (--inactive), exiting"), "\(label):\n\(log.tail(10))")
                #expect(log.contains("SIGTERM[soft,inactive] received, process exiting"), "\(label):\n\(log.tail(10))")
            }
            for kind in ["route-pre-down", "down"] {
                let recordA = try Self.parseRecord(env.lab.path("script-A-\(kind).txt"))
                let recordB = try Self.parseRecord(env.lab.path("script-B-\(kind).txt"))
                #expect(recordA["argc"] == recordB["argc"], "\(kind) argc")
                let dArgsA = recordA["args"]?.split(separator: " ").map(String.init) ?? []
                let dArgsB = recordB["args"]?.split(separator: " ").map(String.init) ?? []
                if dArgsA.count == 6 && dArgsB.count == 6 {
                    #expect(dArgsA[0] == argsA.first, "\(kind) names the device")
                    #expect(
                        dArgsA[1] == dArgsB[1] && dArgsA[2] == dArgsB[2] && dArgsA[5] == dArgsB[5],
                        "\(kind) args: swvpnd \(dArgsA) openvpn \(dArgsB)")
                    #expect(dArgsA[3] == SeedLab.tunnelA && dArgsA[4] == SeedLab.tunnelB)
                } else {
                    Issue.record("\(kind) args: swvpnd \(dArgsA) openvpn \(dArgsB)")
                }
                for name in ["dev_type", "tun_mtu", "link_mtu", "script_type", "script_context", "signal"] {
                    #expect(
                        recordA[name] == recordB[name],
                        "\(kind) env \(name): swvpnd \(recordA[name] ?? "-") openvpn \(recordB[name] ?? "-")")
                }
                #expect(recordA["script_type"] == kind && recordA["signal"] == "inactive")
                #expect(
                    recordA["trusted_ip"] == SeedLab.underlayB && recordB["trusted_ip"] == SeedLab.underlayA,
                    "\(kind) trusted_ip: swvpnd \(recordA["trusted_ip"] ?? "-") openvpn \(recordB["trusted_ip"] ?? "-")"
                )
            }

            // connect-timeout and connect-retry-max, in the same namespaces now that both are gone: a tcp-client
            // tries 10.77.0.9 first, whose SYNs go nowhere (a permanent neighbour entry with a MAC no namespace
            // has: the far end of the veth drops them), and gives up on it after connect-timeout; then the far
            // underlay address, where nobody listens any more (refused). After connect-retry-max 1 round over
            // both remotes it exits with status 1 and openvpn's line. openvpn on B is the reference.
            let silent = "10.77.0.9"
            for ns in [env.seed.vpnA, env.seed.vpnB] {
                try Shell.must(
                    [
                        "ip", "-n", ns, "neigh", "replace", silent, "lladdr", "02:00:00:00:00:09", "dev", "inet0",
                        "nud", "permanent",
                    ])
            }
            let timeout = 3
            let giveUp = [
                "proto tcp-client", "nobind", "connect-retry 1", "connect-retry-max 1", "connect-timeout \(timeout)",
            ]
            let clients = [
                (
                    try env.seed.startPeer(
                        .openvpn, side: .b,
                        config: Self.config(
                            env, .b, extra: giveUp + ["remote \(SeedLab.underlayA)"], remoteHost: silent),
                        name: "openvpn-B-retry-max"), SeedLab.underlayA
                ),
                (
                    try env.seed.startPeer(
                        .swvpnd, side: .a,
                        config: Self.config(
                            env, .a, extra: giveUp + ["remote \(SeedLab.underlayB)"], remoteHost: silent),
                        name: "swvpnd-A-retry-max"), SeedLab.underlayB
                ),
            ]
            for (client, refusing) in clients {
                #expect(client.waitForExit(timeout: 30), "\(client.label) still retrying:\n\(client.log().tail(10))")
                #expect(client.process.terminationStatus == 1, "\(client.label) exit status")
                let log = client.log()
                for line in [
                    "TCP: connect to [AF_INET]\(silent):1194 failed: Connection timed out",
                    "TCP: connect to [AF_INET]\(refusing):1194 failed: Connection refused",
                    "All connections have been connect-retry-max (1) times unsuccessful, exiting",
                ] {
                    #expect(log.contains(line), "\(client.label): no '\(line)':\n\(log.tail(15))")
                }
                // It waited for the timeout (a lower bound; whole seconds in the log, so one less).
                let waited =
                    try Self.loggedTime(of: "failed: Connection timed out", in: log)
                    - Self.loggedTime(of: "Attempting to establish TCP connection with [AF_INET]\(silent)", in: log)
                #expect(waited >= timeout - 1, "\(client.label) gave up on \(silent) after \(waited) s")
            }

            // No default routes now; a down script that fails at SIGTERM is fatal: exit status 1, openvpn's lines.
            for (ns, _, _, _) in defaults {
                try env.lab.must(in: ns, ["ip", "route", "del", "default"])
                try env.lab.must(in: ns, ["ip", "-6", "route", "del", "default"])
            }
            let failing = [
                "script-security 2", "up \(script)", "down \(script)", "setenv DOWN_STATUS 3", "route-ipv6 fd99:1::/64",
            ]
            let ending = try Self.startPair(
                env, extraA: failing + ["setenv SIDE A3"], extraB: failing + ["setenv SIDE B3"],
                nameA: "swvpnd-A-down-fails", nameB: "openvpn-B-down-fails")
            let upA3 = try Self.parseRecord(env.lab.path("script-A3-up.txt"))
            let upB3 = try Self.parseRecord(env.lab.path("script-B3-up.txt"))
            for name in ["route_net_gateway", "net_gateway_ipv6", "route_ipv6_network_1", "route_ipv6_gateway_1"] {
                #expect(
                    upA3[name] != nil && upA3[name] == upB3[name],
                    "without default routes, \(name): swvpnd \(upA3[name] ?? "-") openvpn \(upB3[name] ?? "-")")
            }
            for daemon in [ending.b, ending.a] {
                daemon.stop(grace: 15)
                let log = daemon.log()
                #expect(daemon.process.terminationStatus == 1, "\(daemon.label) exit status:\n\(log.tail(10))")
                #expect(
                    log.contains(
                        "WARNING: Failed running command (--up/--down): external program exited with error status: 3")
                        && log.contains("Exiting due to fatal error") && !log.contains("process exiting"),
                    "\(daemon.label):\n\(log.tail(10))")
            }
        }

        /// Without `script-security 2` the `up` script is not run and a warning says why.
        @Test
        func upScriptWithoutScriptSecurityIsNotRunAndWarns() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let script = try Self.writeRecorderScript(env)
            let a = try env.seed.startPeer(
                .swvpnd, side: .a, config: Self.config(env, .a, extra: ["setenv SIDE A", "up \(script)"]),
                name: "swvpnd-A")
            try a.waitForLog("Data Channel:")
            #expect(
                !FileManager.default.fileExists(atPath: env.lab.path("script-A-up.txt")),
                "up script ran at script-security 1")
            let warning = a.log().split(separator: "\n").first { $0.contains("script-security 2") }
            #expect(warning != nil, "no warning about script-security:\n\(a.log().tail(20))")
            #expect(a.isRunning)
        }

        // MARK: user/group

        /// `user nobody` + `group nogroup`: every thread runs as nobody/nogroup with only CAP_NET_ADMIN, traffic
        /// flows, the status file is still written, and SIGTERM still removes the route and the device.
        @Test
        func userNobodyKeepsTunnelAndStillCleansUpOnSIGTERM() throws {
            guard let pw = getpwnam("nobody"), let gr = getgrnam("nogroup") else {
                throw HarnessError("user 'nobody' and group 'nogroup' must exist on this machine")
            }
            let uid = pw.pointee.pw_uid
            let gid = gr.pointee.gr_gid
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let statusPath = env.lab.path("status-A.txt")
            let peers = try Self.startPair(
                env, extraA: ["user nobody", "group nogroup", "persist-tun", "persist-key", "status \(statusPath) 1"])
            try peers.a.waitForLog("dropped privileges")

            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(peers.a.pid)/task")
            #expect(!tasks.isEmpty)
            for task in tasks {
                guard let status = Self.read("/proc/\(peers.a.pid)/task/\(task)/status") else { continue }
                func field(_ name: String) -> [String] {
                    status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                        .map { $0.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().map(String.init) }
                        ?? []
                }
                #expect(field("Uid") == Array(repeating: "\(uid)", count: 4), "thread \(task) Uid \(field("Uid"))")
                #expect(field("Gid") == Array(repeating: "\(gid)", count: 4), "thread \(task) Gid \(field("Gid"))")
                let capEff = UInt64(field("CapEff").first ?? "", radix: 16) ?? 0
                #expect(
                    capEff == 1 << 12,
                    "thread \(task): CapEff \(String(capEff, radix: 16)) should be CAP_NET_ADMIN only")
            }

            try env.seed.pingAcrossBothWays()
            try env.seed.assertRoutesUseTunnel()
            // openvpn opens the status file before the drop; nobody cannot create files in a root-owned directory.
            try Self.eventually("status file \(statusPath) written with traffic after the drop to nobody") {
                guard let text = Self.read(statusPath), let block = try? Self.parseStatus(text, source: statusPath)
                else {
                    return false
                }
                return (block.values["TUN/TAP read bytes"] ?? 0) > 0
            }

            #expect(peers.a.stop(signal: SIGTERM, grace: 5), "swvpnd did not exit within 5 s of SIGTERM")
            #expect(peers.a.process.terminationStatus == 0, "exit status \(peers.a.process.terminationStatus)")
            let tuns = try env.seed.tunDevices(in: env.seed.vpnA)
            #expect(tuns.isEmpty, "tun devices left behind: \(tuns.map(\.name))")
            let routes = try Self.routes(env.seed.vpnA)
            #expect(!routes.contains("172.16.0.0/16"), "route left behind:\n\(routes)")
            #expect(
                !peers.a.log().contains("Operation not permitted"),
                "teardown lacked a privilege:\n\(peers.a.log().tail(15))")
        }

        // MARK: log, verb, suppress-timestamps

        /// `log` truncates, `log-append` appends; verb 3 shows life-cycle lines but no OCC strings, verb 7 adds
        /// them, verb 0 is silent in normal operation; `suppress-timestamps` drops the time prefix.
        @Test
        func logFilesVerbLevelsAndSuppressTimestamps() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let logPath = try env.lab.write("swvpnd-A.log", "stale line from an earlier run\n")
            let b = try env.seed.startPeer(.openvpn, side: .b, config: Self.config(env, .b), name: "openvpn-B")

            // 1: log FILE, verb 3.
            let a1 = try env.seed.startPeer(
                .swvpnd, side: .a, config: Self.config(env, .a, extra: ["log \(logPath)"], verb: 3),
                name: "swvpnd-A-verb3")
            try Self.waitForFile(logPath, contains: "Initialization Sequence Completed", daemon: a1)
            try env.seed.ping(from: env.seed.vpnA, to: SeedLab.tunnelB)
            #expect(a1.stop(signal: SIGTERM, grace: 5))
            let run1 = Self.read(logPath) ?? ""
            #expect(!run1.contains("stale line"), "`log` must truncate the file")
            #expect(!a1.log().contains("Initialization Sequence Completed"), "with `log`, stderr stays quiet")
            for line in run1.split(separator: "\n") {
                #expect(line.prefixMatch(of: Self.timestampPrefix) != nil, "line without timestamp: \(line)")
            }
            #expect(!run1.contains("Options String") && !run1.contains("OCC_"), "OCC strings at verb 3:\n\(run1)")

            // openvpn rejects a restarted peer's packets from the same second as its previous session.
            usleep(1_100_000)
            // 2: log-append FILE, verb 7, suppress-timestamps.
            let a2 = try env.seed.startPeer(
                .swvpnd, side: .a,
                config: Self.config(env, .a, extra: ["log-append \(logPath)", "suppress-timestamps"]),
                name: "swvpnd-A-verb7")
            try Self.waitForFile(logPath, contains: "Initialization Sequence Completed", count: 2, daemon: a2)
            try env.seed.ping(from: env.seed.vpnA, to: SeedLab.tunnelB)
            #expect(a2.stop(signal: SIGTERM, grace: 5))
            let all = Self.read(logPath) ?? ""
            #expect(all.hasPrefix(run1), "`log-append` must keep the earlier content")
            let run2 = String(all.dropFirst(run1.count))
            #expect(run2.contains("Local Options String"), "no OCC strings at verb 7:\n\(run2.prefix(2000))")
            for line in run2.split(separator: "\n") {
                #expect(
                    line.prefixMatch(of: Self.timestampPrefix) == nil, "timestamp despite suppress-timestamps: \(line)")
            }

            usleep(1_100_000)
            // 3: stderr, verb 0: nothing in normal operation.
            let a3 = try env.seed.startPeer(
                .swvpnd, side: .a, config: Self.config(env, .a, verb: 0), name: "swvpnd-A-verb0")
            try Self.eventually("a tunnel with swvpnd at verb 0") {
                guard a3.isRunning else { throw HarnessError("swvpnd at verb 0 exited:\n\(a3.log())") }
                return try env.lab.run(in: env.seed.vpnA, ["ping", "-n", "-c", "1", "-W", "1", SeedLab.tunnelB])
                    .succeeded
            }
            try env.seed.pingAcrossBothWays()
            #expect(a3.stop(signal: SIGTERM, grace: 5))
            let quiet = a3.log()
            for needle in ["Initialization Sequence Completed", "Peer Connection", "Options String", "Data Channel"] {
                #expect(!quiet.contains(needle), "verb 0 logged '\(needle)':\n\(quiet.tail(10))")
            }
            try LogScan.assertClean([b])
        }

        // MARK: route-delay

        /// `route-delay 2`: no route before the peer is heard, the route only 2 s after it is, and
        /// `Initialization Sequence Completed` after that (checked with the log's own timestamps).
        @Test
        func routeDelayInstallsRoutesTwoSecondsAfterPeerIsHeard() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let a = try env.seed.startPeer(
                .swvpnd, side: .a, config: Self.config(env, .a, extra: ["route-delay 2"]), name: "swvpnd-A")
            try a.waitForLog("Data Channel:")
            usleep(500_000)
            #expect(
                !(try Self.routes(env.seed.vpnA)).contains("172.16.0.0/16"), "route installed before the peer was heard"
            )
            #expect(!a.log().contains("Initialization Sequence Completed"))

            let b = try env.seed.startPeer(.openvpn, side: .b, config: Self.config(env, .b), name: "openvpn-B")
            try env.seed.waitUp([a, b], timeout: 20)
            #expect(
                try Self.routes(env.seed.vpnA).contains("172.16.0.0/16"),
                "route missing after Initialization Sequence Completed")
            let heard = try Self.loggedTime(of: "Peer Connection Initiated", in: a.log())
            let complete = try Self.loggedTime(of: "Initialization Sequence Completed", in: a.log())
            // A lower bound only: a delay can be longer on a busy machine, never shorter.
            #expect(complete - heard >= 2, "routes came \(complete - heard) s after the peer was heard (route-delay 2)")
            try env.seed.pingAcrossBothWays()
            try LogScan.assertClean([a, b])
        }

        // MARK: replay-persist

        /// `replay-persist FILE`: openvpn's 16-byte file with the peer's time and highest id; a restarted
        /// swvpnd starts above it and works with a restarted openvpn; a second swvpnd on the file fails.
        @Test
        func replayPersistSurvivesRestartAndLocksTheFile() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let file = env.lab.path("replay.state")
            let before = time(nil)
            let peers = try Self.startPair(env, extraA: ["replay-persist \(file)"])
            try env.seed.pingAcrossBothWays()
            #expect(peers.a.stop(signal: SIGTERM, grace: 5))
            #expect(peers.b.stop(signal: SIGTERM, grace: 5))

            guard let bytes = FileManager.default.contents(atPath: file) else {
                throw HarnessError("no replay-persist file at \(file)")
            }
            #expect(bytes.count == 16, "replay-persist file is \(bytes.count) bytes, openvpn's is 16")
            guard bytes.count >= 12 else { return }
            let storedTime = bytes.prefix(8).enumerated().reduce(Int64(0)) { $0 | Int64($1.element) << (8 * $1.offset) }
            let storedID = bytes.dropFirst(8).prefix(4).enumerated().reduce(UInt32(0)) {
                $0 | UInt32($1.element) << (8 * $1.offset)
            }
            #expect(
                storedTime >= Int64(before) - 2 && storedTime <= Int64(time(nil)),
                "stored time \(storedTime), test began \(before)")
            #expect(storedID >= 3, "stored id \(storedID) after a dozen packets from the peer")
            let attrs = try FileManager.default.attributesOfItem(atPath: file)
            #expect((attrs[.posixPermissions] as? Int) == 0o600)

            usleep(1_100_000)  // the restarted openvpn needs a newer timestamp than the stored one
            let again = try Self.startPair(
                env, extraA: ["replay-persist \(file)"], nameA: "swvpnd-A-restarted", nameB: "openvpn-B-restarted")
            #expect(
                again.a.log().contains("replay-persist \(file): starting above time \(storedTime) id \(storedID)"),
                "restart did not log the preset:\n\(again.a.log().tail(20))")
            try env.seed.pingAcrossBothWays()

            let second = try env.seed.startPeer(
                .swvpnd, side: .a,
                config: Self.config(
                    env, .a, extra: ["replay-persist \(file)"], port: 1195,
                    ifconfig: ("169.254.254.1", "169.254.254.2"), route: false),
                name: "swvpnd-A-second")
            #expect(second.waitForExit(timeout: 15), "a second swvpnd on the same replay-persist file kept running")
            #expect(second.process.terminationStatus != 0)
            let secondLog = second.log()
            #expect(
                secondLog.contains("replay-persist \(file)") && secondLog.contains("in use"),
                "no clear error for the locked file:\n\(secondLog.tail(10))")
            #expect(again.a.isRunning)
            try LogScan.assertClean([again.a, again.b])
        }

        // MARK: IPv6 underlay

        /// `proto udp6` between fd00::1 and fd00::2 on the "internet" veth: ping and a TCP transfer both ways.
        @Test
        func udp6UnderlayCarriesTheTunnel() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            try Shell.must(["ip", "-n", env.seed.vpnA, "addr", "add", "fd00::1/64", "dev", "inet0", "nodad"])
            try Shell.must(["ip", "-n", env.seed.vpnB, "addr", "add", "fd00::2/64", "dev", "inet0", "nodad"])
            let peers = try Self.startPair(
                env, extraA: ["proto udp6"], extraB: ["proto udp6"], remoteA: "fd00::2", remoteB: "fd00::1")
            #expect(peers.a.log().contains("Peer Connection Initiated with [AF_INET6]"), "A did not hear B over IPv6")
            #expect(
                peers.b.log().contains("Peer Connection Initiated with [AF_INET6]fd00::1"), "B did not hear A over IPv6"
            )
            try env.seed.pingAcrossBothWays()
            try env.seed.transfer(
                from: env.seed.hostA, to: env.seed.hostB, receiverAddress: SeedLab.hostAddrB, bytes: 2 * 1024 * 1024,
                seed: 61)
            try env.seed.transfer(
                from: env.seed.hostB, to: env.seed.hostA, receiverAddress: SeedLab.hostAddrA, bytes: 2 * 1024 * 1024,
                seed: 62)
            try LogScan.assertClean([peers.a, peers.b])
        }

        // MARK: remote by name

        /// What getaddrinfo reads inside `ns`: `/etc/netns/NS/hosts` and `resolv.conf`, bind-mounted over
        /// /etc by `ip netns exec`, with DNS pointed at the namespace's loopback where nothing answers.
        final class NamespaceHosts {
            let dir: String
            private let createdParent: Bool
            private var lines = ["127.0.0.1 localhost"]

            init(_ ns: String) throws {
                dir = "/etc/netns/\(ns)"
                createdParent = !FileManager.default.fileExists(atPath: "/etc/netns")
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n".write(
                    toFile: dir + "/resolv.conf", atomically: true, encoding: .utf8)
                try add()
            }

            /// Rewrites the hosts file in place: a running daemon's bind mount holds on to the file itself.
            func add(_ line: String? = nil) throws {
                if let line { lines.append(line) }
                guard let file = fopen(dir + "/hosts", "w") else { throw HarnessError("cannot write \(dir)/hosts") }
                fputs(lines.joined(separator: "\n") + "\n", file)
                fclose(file)
            }

            func remove() {
                try? FileManager.default.removeItem(atPath: dir)
                if createdParent { rmdir("/etc/netns") }  // only if empty: another user's entries stay
            }
        }

        /// `remote vpn2.swvpnd.test`, resolved by swvpnd's real getaddrinfo through the namespace's own hosts
        /// file. The name is missing at start: swvpnd keeps trying, accepts nothing from B meanwhile (counted
        /// as wrong source, not a single "Peer Connection Initiated"), and pins B's address as soon as the
        /// entry appears; then the tunnel carries traffic.
        @Test
        func remoteNameThatResolvesLateIsPinnedAndNothingIsAcceptedBefore() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let hosts = try NamespaceHosts(env.seed.vpnA)
            defer { hosts.remove() }
            // B pings every second, so A has packets to refuse while the name does not resolve.
            let b = try env.seed.startPeer(
                .openvpn, side: .b, config: Self.config(env, .b, extra: ["ping 1"]), name: "openvpn-B")
            let runtime = env.lab.path("run")
            let path = try env.lab.write("swvpnd-A.conf", Self.config(env, .a, remoteHost: "vpn2.swvpnd.test"))
            let bin = try Prerequisites.swvpndBinary()
            let a = try env.lab.spawn(
                in: env.seed.vpnA, label: "swvpnd-A", ["env", "RUNTIME_DIRECTORY=\(runtime)", bin, "--config", path])
            try a.waitForLog("RESOLVE: Cannot resolve host address: vpn2.swvpnd.test:1194")
            try Self.eventually("B's packets counted as dropped (wrong_source) in `swvpnd status`") {
                try Shell.run(["env", "RUNTIME_DIRECTORY=\(runtime)", bin, "status"]).stdout.contains("wrong_source")
            }
            #expect(!a.log().contains("Peer Connection Initiated"), "accepted B before its name resolved")

            try hosts.add("\(SeedLab.underlayB) vpn2.swvpnd.test")
            try a.waitForLog("RESOLVE: vpn2.swvpnd.test:1194 resolved to [AF_INET]\(SeedLab.underlayB):1194")
            try env.seed.waitUp([a, b])
            #expect(a.log().contains("Peer Connection Initiated with [AF_INET]\(SeedLab.underlayB)"))
            try env.seed.pingAcrossBothWays()
            try LogScan.assertClean([a, b])
        }

        /// swvpnd as `tcp-server` with `remote vpn2.swvpnd.test` that does not resolve yet: openvpn's
        /// tcp-client (B) is turned away until the name resolves, then accepted, and traffic flows.
        @Test
        func tcpServerWithARemoteNameAcceptsNoClientBeforeItResolves() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let hosts = try NamespaceHosts(env.seed.vpnA)
            defer { hosts.remove() }
            let a = try env.seed.startPeer(
                .swvpnd, side: .a,
                config: Self.config(env, .a, extra: ["proto tcp-server"], remoteHost: "vpn2.swvpnd.test"),
                name: "swvpnd-A")
            try a.waitForLog("Listening for incoming TCP connection")
            let b = try env.seed.startPeer(
                .openvpn, side: .b, config: Self.config(env, .b, extra: ["proto tcp-client"]), name: "openvpn-B")
            try a.waitForLog(
                "Rejected connection attempt from [AF_INET]\(SeedLab.underlayB)", timeout: 20)
            #expect(a.log().contains("due to --remote setting (not resolved yet)"))
            #expect(!a.log().contains("TCP connection established"), "accepted a client before the name resolved")

            try hosts.add("\(SeedLab.underlayB) vpn2.swvpnd.test")
            try a.waitForLog("RESOLVE: vpn2.swvpnd.test:1194 resolved to [AF_INET]\(SeedLab.underlayB):1194")
            try env.seed.waitUp([a, b], timeout: 30)
            #expect(a.log().contains("TCP connection established with [AF_INET]\(SeedLab.underlayB)"))
            try env.seed.pingAcrossBothWays()
        }

        /// Several `remote` lines: the first answers nothing (an unused address on the namespace's own
        /// link, so nothing leaves the lab), ping-restart moves swvpnd to the next one, which works.
        @Test
        func pingRestartMovesToTheNextRemote() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let peers = try Self.startPair(
                env, extraA: ["remote \(SeedLab.underlayB) 1194", "keepalive 1 4"], extraB: ["keepalive 1 4"],
                remoteA: "10.77.0.3")
            #expect(peers.a.log().contains("trying the next remote: \(SeedLab.underlayB):1194"))
            #expect(peers.a.log().contains("Peer Connection Initiated with [AF_INET]\(SeedLab.underlayB):1194"))
            try env.seed.pingAcrossBothWays()
        }

        // MARK: OCC

        /// B with `tun-mtu 1400`: swvpnd warns naming tun-mtu, openvpn warns about swvpnd's OCC_REPLY,
        /// and the tunnel keeps working.
        @Test
        func occMismatchIsWarnedAboutAndTunnelStillWorks() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let peers = try Self.startPair(env, extraB: ["tun-mtu 1400"])
            try Self.eventually("swvpnd's OCC warning naming tun-mtu", timeout: 40) {
                peers.a.log().split(separator: "\n").contains { $0.contains("OCC") && $0.contains("tun-mtu") }
            }
            try peers.b.waitForLog("'tun-mtu' is used inconsistently", timeout: 40)
            try env.seed.pingAcrossBothWays()
            #expect(peers.a.isRunning && peers.b.isRunning)
        }

        /// Matching configs: each side answers the other's OCC_REQUEST and nobody reports an inconsistency.
        /// openvpn logs a received OCC_REPLY only at verb 9 (D_PACKET_CONTENT), so B runs at 9 here.
        @Test
        func occRequestAndReplyAreExchangedWhenConfigsMatch() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let peers = try Self.startPair(env, verbB: 9)
            try peers.b.waitForLog("RECEIVED OCC_REPLY", timeout: 40)
            try peers.a.waitForLog("RECEIVED OCC_REPLY", timeout: 40)
            #expect(peers.a.log().contains("RECEIVED OCC_REQUEST"), "openvpn's OCC_REQUEST never reached swvpnd")
            #expect(
                !peers.a.log().contains("OCC: "), "swvpnd warned about matching configs:\n\(peers.a.log().tail(20))")
            try LogScan.assertClean([peers.a, peers.b])
        }

        // MARK: SIGHUP

        /// A broken config on SIGHUP is reported with file:line and the old tunnel keeps running; a valid
        /// change (a second route) on SIGHUP takes effect.
        @Test
        func sighupKeepsTunnelOnBadConfigAndAppliesGoodChange() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let peers = try Self.startPair(env)
            let confPath = env.lab.path("swvpnd-A.conf")
            guard let original = Self.read(confPath) else { throw HarnessError("cannot read \(confPath)") }
            // the appended line's number
            let badLine = original.split(separator: "\n", omittingEmptySubsequences: false).count
            try (original + "tun-mtu not-a-number\n").write(toFile: confPath, atomically: true, encoding: .utf8)
            kill(peers.a.pid, SIGHUP)
            try peers.a.waitForLog("configuration reload failed")
            let failure =
                peers.a.log().split(separator: "\n").first { $0.contains("configuration reload failed") } ?? ""
            #expect(
                failure.contains("\(confPath):\(badLine)"), "error does not name \(confPath):\(badLine): \(failure)")
            try env.seed.pingAcrossBothWays()
            #expect(peers.a.isRunning)
            #expect(
                Self.occurrences("Initialization Sequence Completed", in: peers.a.log()) == 1,
                "the tunnel was restarted")

            try (original + "route 192.168.77.0 255.255.255.0\n").write(
                toFile: confPath, atomically: true, encoding: .utf8)
            kill(peers.a.pid, SIGHUP)
            try Self.eventually("the second route after SIGHUP") {
                guard peers.a.isRunning else {
                    throw HarnessError("swvpnd exited on SIGHUP:\n\(peers.a.log().tail(20))")
                }
                return try Self.routes(env.seed.vpnA).contains("192.168.77.0/24")
            }
            try Self.eventually("a second Initialization Sequence Completed") {
                Self.occurrences("Initialization Sequence Completed", in: peers.a.log()) == 2
            }
            let routes = try Self.routes(env.seed.vpnA)
            #expect(routes.contains("172.16.0.0/16"), "the first route is gone after reload:\n\(routes)")
            try env.seed.pingAcrossBothWays()
            try LogScan.assertClean([peers.a, peers.b])
        }
    }
}
