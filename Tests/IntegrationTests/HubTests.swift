import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension IntegrationTests {
    /// The seed grown to three VPCs: one hub VPN instance runs three swvpnd tunnels (one unit instance
    /// each in production), one per spoke, on ports 1194/1195/1196 with their own keys and /30s.
    @Suite(.serialized)
    struct Hub {
        struct Spoke {
            let index: Int  // 1...3
            let impl: Implementation
            let ns: String
            var port: Int { 1193 + index }
            var hubUnderlay: String { "10.78.\(index).1" }
            var spokeUnderlay: String { "10.78.\(index).2" }
            /// The /30 of tunnel N: 169.254.255.1/2, .5/.6, .9/.10.
            var hubTunnel: String { "169.254.255.\(4 * index - 3)" }
            var spokeTunnel: String { "169.254.255.\(4 * index - 2)" }
            /// The spoke's "VPC" network 172.16.N.0/24 and one host address in it.
            var vpcNet: String { "172.16.\(index).0" }
            var vpcHost: String { "172.16.\(index).1" }
        }

        static let crypto = ["cipher AES-256-CBC", "auth SHA256"]

        static func hubConfig(_ s: Spoke, key: String) -> String {
            ([
                "# hub side of tunnel \(s.index)",
                "port \(s.port)", "dev tun", "remote \(s.spokeUnderlay)",
                "ifconfig \(s.hubTunnel) \(s.spokeTunnel)", "route \(s.vpcNet) 255.255.255.0",
                "secret \(key) 0", "keepalive 2 10", "verb 4",
            ] + crypto).joined(separator: "\n") + "\n"
        }

        static func spokeConfig(_ s: Spoke, key: String) -> String {
            ([
                "# spoke \(s.index)",
                "port \(s.port)", "dev tun", "remote \(s.hubUnderlay)",
                "ifconfig \(s.spokeTunnel) \(s.hubTunnel)",
                "secret \(key) 1", "keepalive 2 10", "verb 4",
            ] + crypto).joined(separator: "\n") + "\n"
        }

        static func ping(_ lab: NetnsLab, from ns: String, to address: String) throws {
            let r = try lab.run(
                in: ns, ["ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", "-w", "15", address], timeout: 20)
            guard r.succeeded else { throw HarnessError("ping \(address) from \(ns) failed: \(r.summary)") }
        }

        /// Verified TCP transfers hub → each listed spoke's VPC address, all at the same time.
        static func parallelTransfers(_ lab: NetnsLab, hub: String, to spokes: [Spoke], bytes: Int, round: Int) throws {
            var listeners: [(Spoke, Daemon, String)] = []
            for s in spokes {
                let port = "\(5100 + round * 10 + s.index)"
                let l = try lab.spawn(
                    in: s.ns, label: "xfer-recv-\(s.index)-\(round)",
                    [
                        "python3", Paths.xferScript, "listen", "--host", s.vpcHost, "--role", "recv", "--port", port,
                        "--bytes", "\(bytes)", "--seed", "\(s.index)", "--timeout", "60",
                    ])
                listeners.append((s, l, port))
            }
            for (_, l, _) in listeners { try l.waitForLog("listening", timeout: 10) }
            var senders: [(Spoke, Daemon, Daemon)] = []
            for (s, l, port) in listeners {
                let sender = try lab.spawn(
                    in: hub, label: "xfer-send-\(s.index)-\(round)",
                    [
                        "python3", Paths.xferScript, "connect", "--host", s.vpcHost, "--role", "send", "--port", port,
                        "--bytes", "\(bytes)", "--seed", "\(s.index)", "--timeout", "60",
                    ])
                senders.append((s, sender, l))
            }
            for (s, sender, listener) in senders {
                guard sender.waitForExit(timeout: 90), listener.waitForExit(timeout: 30) else {
                    throw HarnessError(
                        "transfer to spoke \(s.index) did not finish:\n\(sender.log().tail(5))\n\(listener.log().tail(5))"
                    )
                }
                let sent = sender.log().split(separator: "\n").first { $0.hasPrefix("role=send") }
                let received = listener.log().split(separator: "\n").first { $0.hasPrefix("role=recv") }
                guard sender.process.terminationStatus == 0, listener.process.terminationStatus == 0,
                    let sent, let received,
                    Array(sent.split(separator: " ").dropFirst()) == Array(received.split(separator: " ").dropFirst()),
                    sent.split(separator: " ").dropFirst().first == "bytes=\(bytes)"
                else {
                    throw HarnessError(
                        "transfer to spoke \(s.index) failed or mismatched:\nsender: \(sender.log().tail(5))\n"
                            + "receiver: \(listener.log().tail(5))")
                }
            }
        }

        @Test
        func threeTunnelsOnOneHubCarryTrafficAtOnceAndStoppingOneLeavesTheOthers() throws {
            try Prerequisites.requireBase()
            let bin = try Prerequisites.swvpndBinary()
            let lab = try NetnsLab()
            defer { lab.teardown() }
            let hub = try lab.addNamespace("hub")
            let impls: [Implementation] = [.openvpn, .openvpn, .swvpnd]
            var spokes: [Spoke] = []
            for i in 1...3 {
                let ns = try lab.addNamespace("spoke\(i)")
                let s = Spoke(index: i, impl: impls[i - 1], ns: ns)
                try lab.link(hub, "up\(i)", "\(s.hubUnderlay)/24", ns, "inet0", "\(s.spokeUnderlay)/24")
                // The VPC host address lives on lo (no dummy module needed): reachable only through the tunnel.
                try lab.must(in: ns, ["ip", "addr", "add", "\(s.vpcHost)/32", "dev", "lo"])
                spokes.append(s)
            }

            var hubDaemons: [Daemon] = []
            var spokeDaemons: [Daemon] = []
            for s in spokes {
                let key = lab.path("hub-spoke\(s.index).key")
                let g = try Shell.run([bin, "--genkey", "--secret", key], timeout: 10)
                guard g.succeeded else { throw HarnessError("swvpnd --genkey: \(g.summary)") }
                let spokeConf = try lab.write("spoke\(s.index).conf", Self.spokeConfig(s, key: key))
                let spokeArgv = s.impl == .openvpn ? ["openvpn", "--config", spokeConf] : [bin, "--config", spokeConf]
                spokeDaemons.append(try lab.spawn(in: s.ns, label: "\(s.impl)-spoke\(s.index)", spokeArgv))
                let hubConf = try lab.write("hub-to-spoke\(s.index).conf", Self.hubConfig(s, key: key))
                hubDaemons.append(try lab.spawn(in: hub, label: "swvpnd-hub-\(s.port)", [bin, "--config", hubConf]))
            }
            let seedHelpers = try SeedLabWaiter(lab: lab)
            try seedHelpers.waitUp(hubDaemons + spokeDaemons, timeout: 30)
            #expect(try seedHelpers.tunCount(hub) == 3)

            // All three at once: pings to every spoke VPC, then three verified transfers in parallel.
            for s in spokes { try Self.ping(lab, from: hub, to: s.vpcHost) }
            try Self.parallelTransfers(lab, hub: hub, to: spokes, bytes: 2 * 1024 * 1024, round: 1)
            for s in spokes {
                let r = try Shell.must(["ip", "-n", hub, "route", "get", s.vpcHost])
                #expect(r.contains("via \(s.spokeTunnel)"), "route to spoke \(s.index) VPC: \(r)")
            }

            // Stop the middle tunnel: its device, address and route go; the others carry on untouched.
            let stopped = hubDaemons[1]
            #expect(stopped.stop(signal: SIGTERM, grace: 10), "hub tunnel 1195 ignored SIGTERM")
            #expect(stopped.process.terminationStatus == 0)
            #expect(try seedHelpers.tunCount(hub) == 2)
            let addrs = try Shell.must(["ip", "-n", hub, "addr", "show"])
            #expect(!addrs.contains(spokes[1].hubTunnel + " "), "tunnel 2's address left behind:\n\(addrs)")
            let routes = try Shell.must(["ip", "-n", hub, "route", "show"])
            #expect(!routes.contains("172.16.2.0/24"), "tunnel 2's route left behind:\n\(routes)")
            #expect(
                routes.contains("172.16.1.0/24") && routes.contains("172.16.3.0/24"), "other routes lost:\n\(routes)")

            let others = [spokes[0], spokes[2]]
            for s in others { try Self.ping(lab, from: hub, to: s.vpcHost) }
            try Self.parallelTransfers(lab, hub: hub, to: others, bytes: 2 * 1024 * 1024, round: 2)
            #expect(hubDaemons[0].isRunning && hubDaemons[2].isRunning, "another hub tunnel died")
            for d in [hubDaemons[0], hubDaemons[2]] {
                for sign in ["SIGUSR1", "Inactivity timeout", "SIGTERM"] {
                    #expect(!d.log().contains(sign), "\(d.label) was disturbed: '\(sign)' in its log")
                }
            }
            try LogScan.assertClean(hubDaemons + [spokeDaemons[0], spokeDaemons[2]])
        }
    }
}

/// SeedLab's wait and tun helpers without SeedLab's four namespaces.
struct SeedLabWaiter {
    let lab: NetnsLab

    func waitUp(_ peers: [Daemon], timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        for needle in ["Initialization Sequence Completed", "Peer Connection Initiated with"] {
            while !peers.allSatisfy({ $0.log().contains(needle) }) {
                for p in peers where !p.isRunning || Date() >= deadline {
                    if !p.log().contains(needle) { try p.waitForLog(needle, timeout: 0) }
                }
                usleep(50_000)
            }
        }
    }

    func tunCount(_ ns: String) throws -> Int {
        let out = try Shell.must(["ip", "-n", ns, "-o", "link", "show", "type", "tun"])
        return out.split(separator: "\n").count
    }
}
