import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension IntegrationTests {
    /// The openvpn options about the host around the tunnel, swvpnd on A against the real openvpn on B:
    /// `redirect-gateway`, `passtos` and `shaper` in one tunnel; `dev-node`, `chroot` and `syslog` in
    /// another, started in a mount namespace whose /dev is the test's own.
    @Suite(.serialized)
    struct HostOptions {
        typealias Options = DaemonOptions

        static func prepare() throws -> DaemonOptions.Env {
            try Prerequisites.requireBase()
            _ = try Prerequisites.swvpndBinary()
            let lab = try NetnsLab(owner: "netopts")
            do {
                let seed = try SeedLab(lab: lab)
                return DaemonOptions.Env(lab: lab, seed: seed, key: try seed.generateKey())
            } catch {
                lab.teardown()
                throw error
            }
        }

        static func script(_ name: String) -> String { Paths.scriptsLib.appendingPathComponent(name).path }

        /// redirect-gateway def1: while up, 0.0.0.0/1 and 128.0.0.0/1 go to the tunnel peer and the UDP peer
        /// keeps a host route via the old default gateway; after SIGTERM all three are gone and the default
        /// route is untouched. passtos: a ping with TOS 0xb8 through the tunnel leaves A in an outer UDP
        /// packet with TOS 0xb8 (seen on B's side of the underlay), after A's unmarked packets went with TOS 0.
        /// shaper: traffic still passes with it (its rate is measured in Benchmarks/, not here). Then plain
        /// redirect-gateway (no def1): the default route goes via the tunnel and the old one comes back at exit.
        @Test
        func redirectGatewayRoutesComeAndGoAndPasstosMarksTheOuterPackets() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let (vpnA, vpnB) = (env.seed.vpnA, env.seed.vpnB)
            // The underlay default route redirect-gateway keeps the peer on: via B itself.
            try Shell.must(["ip", "-n", vpnA, "route", "add", "default", "via", SeedLab.underlayB])
            let capture = try env.lab.spawn(
                in: vpnB, label: "tos-capture",
                ["python3", Self.script("tos_capture.py"), "inet0", "1194", SeedLab.underlayA, "0xb8", "60"])
            try capture.waitForLog("capturing", timeout: 10)

            let peers = try Options.startPair(env, extraA: ["redirect-gateway def1", "passtos", "shaper 5000000"])
            let up = try Options.routes(vpnA)
            let tunnelRoute = #/dev (tun\d+)/#
            for expected in [
                "0.0.0.0/1 via \(SeedLab.tunnelB) dev tun", "128.0.0.0/1 via \(SeedLab.tunnelB) dev tun",
                "\(SeedLab.underlayB) via \(SeedLab.underlayB) dev inet0", "default via \(SeedLab.underlayB) dev inet0",
            ] {
                #expect(up.contains(expected), "route '\(expected)' missing while up:\n\(up)")
            }
            #expect(up.firstMatch(of: tunnelRoute) != nil)

            try env.seed.pingAcrossBothWays()
            let marked = try env.lab.run(
                in: env.seed.hostA,
                ["ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", "-w", "10", "-Q", "0xb8", SeedLab.hostAddrB],
                timeout: 15)
            #expect(marked.succeeded, "ping with TOS 0xb8 through the tunnel: \(marked.summary)")
            #expect(capture.waitForExit(timeout: 20), "the capture did not finish:\n\(capture.log())")
            #expect(
                capture.process.terminationStatus == 0,
                "no outer packet from A with TOS 0xb8 (passtos):\n\(capture.log())")
            // The TOS follows the packets: A's earlier (unmarked) packets went out with TOS 0.
            #expect(
                capture.log().contains("src=\(SeedLab.underlayA) tos=0x00"),
                "A's unmarked packets should carry TOS 0:\n\(capture.log())")

            #expect(peers.a.stop(signal: SIGTERM, grace: 10), "swvpnd did not exit on SIGTERM")
            #expect(peers.a.process.terminationStatus == 0)
            let down = try Options.routes(vpnA)
            for gone in ["0.0.0.0/1 ", "128.0.0.0/1 ", "\(SeedLab.underlayB) via "] {
                #expect(
                    !down.split(separator: "\n").contains { $0.hasPrefix(gone) },
                    "route '\(gone)' left after exit:\n\(down)")
            }
            #expect(down.contains("default via \(SeedLab.underlayB) dev inet0"), "default route lost:\n\(down)")

            // Without def1 the default route itself is replaced while up and put back at exit.
            let a2 = try env.seed.startPeer(
                .swvpnd, side: .a, config: Options.config(env, .a, extra: ["redirect-gateway"]), name: "swvpnd-A2")
            try a2.waitForLog("Initialization Sequence Completed", timeout: 15)
            let replaced = try Options.routes(vpnA)
            #expect(
                replaced.contains("default via \(SeedLab.tunnelB) dev tun"),
                "no default route via the tunnel:\n\(replaced)")
            #expect(
                !replaced.contains("default via \(SeedLab.underlayB)"), "old default route still there:\n\(replaced)")
            #expect(replaced.contains("\(SeedLab.underlayB) via \(SeedLab.underlayB) dev inet0"), "\(replaced)")
            try env.seed.ping(from: env.seed.hostA, to: SeedLab.hostAddrB)
            #expect(a2.stop(signal: SIGTERM, grace: 10), "swvpnd did not exit on SIGTERM")
            let restored = try Options.routes(vpnA)
            #expect(
                restored.contains("default via \(SeedLab.underlayB) dev inet0"),
                "default route not put back:\n\(restored)")
            #expect(!restored.contains("default via \(SeedLab.tunnelB)"), "\(restored)")
            try LogScan.assertClean([peers.a, peers.b, a2])
        }

        /// redirect-gateway ipv6 !ipv4 over an IPv6 underlay: ::/3, 2000::/4, 3000::/4 and fc00::/7 go to the
        /// tunnel, and the IPv6 peer fd00::2 (inside fc00::/7) keeps a host route with metric 1 where the kernel's
        /// route to it leads, as openvpn adds it (here on-link on inet0, so without a gateway); the tunnel carries
        /// traffic; all of it is removed on exit.
        @Test
        func redirectGatewayIPv6KeepsTheIPv6PeerOnTheUnderlay() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let (vpnA, vpnB) = (env.seed.vpnA, env.seed.vpnB)
            try Shell.must(["ip", "-n", vpnA, "addr", "add", "fd00::1/64", "dev", "inet0", "nodad"])
            try Shell.must(["ip", "-n", vpnB, "addr", "add", "fd00::2/64", "dev", "inet0", "nodad"])
            try Shell.must(["ip", "-6", "-n", vpnA, "route", "add", "default", "via", "fd00::2", "dev", "inet0"])
            let peers = try Options.startPair(
                env, extraA: ["proto udp6", "ifconfig-ipv6 fd01::1/64 fd01::2", "redirect-gateway ipv6 !ipv4"],
                extraB: ["proto udp6", "ifconfig-ipv6 fd01::2/64 fd01::1"], remoteA: "fd00::2", remoteB: "fd00::1")
            let up = try Shell.must(["ip", "-6", "-n", vpnA, "route", "show"])
            for expected in [
                "fd00::2 dev inet0 metric 1 ", "::/3 dev tun", "2000::/4 dev tun", "3000::/4 dev tun",
                "fc00::/7 dev tun",
            ] {
                #expect(up.contains(expected), "IPv6 route '\(expected)' missing while up:\n\(up)")
            }
            let ipv4 = try Options.routes(vpnA)
            #expect(
                !ipv4.split(separator: "\n").contains { $0.hasPrefix("0.0.0.0/1 ") || $0.hasPrefix("default") },
                "!ipv4 must leave IPv4 alone:\n\(ipv4)")
            try env.seed.pingAcrossBothWays()
            #expect(peers.a.stop(signal: SIGTERM, grace: 10), "swvpnd did not exit on SIGTERM")
            let down = try Shell.must(["ip", "-6", "-n", vpnA, "route", "show"])
            for gone in ["fd00::2 ", "2000::/4", "fc00::/7"] {
                #expect(
                    !down.split(separator: "\n").contains { $0.hasPrefix(gone) },
                    "IPv6 route '\(gone)' left after exit:\n\(down)")
            }
            try LogScan.assertClean([peers.a, peers.b])
        }

        /// dev-node, chroot and syslog together. A runs in a mount namespace whose /dev is the test's
        /// directory: a TUN clone node under another name (no /dev/net/tun, so only dev-node can open the
        /// device) and /dev/log a socket the test reads. The tunnel carries traffic after the chroot into an
        /// empty directory; the log lines reach the socket with openvpn's facility and tag; the status file
        /// (opened before) is still rewritten; SIGHUP's re-read fails inside the chroot and the tunnel stays;
        /// routes are removed at exit. A dev-node that does not exist is an error naming it.
        @Test
        func devNodeChrootAndSyslogTogether() throws {
            let env = try Self.prepare()
            defer { env.lab.teardown() }
            let lab = env.lab
            let dev = lab.path("dev")
            let jail = lab.path("jail")
            for directory in [dev, jail] {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            }
            for (name, major, minor) in [("netopts-tun", "10", "200"), ("null", "1", "3"), ("urandom", "1", "9")] {
                try Shell.must(["mknod", "-m", "0666", "\(dev)/\(name)", "c", major, minor])
            }
            let syslog = try lab.spawn(
                in: env.seed.vpnA, label: "syslog", ["python3", Self.script("syslog_sink.py"), "\(dev)/log"])
            try syslog.waitForLog("listening", timeout: 10)

            let bin = try Prerequisites.swvpndBinary()
            // A missing clone device is named in the error (exit 1 at once, no peer needed).
            let missing = try lab.write(
                "missing.conf", Options.config(env, .a, extra: ["dev-node \(lab.path("no-such-tun"))"]))
            let failed = try lab.run(in: env.seed.vpnA, [bin, "--config", missing], timeout: 20)
            #expect(failed.status == 1, "\(failed.summary)")
            #expect(
                failed.stderr.contains("on \(lab.path("no-such-tun")): No such file or directory"), "\(failed.summary)")

            let status = lab.path("status.txt")
            let b = try env.seed.startPeer(.openvpn, side: .b, config: Options.config(env, .b), name: "openvpn-B")
            let config = try lab.write(
                "swvpnd-A.conf",
                Options.config(
                    env, .a,
                    extra: ["dev-node /dev/netopts-tun", "chroot \(jail)", "syslog netopts-test", "status \(status) 1"])
            )
            // `ip netns exec` already gives the process its own mount namespace: the bind stays inside it.
            let a = try lab.spawn(
                in: env.seed.vpnA, label: "swvpnd-A",
                ["sh", "-c", "mount --bind \"$0\" /dev && exec \"$1\" --config \"$2\"", dev, bin, config])
            try Options.eventually("swvpnd A's start-up lines in syslog\n\(syslog.log().tail(20))\n\(a.log().tail(10))")
            {
                guard a.isRunning else {
                    throw HarnessError("swvpnd A exited:\n\(a.log().tail(20))\n\(syslog.log().tail(20))")
                }
                return syslog.log().contains("Initialization Sequence Completed")
            }
            try env.seed.waitUp([b])
            try env.seed.pingAcrossBothWays()

            // (A message with a newline in it continues on lines of its own; the format is checked on the first.)
            let lines = syslog.log().split(separator: "\n").map(String.init).filter { $0.hasPrefix("<") }
            // <29>: facility daemon (3 << 3) + notice (5), then `Mmm dd hh:mm:ss tag[pid]: message`.
            let tagged = #/^<(\d+)>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d netopts-test\[(\d+)\]: (.*)$/#
            let parsed = lines.compactMap { $0.wholeMatch(of: tagged) }
            #expect(
                parsed.count == lines.count,
                "lines not in syslog format:\n\(lines.filter { $0.wholeMatch(of: tagged) == nil })")
            #expect(parsed.allSatisfy { Int($0.output.2) == Int(a.pid) }, "tag pid is not swvpnd's \(a.pid)")
            #expect(
                parsed.contains {
                    $0.output.1 == "29" && $0.output.3.contains("chroot to '\(jail)' and cd to '/' succeeded")
                })
            #expect(!a.log().contains("Initialization Sequence Completed"), "log lines went to stderr too:\n\(a.log())")

            // After the chroot: the status file (opened before) is still rewritten, SIGUSR2 still logs.
            try Options.eventually("a status file counting the pings at \(status)") {
                guard let text = Options.read(status), let block = try? Options.parseStatus(text, source: status) else {
                    return false
                }
                return (block.values["TUN/TAP read bytes"] ?? 0) > 0
            }
            kill(a.pid, SIGUSR2)
            try Options.eventually("the SIGUSR2 statistics in syslog") { syslog.log().contains("OpenVPN STATISTICS") }
            // SIGHUP cannot re-read the config from inside the empty chroot: said so (an error), tunnel kept.
            kill(a.pid, SIGHUP)
            try Options.eventually("the failed reload in syslog") {
                syslog.log().contains("<27>")
                    && syslog.log().contains("configuration reload failed, keeping the running tunnel")
            }
            try env.seed.ping(from: env.seed.hostA, to: SeedLab.hostAddrB)

            #expect(a.stop(signal: SIGTERM, grace: 10), "swvpnd did not exit on SIGTERM")
            #expect(a.process.terminationStatus == 0, "exit status \(a.process.terminationStatus)")
            let routes = try Options.routes(env.seed.vpnA)
            #expect(!routes.contains("172.16.0.0/16"), "route left after exit inside chroot:\n\(routes)")
            try Options.eventually("the exit line in syslog") { syslog.log().contains("process exiting") }
        }
    }
}
