/// The script variables openvpn 2.6 derives from the device addresses and its route lists, with the
/// same names, values and presence rules:
/// - `ifconfig_local` with `ifconfig_remote` (point-to-point tun) or `ifconfig_netmask`, and
///   `ifconfig_ipv6_local`, `ifconfig_ipv6_netbits`, `ifconfig_ipv6_remote`, only for what the config
///   sets (`do_ifconfig_setenv`; also with `ifconfig-noexec`, so an `up` script can configure the device);
/// - with an IPv4 route list (`route` or `redirect-gateway`/`redirect-private` lines): `route_net_gateway`
///   (the host's default gateway), `route_vpn_gateway` and `route_network_N`, `route_netmask_N`,
///   `route_gateway_N`, `route_metric_N` (`init_route_list`, `setenv_routes`);
/// - with an IPv6 route list (`route-ipv6` lines or `redirect-gateway ipv6`): `net_gateway_ipv6` and
///   `route_ipv6_network_N`, `route_ipv6_gateway_N`, `route_ipv6_metric_N` (`init_route_ipv6_list`).
public enum RouteEnvironment {
    public static func ifconfigVariables(_ config: TunnelConfig) -> [String] {
        var env: [String] = []
        if let ifconfig = config.ifconfig {
            env.append("ifconfig_local=\(ifconfig.local)")
            env.append(
                "\(config.ifconfigHasNetmask ? "ifconfig_netmask" : "ifconfig_remote")=\(ifconfig.remoteOrNetmask)")
        }
        if let v6 = config.ifconfigIPv6 {
            env += [
                "ifconfig_ipv6_local=\(IPv6Text.canonical(v6.address) ?? v6.address)",
                "ifconfig_ipv6_netbits=\(v6.prefixLength)",
                "ifconfig_ipv6_remote=\(IPv6Text.canonical(v6.remote) ?? v6.remote)",
            ]
        }
        return env
    }

    /// `remote`: the peer's IPv4 address at set-up (`remote_host`), if the link is IPv4.
    public static func routeVariables(
        _ config: TunnelConfig, gateways: HostGateways, remote: IPv4Address?, ipv6Routes: IPv6RoutePlan
    ) -> [String] {
        var env: [String] = []
        if !config.routes.isEmpty || config.host.redirect != nil {
            if let net = gateways.ipv4 { env.append("route_net_gateway=\(net)") }
            if let vpn = config.vpnGateway {
                env.append("route_vpn_gateway=\(vpn)")
            }
            env += ipv4Routes(config, gateways: gateways, remote: remote)
        }
        if !config.routesIPv6.isEmpty {
            if let net = gateways.ipv6 { env.append("net_gateway_ipv6=\(net.address)") }
            env += ipv6Routes.environment
        }
        return env
    }

    /// openvpn sets the numbered variables only when every route resolved (a `net_gateway` or
    /// `remote_host` gateway that is not known fails the whole list).
    private static func ipv4Routes(_ config: TunnelConfig, gateways: HostGateways, remote: IPv4Address?) -> [String] {
        var env: [String] = []
        for (index, route) in config.routes.enumerated() {
            let n = index + 1
            let gateway: IPv4Address? =
                switch route.gateway {
                case .address(let address): address
                case .netGateway: gateways.ipv4
                case .remoteHost: remote
                }
            guard let gateway else { return [] }
            env += ["route_network_\(n)=\(route.network)", "route_netmask_\(n)=\(route.netmask)"]
            env.append("route_gateway_\(n)=\(gateway)")
            if let metric = route.metric { env.append("route_metric_\(n)=\(metric)") }
        }
        return env
    }
}
