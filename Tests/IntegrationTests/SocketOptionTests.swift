import Foundation
import Testing

extension IntegrationTests.DaemonOptions {
    /// `mark`, `bind-dev` and `mtu-disc` on the tunnel socket, with openvpn 2.6 on B given the same lines as the
    /// reference: `ss -e` shows both UDP sockets bound to the underlay device with the same fwmark, and the
    /// tunnel still carries traffic both ways.
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
        }
        try env.seed.pingAcrossBothWays()
        #expect(peers.a.isRunning && peers.b.isRunning, "a peer died during the test")
    }
}
