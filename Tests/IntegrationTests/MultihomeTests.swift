import Foundation
import Testing

extension IntegrationTests.DaemonOptions {
    /// `multihome` against openvpn 2.6. A's underlay gets a second address (10.77.0.3) and openvpn on B
    /// sends to it (`remote 10.77.0.3`, no float). Without multihome A answers from its primary address
    /// and openvpn drops every reply as from an unknown source (the negative control); with it A answers
    /// from the address B sent to, B accepts A, and the tunnel carries traffic both ways.
    @Test
    func multihomeRepliesFromTheAddressThePeerSentTo() throws {
        let env = try Self.prepare()
        defer { env.lab.teardown() }
        let secondary = "10.77.0.3"
        try env.lab.must(in: env.seed.vpnA, ["ip", "addr", "add", "\(secondary)/24", "dev", "inet0"])
        // B pings every second, so A always has something to answer.
        let b = try env.seed.startPeer(
            .openvpn, side: .b, config: Self.config(env, .b, extra: ["ping 1"], remoteHost: secondary),
            name: "openvpn-B")

        let plain = try env.seed.startPeer(.swvpnd, side: .a, config: Self.config(env, .a), name: "swvpnd-A-plain")
        try b.waitForLog("Incoming packet rejected from [AF_INET]\(SeedLab.underlayA):1194")
        #expect(!b.log().contains("Peer Connection Initiated"), "B accepted A's primary address")
        plain.stop()

        let a = try env.seed.startPeer(
            .swvpnd, side: .a, config: Self.config(env, .a, extra: ["multihome"]), name: "swvpnd-A-multihome")
        try env.seed.waitUp([a, b])
        #expect(b.log().contains("Peer Connection Initiated with [AF_INET]\(secondary):1194"), "\(b.log().tail(20))")
        #expect(
            a.log().contains(
                "multihome: replies to [AF_INET]\(SeedLab.underlayB):1194 leave via [AF_INET]\(secondary)%inet0"),
            "\(a.log().tail(20))")
        try env.seed.pingAcrossBothWays()
        // TCP through the tunnel: with offloads A sends UDP GSO trains, each message carrying the
        // pktinfo behind its UDP_SEGMENT control message; one from the wrong address would be dropped.
        try env.seed.transferBothWays(bytes: 4 * 1024 * 1024)
        print(
            "multihome: swvpnd \(a.log().split(separator: "\n").first { $0.contains("offloads:") } ?? "offloads off")")
        #expect(!b.log().contains("Incoming packet rejected from [AF_INET]\(secondary)"))
        #expect(a.isRunning && b.isRunning, "a peer died during the test")
    }

    /// `dev null` (openvpn's own test setting) on both ends, swvpnd on A and openvpn 2.6 on B: no device
    /// on either side, the tunnel comes up, keepalive pings cross both ways, the OCC strings agree
    /// (`dev-type null`), and `swvpnd status` shows the tunnel up on device `null`.
    @Test
    func nullDeviceTunnelComesUpWithOpenVPNsDevNull() throws {
        let env = try Self.prepare()
        defer { env.lab.teardown() }
        func config(_ side: Side) -> String {
            """
            dev null
            remote \(side == .a ? SeedLab.underlayB : SeedLab.underlayA)
            cipher AES-256-CBC
            auth SHA256
            secret \(env.key) \(side == .a ? 0 : 1)
            keepalive 1 10
            verb 7

            """
        }
        let b = try env.seed.startPeer(.openvpn, side: .b, config: config(.b), name: "openvpn-B")
        let runtime = env.lab.path("run")
        let path = try env.lab.write("swvpnd-A.conf", config(.a))
        let bin = try Prerequisites.swvpndBinary()
        let a = try env.lab.spawn(
            in: env.seed.vpnA, label: "swvpnd-A", ["env", "RUNTIME_DIRECTORY=\(runtime)", bin, "--config", path])
        try env.seed.waitUp([a, b])
        #expect(try env.seed.tunDevices(in: env.seed.vpnA).isEmpty, "swvpnd opened a device")
        // openvpn logs each keepalive ping it takes at verb 7; swvpnd counts B's in its status.
        try b.waitForLog("RECEIVED PING PACKET")
        try Self.eventually("swvpnd status: up on device null with B's pings counted") {
            let status = try Shell.run(["env", "RUNTIME_DIRECTORY=\(runtime)", bin, "status", "--json"]).stdout
            let authenticated = status.firstMatch(of: /"auth_read_bytes":([0-9]+)/).flatMap { UInt64($0.1) } ?? 0
            return status.contains("\"state\":\"up\"") && status.contains("\"device\":\"null\"") && authenticated > 0
        }
        // The OCC strings agree with openvpn's own: what B expects is what A announces, and back.
        let expected = b.log().firstMatch(of: /Expected Remote Options String \(VER=V4\): '([^']*)'/).map {
            String($0.1)
        }
        let local = b.log().firstMatch(of: /Local Options String \(VER=V4\): '([^']*)'/).map { String($0.1) }
        #expect(expected?.hasPrefix("V4,dev-type null,") == true, "\(b.log().tail(40))")
        #expect(a.log().contains("Local Options String: '\(expected ?? "?")'"), "\(a.log().tail(40))")
        #expect(a.log().contains("Expected Remote Options String: '\(local ?? "?")'"), "\(a.log().tail(40))")
        for daemon in [a, b] {
            #expect(!daemon.log().contains("inconsistently"), "\(daemon.label): OCC mismatch: \(daemon.log().tail(20))")
        }
        #expect(a.isRunning && b.isRunning, "a peer died during the test")
    }
}
