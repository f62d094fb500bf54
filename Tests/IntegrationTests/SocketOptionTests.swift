import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension IntegrationTests.DaemonOptions {
    /// The IP sockets a daemon holds, one line each: "kind local peer mark=N dev=NAME pmtudisc=N tos=0xNN"
    /// (scripts/lib/sockopts.py reads them with pidfd_getfd(2), so what the kernel has, whoever set it).
    static func sockets(of daemon: Daemon) throws -> [String] {
        try Shell.must(["python3", Paths.scriptsLib.appendingPathComponent("sockopts.py").path, "\(daemon.pid)"])
            .split(separator: "\n").map(String.init)
    }

    /// A socket line without its addresses (ephemeral ports differ from run to run): "kind mark=… tos=…".
    static func options(_ line: String) -> String {
        let fields = line.split(separator: " ")
        return ([fields.first ?? ""] + fields.dropFirst(3)).joined(separator: " ")
    }

    /// `mark`, `bind-dev` and `mtu-disc` on the tunnel socket, with openvpn 2.6 on B given the same lines as the
    /// reference: `ss -e` shows both UDP sockets bound to the underlay device with the same fwmark, the kernel
    /// has IP_PMTUDISC_DO on both, and the tunnel still carries traffic both ways. Then the same over TCP, each
    /// implementation once as tcp-server and once as tcp-client against the other, with `passtos` too: the
    /// tcp-server's listening socket, the connection it accepted and the tcp-client's connection all carry
    /// the mark, the device and the discovery mode, as openvpn's sockets in the same role do, and after a
    /// ping with TOS 0xb8 through the tunnel both ends' connections have IP_TOS 0xb8.
    @Test
    func markAndBindDevReachTheSocketAsWithOpenVPN() throws {
        let env = try Self.prepare()
        defer { env.lab.teardown() }
        let options = ["mark 42", "bind-dev inet0", "mtu-disc yes"]
        let peers = try Self.startPair(env, extraA: options, extraB: options)
        for (ns, daemon) in [(env.seed.vpnA, peers.a), (env.seed.vpnB, peers.b)] {
            let sockets = try Shell.must(["ip", "netns", "exec", ns, "ss", "-u", "-a", "-n", "-e", "-p"])
            let line = sockets.split(separator: "\n").first { $0.contains("pid=\(daemon.pid),") } ?? ""
            #expect(
                line.contains("%inet0:1194") && line.contains("fwmark:0x2a"), "\(daemon.label)'s socket: \(sockets)")
            let udp = try Self.sockets(of: daemon).filter { $0.hasPrefix("udp ") }.map(Self.options)
            #expect(udp == ["udp mark=42 dev=inet0 pmtudisc=2 tos=0x00"], "\(daemon.label)'s UDP socket: \(udp)")
        }
        try env.seed.pingAcrossBothWays()
        #expect(peers.a.isRunning && peers.b.isRunning, "a peer died during the test")
        #expect(peers.a.stop(grace: 10) && peers.b.stop(grace: 10), "a UDP peer did not stop")

        // Both TCP tunnels at once, on ports 1194 and 1195 with their own tunnel addresses; `ping 1` so that
        // each end hears the other at once.
        let connection = "tcp mark=42 dev=inet0 pmtudisc=2 tos=0xb8"
        let tcpOptions = options + ["passtos", "ping 1"]
        let tunnels = [
            (Implementation.swvpnd, Implementation.openvpn, 1194, "169.254.255"),
            (.openvpn, .swvpnd, 1195, "169.254.254"),
        ]
        var started: [(server: Daemon, client: Daemon, peer: String)] = []
        for (server, client, port, net) in tunnels {
            let b = try env.seed.startPeer(
                server, side: .b,
                config: Self.config(
                    env, .b, extra: ["proto tcp-server"] + tcpOptions, port: port, ifconfig: ("\(net).2", "\(net).1"),
                    route: false), name: "\(server)-B-tcp-server")
            try b.waitForLog("Listening for incoming TCP connection", timeout: 15)
            let a = try env.seed.startPeer(
                client, side: .a,
                config: Self.config(
                    env, .a, extra: ["proto tcp-client"] + tcpOptions, port: port, ifconfig: ("\(net).1", "\(net).2"),
                    route: false), name: "\(client)-A-tcp-client")
            started.append((b, a, "\(net).2"))
        }
        var connections: [String: String] = [:]  // "swvpnd tcp-server" → its connection's options
        for ((server, client, _, _), (b, a, peer)) in zip(tunnels, started) {
            try env.seed.waitUp([a, b], timeout: 30)
            let marked = try env.lab.run(
                in: env.seed.vpnA, ["ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", "-w", "10", "-Q", "0xb8", peer],
                timeout: 15)
            #expect(marked.succeeded, "ping with TOS 0xb8 through the TCP tunnel: \(marked.summary)")
            for (daemon, role, impl) in [(b, "tcp-server", server), (a, "tcp-client", client)] {
                let lines = try Self.sockets(of: daemon).filter { $0.hasPrefix("tcp") }
                let connected = lines.filter { $0.hasPrefix("tcp ") }.map(Self.options)
                #expect(connected.count == 1, "\(daemon.label)'s TCP connections: \(lines)")
                connections["\(impl) \(role)"] = connected.first ?? "none"
                // openvpn closes its listening socket once a client is accepted; swvpnd keeps it (suspended).
                if impl == .swvpnd && role == "tcp-server" {
                    let listening = lines.filter { $0.hasPrefix("tcp-listen ") }.map(Self.options)
                    #expect(
                        listening == ["tcp-listen mark=42 dev=inet0 pmtudisc=2 tos=0x00"],
                        "swvpnd's listening socket: \(lines)")
                }
            }
            try LogScan.assertClean([a, b])
        }
        for role in ["tcp-server", "tcp-client"] {
            #expect(
                connections["swvpnd \(role)"] == connections["openvpn \(role)"],
                "\(role) connection: swvpnd \(connections["swvpnd \(role)"] ?? "-"), openvpn \(connections["openvpn \(role)"] ?? "-")"
            )
            #expect(connections["swvpnd \(role)"] == connection, "swvpnd's \(role) connection")
        }
    }
}
