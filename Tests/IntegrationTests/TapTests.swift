import Foundation
import Testing

extension IntegrationTests.DaemonOptions {
    /// `dev tap` against openvpn 2.6: swvpnd on A bridges its tap device into `br0` from an `up` script
    /// (`ip link set "$1" master br0`, as bridging setups do), with a LAN host behind the bridge; openvpn
    /// on B has `ifconfig ADDR NETMASK` on its tap. ARP resolves across the tunnel both ways (B learns
    /// the LAN host's own MAC and swvpnd's `lladdr`), IPv4 and IPv6 ping both ways, the LAN host reaches
    /// B, and neither side reports an OCC inconsistency (dev-type tap, link-mtu with tun-mtu-extra).
    @Test
    func devTapBridgesEthernetToOpenVPN() throws {
        let env = try Self.prepare()
        defer { env.lab.teardown() }
        let vpnA = env.seed.vpnA
        let vpnB = env.seed.vpnB
        // The bridge exists before the tunnel (users create it at boot); the LAN host hangs off it.
        let lan = try env.lab.addNamespace("cp2-lan")
        try Shell.must(["ip", "-n", vpnA, "link", "add", "br0", "type", "bridge"])
        try Shell.must([
            "ip", "-n", vpnA, "link", "add", "cp2-port", "type", "veth", "peer", "name", "eth0", "netns", lan,
        ])
        try Shell.must(["ip", "-n", vpnA, "link", "set", "cp2-port", "master", "br0"])
        for (ns, dev) in [(vpnA, "cp2-port"), (vpnA, "br0"), (lan, "eth0")] {
            try Shell.must(["ip", "-n", ns, "link", "set", dev, "up"])
        }
        try Shell.must(["ip", "-n", vpnA, "addr", "add", "192.168.77.1/24", "dev", "br0"])
        try Shell.must(["ip", "-n", vpnA, "addr", "add", "fd00:77::1/64", "dev", "br0", "nodad"])
        try Shell.must(["ip", "-n", lan, "addr", "add", "192.168.77.20/24", "dev", "eth0"])
        try Shell.must(["ip", "-n", lan, "addr", "add", "fd00:77::20/64", "dev", "eth0", "nodad"])

        let script = try env.lab.write(
            "bridge-up.sh",
            """
            #!/bin/sh
            echo "$@" > "\(env.lab.workDir)/up-args.txt"
            env | grep -E '^(dev|dev_type|tun_mtu)=' | sort > "\(env.lab.workDir)/up-env.txt"
            ip link set "$1" master br0 && ip link set "$1" up

            """)
        try Shell.must(["chmod", "755", script])
        let lladdr = "02:00:5e:cb:00:01"
        // The seed's tun lines come first; the later dev line wins, as in openvpn. A's tap has no address
        // of its own (it is a bridge port).
        let configA =
            Self.config(
                env, .a, extra: ["dev tap", "lladdr \(lladdr)", "script-security 2", "up \(script)"],
                route: false
            )
            .split(separator: "\n").filter { !$0.hasPrefix("ifconfig ") }.joined(separator: "\n") + "\n"
        let configB = Self.config(
            env, .b, extra: ["dev tap", "ifconfig-ipv6 fd00:77::2/64 fd00:77::1"], verb: 9,
            ifconfig: ("192.168.77.2", "255.255.255.0"), route: false)
        let b = try env.seed.startPeer(.openvpn, side: .b, config: configB, name: "openvpn-B")
        let a = try env.seed.startPeer(.swvpnd, side: .a, config: configA, name: "swvpnd-A")
        try env.seed.waitUp([a, b])

        let upArgs = Self.read(env.lab.path("up-args.txt")) ?? "(up script did not run)"
        let tapA = upArgs.split(separator: " ").first.map(String.init) ?? "?"
        #expect(tapA.hasPrefix("tap") && upArgs.contains(" 1500 "), "up script arguments: \(upArgs)")
        #expect(Self.read(env.lab.path("up-env.txt")) == "dev=\(tapA)\ndev_type=tap\ntun_mtu=1500\n")
        let linkA = try Shell.must(["ip", "-n", vpnA, "-d", "link", "show", "dev", tapA])
        #expect(
            linkA.contains("link/ether \(lladdr)") && linkA.contains("master br0") && linkA.contains("tun type tap"),
            "swvpnd's tap device: \(linkA)")

        // IPv6 on openvpn's tap needs its duplicate address detection to finish first.
        try Self.eventually("fd00:77::2 on openvpn's tap to leave DAD", timeout: 20) {
            let text = try Shell.must(["ip", "-n", vpnB, "-6", "addr", "show"])
            return text.contains("fd00:77::2/64") && !text.contains("tentative")
        }
        for (ns, address) in [
            (vpnA, "192.168.77.2"), (vpnB, "192.168.77.1"), (vpnA, "fd00:77::2"), (vpnB, "fd00:77::1"),
            (lan, "192.168.77.2"), (vpnB, "192.168.77.20"), (lan, "fd00:77::2"), (vpnB, "fd00:77::20"),
        ] {
            try env.seed.ping(from: ns, to: address)
        }

        // ARP crossed the tunnel: B holds the LAN host's own MAC, the LAN host holds B's tap MAC.
        let lanMAC = try Self.mac(of: "eth0", in: lan)
        let neighboursB = try Shell.must(["ip", "-n", vpnB, "neigh", "show"])
        #expect(
            neighboursB.contains("192.168.77.20 dev") && neighboursB.contains("lladdr \(lanMAC)"),
            "openvpn's neighbours: \(neighboursB)")
        let tapB =
            try Shell.must(["ip", "-n", vpnB, "-o", "link", "show", "type", "tun"])
            .split(separator: ":").dropFirst().first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "?"
        let neighboursLAN = try Shell.must(["ip", "-n", lan, "neigh", "show"])
        #expect(
            neighboursLAN.contains("192.168.77.2 dev eth0 lladdr \(try Self.mac(of: tapB, in: vpnB))"),
            "LAN host's neighbours: \(neighboursLAN)")

        #expect(!a.log().contains("OCC: "), "swvpnd reports an OCC inconsistency:\n\(a.log().tail(20))")
        #expect(!b.log().contains("used inconsistently"), "openvpn reports an OCC inconsistency:\n\(b.log().tail(20))")
        #expect(
            b.log().contains("dev-type tap,link-mtu 1604,tun-mtu 1500"), "openvpn's OCC string:\n\(b.log().tail(20))")
        #expect(a.isRunning && b.isRunning, "a peer died during the test")
        try LogScan.assertClean([a, b])
    }

    static func mac(of device: String, in ns: String) throws -> String {
        let text = try Shell.must(["ip", "-n", ns, "link", "show", "dev", device])
        return text.components(separatedBy: "link/ether ").dropFirst().first?.split(separator: " ").first.map(
            String.init) ?? "?"
    }
}
