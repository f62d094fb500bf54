import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// swvpn-monitor end to end with real parts only: four swvpnd (tunnel A = vpn1a ↔ vpn2a, tunnel B =
/// vpn1b ↔ vpn2b), each end with its own `health-listen` and in-tunnel `health-probe`, in network
/// namespaces; moto as EC2 and the real monitor binary in a namespace of their own with a link to every
/// VPN namespace. A tunnel end is killed: both VPCs' tables of that tunnel move to the standby pair and
/// read back from moto. It asserts what moved and in which order, never how fast.
@Suite(.serialized) struct MonitorEndToEndTests {
    static let instances = ["vpn1a", "vpn1b", "vpn2a", "vpn2b"]

    /// One tunnel end's config: its tunnel's own "internet" veth, key direction by VPC, the health listener
    /// on its link to the monitor, and a probe through the tunnel every second.
    static func config(_ name: String, key: String, healthAddress: String) -> String {
        let vpc1 = name.hasPrefix("vpn1")
        let tunnel = name.hasSuffix("a") ? 1 : 2
        let (local, peer) = vpc1 ? (1, 2) : (2, 1)
        return [
            "dev tun", "port 1194",
            "remote 198.51.100.\((tunnel - 1) * 4 + peer)",
            "ifconfig 10.255.\(tunnel).\(local) 10.255.\(tunnel).\(peer)",
            "secret \(key) \(vpc1 ? 0 : 1)", "cipher AES-256-CBC", "auth SHA256",
            "ping 1", "ping-restart 10",
            "health-listen \(healthAddress) 9180", "health-probe 1", "verb 3",
        ].joined(separator: "\n") + "\n"
    }

    @Test func killedTunnelEndMovesBothVPCsRoutesToTheStandbyPair() async throws {
        try Prerequisites.requireBase()
        let swvpnd = try Prerequisites.swvpndBinary()
        let lab = try NetnsLab(owner: "monitor")
        defer { lab.teardown() }
        let mon = try lab.addNamespace("mon")
        var namespace: [String: String] = [:]
        var healthURLs: [String: String] = [:]
        for (k, name) in Self.instances.enumerated() {
            namespace[name] = try lab.addNamespace(name)
            try lab.link(
                mon, "vpn\(k)", "172.31.255.\(4 * k + 1)/30", namespace[name]!, "mon0", "172.31.255.\(4 * k + 2)/30")
            healthURLs[name] = "http://172.31.255.\(4 * k + 2):9180/health"
        }
        try lab.link(namespace["vpn1a"]!, "pub0", "198.51.100.1/30", namespace["vpn2a"]!, "pub0", "198.51.100.2/30")
        try lab.link(namespace["vpn1b"]!, "pub0", "198.51.100.5/30", namespace["vpn2b"]!, "pub0", "198.51.100.6/30")
        var daemons: [String: Daemon] = [:]
        for tunnel in ["a", "b"] {
            let key = lab.path("\(tunnel).key")
            try Shell.must(["openvpn", "--genkey", "secret", key])
            for name in ["vpn1\(tunnel)", "vpn2\(tunnel)"] {
                let address = String(healthURLs[name]!.dropFirst("http://".count).prefix { $0 != ":" })
                let path = try lab.write("\(name).conf", Self.config(name, key: key, healthAddress: address))
                daemons[name] = try lab.spawn(
                    in: namespace[name]!, label: "swvpnd-\(name)",
                    ["env", "RUNTIME_DIRECTORY=\(lab.path("run-\(name)"))", swvpnd, "--config", path])
            }
        }
        for name in Self.instances { try daemons[name]!.waitForLog("health: serving") }

        let stand = try MonitorStand(netns: mon, healthURLs: healthURLs)
        defer { stand.stop() }
        // Short intervals keep it to seconds; the hold keeps the routes on standby for the assertions.
        stand.timings =
            "check-interval 0.5\nhealth-timeout 0.4\nfall 2\nrise 2\nec2-interval 1\nfailback-hold 600\n"
        // Adopted, and both tunnels up by swvpnd's own /health (200 needs the probe's replies).
        try stand.startMonitor()
        try await stand.startRecording()

        let victim = daemons["vpn1a"]!
        kill(victim.pid, SIGKILL)
        victim.process.waitUntilExit()
        try stand.waitForStatus("A's routes read back on standby", timeout: 30) { s in
            s.failovers == 1 && s.routes.allSatisfy { $0.target == $0.desired } && s.tunnels[0].routes == "standby"
        }
        try stand.watch(1.5)  // any further write would show now

        // Exactly both VPCs' zone-a tables were written, to the standby pair, and moto holds them there.
        #expect(
            try await stand.recordedWrites().sorted()
                == [stand.write("rt1a", to: "vpn1b"), stand.write("rt2a", to: "vpn2b")].sorted(),
            "\(stand.log)")
        let moto = try stand.motoTargets()
        let eni = { (name: String) in stand.topology.instance(name).eniId }
        #expect(
            moto == ["rt1a": eni("vpn1b"), "rt1b": eni("vpn1b"), "rt2a": eni("vpn2b"), "rt2b": eni("vpn2b")])

        // The order of events: A down (its killed end silent), the failover, both writes, the read-back.
        let lines = stand.monitor?.log().split(separator: "\n").map(String.init) ?? []
        func first(_ needle: String) -> Int? { lines.firstIndex { $0.contains(needle) } }
        let rt1a = stand.topology.table("rt1a").id
        let rt2a = stand.topology.table("rt2a").id
        let order = [
            first("tunnel-down A: "), first("failover A: "), first("route-write \(rt1a): "),
            first("route-write \(rt2a): "), first("routes-verified A: "),
        ]
        #expect(order.allSatisfy { $0 != nil }, "\(stand.log)")
        let down = order[0] ?? 0
        let failover = order[1] ?? 0
        let writes = [order[2] ?? 0, order[3] ?? 0]
        let verified = order[4] ?? 0
        #expect(down < failover && writes.allSatisfy { failover < $0 && $0 < verified }, "\(stand.log)")
        #expect(lines[down].contains("vpn1a /health unreachable"), "\(lines[down])")
        #expect(first("tunnel-down B") == nil && first("both-down") == nil, "\(stand.log)")
        #expect(try stand.status().snapshot.tunnels.map(\.status) == ["down", "up"])
        for name in ["vpn1b", "vpn2a", "vpn2b"] { #expect(daemons[name]!.isRunning, "swvpnd \(name) died") }
    }
}
