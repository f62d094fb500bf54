import SwvpnConfig
import Testing

/// `redirect-gateway`/`redirect-private` (flags and the routes they plan), `dev-node`, `chroot`, `syslog`,
/// `passtos`, `shaper`, as openvpn 2.6 reads them.
@Suite struct HostOptionsTests {
    private static let base = "dev tun\nsecret k 0\nremote 192.0.2.1\nifconfig 10.8.0.1 10.8.0.2\n"

    private func redirect(_ lines: String) throws -> RedirectGateway {
        try #require(try parse(Self.base + lines).host.redirect)
    }

    @Test func redirectGatewayFlagsAndVPNGatewayFromIfconfig() throws {
        let r = try redirect("redirect-gateway def1 block-local autolocal\n")
        #expect(r.ipv4 && r.rerouteIPv4 && r.def1 && r.blockLocal && r.autoLocal && !r.local && !r.rerouteIPv6)
        #expect(r.vpnGateway == IPv4Address("10.8.0.2"))
        #expect(try redirect("route-gateway 10.8.0.9\nredirect-gateway\n").vpnGateway == IPv4Address("10.8.0.9"))
    }

    @Test func redirectPrivateKeepsTheDefaultRouteAndNotIPv4CancelsIPv4() throws {
        let priv = try redirect("redirect-private local\n")
        #expect(priv.ipv4 && !priv.rerouteIPv4 && priv.local)
        let v6only = try redirect("ifconfig-ipv6 fd00::1/64 fd00::2\nredirect-gateway ipv6 !ipv4\n")
        #expect(!v6only.ipv4 && !v6only.rerouteIPv4 && v6only.rerouteIPv6)
    }

    @Test func ipv6FlagAddsOpenVPNsFourRoutesWithRouteIPv6Gateway() throws {
        let c = try parse(
            Self.base + "ifconfig-ipv6 fd00::1/64 fd00::2\nroute-ipv6-gateway fd00::2\nredirect-gateway def1 ipv6\n")
        #expect(
            c.routesIPv6.map { "\($0.network)/\($0.prefixLength) \($0.gateway ?? "-")" } == [
                "::/3 fd00::2", "2000::/4 fd00::2", "3000::/4 fd00::2", "fc00::/7 fd00::2",
            ])
    }

    @Test func badFlagsAndMissingGatewayAreExplained() throws {
        #expect(
            errorText { () throws(ConfigError) in try parse(Self.base + "redirect-gateway def2\n") }
                == "t.conf:5: redirect-gateway: unknown flag 'def2' (def1, local, autolocal, block-local, bypass-dhcp, bypass-dns, ipv6, !ipv4)"
        )
        let noGateway = try parse("dev tun\nsecret k 0\nredirect-gateway def1\n")
        #expect(
            noGateway.warnings.contains { $0.message.contains("VPN gateway (route-gateway or ifconfig) is missing") })
        let bypass = try parse(Self.base + "redirect-gateway def1 bypass-dhcp\n")
        #expect(
            bypass.warnings.contains {
                $0.message == "bypass-dhcp has no effect on Linux (openvpn applies it on Windows only)"
            })
        let twice = try parse(Self.base + "redirect-gateway def1\nredirect-private\n")
        #expect(twice.host.redirect?.def1 == true && twice.host.redirect?.rerouteIPv4 == true)
        #expect(twice.warnings.contains { $0.directive == "redirect-private" })
    }

    @Test func processAndOutputOptions() throws {
        let c = try parse(
            "cd /etc/vpn\n" + Self.base
                + "dev-node net/tun7\nchroot jail\nsyslog office\npasstos\nshaper 125000\n")
        #expect(c.host.devNode == "/etc/vpn/net/tun7")
        #expect(c.host.chroot == "/etc/vpn/jail")
        #expect(c.host.syslog && c.host.syslogName == "office")
        #expect(c.host.passTOS && c.host.shaperBytesPerSecond == 125_000)
        #expect(try parse(Self.base + "syslog\n").host.syslogName == nil)
        #expect(
            errorText { () throws(ConfigError) in try parse(Self.base + "shaper 99\n") }?.contains("shaper") == true)
        #expect(errorText { () throws(ConfigError) in try parse(Self.base + "shaper 100000001\n") } != nil)
        #expect(try parse(Self.base).host == HostOptions())
    }

    // MARK: The plan

    private static let underlay = UnderlayGateway(
        address: IPv4Address("192.168.1.1")!,
        subnets: [UnderlayGateway.Subnet(address: IPv4Address("192.168.1.20")!, prefixLength: 24)])
    private static let vpn = IPv4Address("10.8.0.2")!
    private static let peer = IPv4Address("198.51.100.7")!

    private func routes(_ plan: RedirectPlan) -> [String] {
        plan.routes.map {
            switch $0.via {
            case .tunnel(let gw): "\($0.network)/\($0.prefixLength) tunnel \(gw)"
            case .underlay(let gw): "\($0.network)/\($0.prefixLength) underlay \(gw)"
            }
        }
    }

    private func gateway(_ configure: (inout RedirectGateway) -> Void) -> RedirectGateway {
        var r = RedirectGateway()
        r.rerouteIPv4 = true
        r.vpnGateway = Self.vpn
        configure(&r)
        return r
    }

    @Test func def1AddsTheHostRouteToThePeerThenTheTwoHalves() {
        let plan = gateway { $0.def1 = true }.plan(remote: Self.peer, underlay: Self.underlay)
        #expect(
            routes(plan) == [
                "198.51.100.7/32 underlay 192.168.1.1", "0.0.0.0/1 tunnel 10.8.0.2", "128.0.0.0/1 tunnel 10.8.0.2",
            ])
        #expect(!plan.replacesDefault && plan.complete && plan.notes.isEmpty)
    }

    @Test func withoutDef1TheDefaultRouteIsReplaced() {
        let plan = gateway { _ in }.plan(remote: Self.peer, underlay: Self.underlay)
        #expect(routes(plan) == ["198.51.100.7/32 underlay 192.168.1.1", "0.0.0.0/0 tunnel 10.8.0.2"])
        #expect(plan.replacesDefault)
        // Without an underlay default route there is nothing to replace (and no host route to add).
        let bare = gateway { $0.local = true }.plan(remote: Self.peer, underlay: nil)
        #expect(routes(bare) == ["0.0.0.0/0 tunnel 10.8.0.2"] && !bare.replacesDefault)
    }

    @Test func localAndAutolocalDropTheHostRoute() {
        #expect(
            routes(
                gateway {
                    $0.def1 = true
                    $0.local = true
                }.plan(remote: Self.peer, underlay: Self.underlay)
            ).count == 2)
        let onLink = IPv4Address("192.168.1.77")!
        #expect(
            routes(
                gateway {
                    $0.def1 = true
                    $0.autoLocal = true
                }.plan(remote: onLink, underlay: Self.underlay)
            ).count
                == 2)
        #expect(
            routes(
                gateway {
                    $0.def1 = true
                    $0.autoLocal = true
                }.plan(remote: Self.peer, underlay: Self.underlay)
            )
            .first == "198.51.100.7/32 underlay 192.168.1.1")
    }

    @Test func blockLocalSplitsTheGatewaySubnetIntoTunnelHalves() {
        let plan = gateway {
            $0.def1 = true
            $0.blockLocal = true
        }.plan(remote: Self.peer, underlay: Self.underlay)
        #expect(
            routes(plan) == [
                "198.51.100.7/32 underlay 192.168.1.1", "192.168.1.1/32 underlay 192.168.1.1",
                "0.0.0.0/1 tunnel 10.8.0.2", "128.0.0.0/1 tunnel 10.8.0.2",
                "192.168.1.0/25 tunnel 10.8.0.2", "192.168.1.128/25 tunnel 10.8.0.2",
            ])
    }

    @Test func redirectPrivateOnlyAddsTheHostRoute() {
        var r = RedirectGateway()
        r.vpnGateway = Self.vpn
        #expect(routes(r.plan(remote: Self.peer, underlay: Self.underlay)) == ["198.51.100.7/32 underlay 192.168.1.1"])
        r.ipv4 = false  // `!ipv4`
        #expect(r.plan(remote: Self.peer, underlay: Self.underlay).routes.isEmpty)
    }

    @Test func ipv6PrefixCoversHostsAsOpenVPNMatchesThem() {
        func bytes(_ groups: [UInt16]) -> [UInt8] { groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } }
        let peer = bytes([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])
        #expect(ipv6Prefix(bytes([0x2000, 0, 0, 0, 0, 0, 0, 0]), 4, covers: peer))  // redirect-gateway ipv6's 2000::/4
        #expect(!ipv6Prefix(bytes([0x3000, 0, 0, 0, 0, 0, 0, 0]), 4, covers: peer))
        #expect(!ipv6Prefix(bytes([0, 0, 0, 0, 0, 0, 0, 0]), 3, covers: peer))  // ::/3 stops below 2000::
        #expect(ipv6Prefix(bytes([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]), 32, covers: peer))
        #expect(!ipv6Prefix(bytes([0x2001, 0xdb9, 0, 0, 0, 0, 0, 0]), 32, covers: peer))
        #expect(
            ipv6Prefix(peer, 128, covers: peer) && ipv6Prefix(bytes([0xffff, 0, 0, 0, 0, 0, 0, 0]), 0, covers: peer))
    }

    @Test func missingGatewaysAreNotesAndIncomplete() {
        let noVPN = gateway { $0.vpnGateway = nil }.plan(remote: Self.peer, underlay: Self.underlay)
        #expect(!noVPN.complete && noVPN.routes.isEmpty && noVPN.notes.first?.contains("VPN gateway") == true)
        let noDefault = gateway { $0.def1 = true }.plan(remote: Self.peer, underlay: nil)
        #expect(!noDefault.complete && noDefault.notes.first?.contains("default gateway") == true)
        // Listening (no remote): no host route is needed, so no default gateway either.
        #expect(gateway { $0.def1 = true }.plan(remote: nil, underlay: nil).routes.count == 2)
    }
}
