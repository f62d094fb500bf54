import SwvpnConfig
import Testing

/// openvpn 2.6's route lists as scripts and the kernel see them: the host's default gateways
/// (`HostGateways`), the IPv6 route plan (`route-ipv6`, `route-ipv6-gateway`, tun vs tap), the
/// `ifconfig_*`/`route_*` variables (`RouteEnvironment`) and `ifconfig-noexec`.
@Suite struct RouteEnvironmentTests {
    private static let base = "dev tun\nsecret k 0\nremote 192.0.2.1\nifconfig 10.8.0.1 10.8.0.2\n"
    private static let tap = "dev tap\nsecret k 0\nremote 192.0.2.1\nifconfig 10.8.0.1 255.255.255.0\n"

    private func route(_ prefix: Int, _ gateway: String?, _ ifindex: Int32 = 2) -> HostGateways.TableRoute {
        HostGateways.TableRoute(prefixLength: prefix, gateway: gateway.flatMap(IPv4Address.init), ifindex: ifindex)
    }

    // MARK: HostGateways

    @Test func ipv4DefaultGatewayIsTheFirstDefaultRouteOfTheMainTable() {
        let table = [route(24, nil), route(0, "10.0.0.1"), route(0, "10.0.0.9")]
        #expect(HostGateways.ipv4(mainTable: table) == IPv4Address("10.0.0.1"))
        #expect(HostGateways.ipv4(mainTable: [route(0, nil)]) == IPv4Address(0), "on-link default: 0.0.0.0")
    }

    @Test func ipv4WithoutADefaultRouteIsZeroAndFailedLookupsAreAbsent() {
        // openvpn's netlink dump "succeeds" without a default route: route_net_gateway=0.0.0.0.
        #expect(HostGateways.ipv4(mainTable: [route(16, nil)]) == IPv4Address(0))
        #expect(HostGateways.ipv4(mainTable: []) == IPv4Address(0))
        #expect(HostGateways.ipv4(mainTable: nil) == nil, "netlink failed")
        #expect(HostGateways.ipv4(mainTable: [route(0, nil, 0)]) == nil, "blackhole default: no interface name")
    }

    @Test func ipv6GatewayOnLinkAndMissing() {
        #expect(
            HostGateways.ipv6(lookup: ("FD77:0::2", 3), destination: nil)
                == HostGateways.IPv6(address: "fd77::2", ifindex: 3, onLink: false))
        #expect(
            HostGateways.ipv6(lookup: (nil, 3), destination: "2001:db8:0::5")
                == HostGateways.IPv6(address: "2001:db8::5", ifindex: 3, onLink: true))
        #expect(HostGateways.ipv6(lookup: (nil, 3), destination: nil)?.address == "::")
        #expect(HostGateways.ipv6(lookup: ("fd77::2", 0), destination: nil) == nil)
        #expect(HostGateways.ipv6(lookup: nil, destination: nil) == nil)
    }

    // MARK: IPv6 routes

    @Test func routeIPv6GatewayDefaultsToTheIfconfigIPv6PeerAndRouteIPv6GatewayWins() throws {
        let v6 = "ifconfig-ipv6 fd00::1/64 fd00::2\nroute-ipv6 fd01::/64\nroute-ipv6 fd02::/64 fd00::9 7\n"
        #expect(try parse(Self.base + v6).routesIPv6.map(\.gateway) == ["fd00::2", "fd00::9"])
        #expect(
            try parse(Self.base + v6 + "route-ipv6-gateway fd00::5\n").routesIPv6.map(\.gateway)
                == ["fd00::5", "fd00::9"])
        #expect(try parse(Self.base + "route-ipv6 fd01::/64\n").routesIPv6.map(\.gateway) == [nil])
        let metrics = try parse(Self.base + v6 + "route-metric 20\n").routesIPv6.map(\.metric)
        #expect(metrics == [20, 7], "route-metric is the IPv6 default too")
        #expect(try parse(Self.base + v6 + "route-metric 0\n").routesIPv6.map(\.metric) == [nil, 7], "0: unset")
    }

    @Test func tunRoutesGetNoKernelGatewayAndTheEnvironmentKeepsWhatWasGiven() throws {
        let config = try parse(
            Self.base + "route-ipv6 FD01:0::1/64\nroute-ipv6 fd02::/64 fd00::9 7\nroute-ipv6 fd03::/48 fd00::9 0\n"
                + "route-ipv6-gateway fd00::5\n")
        let plan = IPv6RoutePlan(config: config, remoteIPv6: nil, gateway: nil)
        #expect(plan.entries.map(\.kernelNetwork) == ["fd01::", "fd02::", "fd03::"])
        #expect(plan.entries.allSatisfy { $0.kernelGateway == nil && $0.ifindex == nil && $0.notInstalled == nil })
        #expect(plan.entries.map(\.kernelMetric) == [nil, 7, nil], "only a metric above 0 goes to the kernel")
        #expect(
            plan.environment == [
                "route_ipv6_network_1=fd01::1/64", "route_ipv6_gateway_1=fd00::5",
                "route_ipv6_network_2=fd02::/64", "route_ipv6_gateway_2=fd00::9", "route_ipv6_metric_2=7",
                "route_ipv6_network_3=fd03::/48", "route_ipv6_gateway_3=fd00::9", "route_ipv6_metric_3=0",
            ])
        let bare = IPv6RoutePlan(config: try parse(Self.base + "route-ipv6 fd01::/64\n"), remoteIPv6: nil, gateway: nil)
        #expect(bare.environment == ["route_ipv6_network_1=fd01::/64", "route_ipv6_gateway_1=::"])
    }

    @Test func tapRoutesNeedAGatewayUnlessTheirMetricIsZero() throws {
        let config = try parse(
            Self.tap + "route-ipv6 fd01::/64\nroute-ipv6 fd02::/64 fd00::9\nroute-ipv6 fd03::/64 default 0\n")
        let plan = IPv6RoutePlan(config: config, remoteIPv6: nil, gateway: nil)
        #expect(plan.entries.map(\.kernelGateway) == [nil, "fd00::9", nil])
        #expect(plan.entries[0].notInstalled?.hasSuffix("Not installing IPv6 route to fd01::/64.") == true)
        #expect(plan.entries[1].notInstalled == nil && plan.entries[2].notInstalled == nil)
        #expect(
            config.warnings.filter { $0.directive == "route-ipv6" }.map(\.message) == [
                "fd01::/64 has no gateway on a tap device and will not be installed (give one, or set route-ipv6-gateway or ifconfig-ipv6)"
            ])
        let withPeer = try parse(Self.tap + "ifconfig-ipv6 fd00::1/64 fd00::2\nroute-ipv6 fd01::/64\n")
        #expect(
            IPv6RoutePlan(config: withPeer, remoteIPv6: nil, gateway: nil).entries.map(\.kernelGateway) == ["fd00::2"])
    }

    @Test func anIPv6PeerInsideARouteGetsAHostRouteFirst() throws {
        let config = try parse(Self.base + "route-ipv6 2001:db8::/32\nroute-ipv6 fd01::/64\n")
        let gateway = HostGateways.IPv6(address: "fe80::1", ifindex: 4, onLink: false)
        let plan = IPv6RoutePlan(config: config, remoteIPv6: "2001:db8::7", gateway: gateway)
        let host = try #require(plan.entries.first)
        #expect(host.network == "2001:db8::7" && host.prefixLength == 128 && host.ifindex == 4)
        #expect(host.kernelGateway == "fe80::1" && host.kernelMetric == 1 && plan.entries.count == 3)
        #expect(
            plan.environment.prefix(3) == [
                "route_ipv6_network_1=2001:db8::7/128", "route_ipv6_gateway_1=fe80::1", "route_ipv6_metric_1=1",
            ])
        let onLink = HostGateways.IPv6(address: "2001:db8::7", ifindex: 4, onLink: true)
        #expect(
            IPv6RoutePlan(config: config, remoteIPv6: "2001:db8::7", gateway: onLink).entries.first?.kernelGateway
                == nil)
        #expect(IPv6RoutePlan(config: config, remoteIPv6: "2001:db9::7", gateway: gateway).entries.count == 2)
        let unknown = IPv6RoutePlan(config: config, remoteIPv6: "2001:db8::7", gateway: nil)
        #expect(unknown.entries.count == 2 && unknown.notes.count == 1)
    }

    // MARK: Variables

    @Test func ifconfigVariablesOnlyForWhatTheConfigSets() throws {
        #expect(RouteEnvironment.ifconfigVariables(try parse("dev tun\nsecret k 0\n")) == [])
        #expect(
            RouteEnvironment.ifconfigVariables(try parse(Self.base + "ifconfig-ipv6 FD00:0::1 fd00::2\n")) == [
                "ifconfig_local=10.8.0.1", "ifconfig_remote=10.8.0.2", "ifconfig_ipv6_local=fd00::1",
                "ifconfig_ipv6_netbits=64", "ifconfig_ipv6_remote=fd00::2",
            ])
        #expect(
            RouteEnvironment.ifconfigVariables(try parse(Self.tap)) == [
                "ifconfig_local=10.8.0.1", "ifconfig_netmask=255.255.255.0",
            ])
    }

    @Test func routeVariablesOnlyWithARouteList() throws {
        let gateways = HostGateways(ipv4: IPv4Address("192.168.1.1"), ipv6: nil)
        func variables(_ lines: String, remote: IPv4Address? = nil) throws -> [String] {
            let config = try parse(Self.base + lines)
            return RouteEnvironment.routeVariables(
                config, gateways: gateways, remote: remote,
                ipv6Routes: IPv6RoutePlan(config: config, remoteIPv6: nil, gateway: nil))
        }
        #expect(try variables("") == [], "no route list: neither route_net_gateway nor route_vpn_gateway")
        #expect(
            try variables("route 172.16.0.0 255.255.0.0\nroute 10.9.0.0 255.255.0.0 net_gateway 5\n") == [
                "route_net_gateway=192.168.1.1", "route_vpn_gateway=10.8.0.2",
                "route_network_1=172.16.0.0", "route_netmask_1=255.255.0.0", "route_gateway_1=10.8.0.2",
                "route_network_2=10.9.0.0", "route_netmask_2=255.255.0.0", "route_gateway_2=192.168.1.1",
                "route_metric_2=5",
            ])
        #expect(
            try variables("redirect-gateway def1\n") == ["route_net_gateway=192.168.1.1", "route_vpn_gateway=10.8.0.2"])
        #expect(
            try variables("route 10.9.0.0 255.255.0.0 remote_host\n")
                == ["route_net_gateway=192.168.1.1", "route_vpn_gateway=10.8.0.2"],
            "an unknown remote_host fails the list: no numbered variables, as openvpn")
        #expect(
            try variables("route 10.9.0.0 255.255.0.0 remote_host\n", remote: IPv4Address("192.0.2.1")).last
                == "route_gateway_1=192.0.2.1")
        #expect(
            try variables("route-ipv6 fd01::/64\n") == ["route_ipv6_network_1=fd01::/64", "route_ipv6_gateway_1=::"])
    }

    @Test func ifconfigNoExecIsAFlag() throws {
        #expect(try parse(Self.base + "ifconfig-noexec\n").ifconfigNoExec)
        #expect(try !parse(Self.base).ifconfigNoExec)
    }
}
