import SwvpnProtocol

// MARK: Addresses and routes
extension DirectiveTable {
    static let addressesAndRoutes: [Directive] = [
        Directive(
            "ifconfig", 2...2, "ifconfig local remote",
            "Device addresses: local and peer (or address and netmask with topology subnet or a tap device)."
        ) { b, inv throws(ConfigError) in
            b.config.ifconfig = IPv4Ifconfig(
                local: try inv.ipv4(0, "local address"),
                remoteOrNetmask: try inv.ipv4(1, "remote address"))
        },
        Directive(
            "ifconfig-ipv6", 2...2, "ifconfig-ipv6 address/bits remote",
            "IPv6 address of the TUN device and of the peer."
        ) { b, inv throws(ConfigError) in
            var (address, prefix) = try parseIPv6Prefix(inv.arguments[0], inv, "address")
            if !inv.arguments[0].contains("/") { prefix = 64 }  // openvpn's default for ifconfig-ipv6
            guard isIPv6Literal(inv.arguments[1]) else {
                throw inv.error("bad remote address '\(inv.arguments[1])' (not an IPv6 address)")
            }
            b.config.ifconfigIPv6 = IPv6Ifconfig(address: address, prefixLength: prefix, remote: inv.arguments[1])
        },
        flag("ifconfig-nowarn", "Leave ifconfig out of the options consistency check.") {
            $0.ifconfigNoWarn = true
        },
        Directive(
            "route", 1...4, "route network [netmask] [gateway] [metric]",
            "Route network through the tunnel (gateway: address, vpn_gateway, net_gateway, remote_host, default)."
        ) { b, inv throws(ConfigError) in
            let network = try inv.ipv4(0, "network")
            var netmask = IPv4Address(0xFFFF_FFFF)
            if let text = inv[1], text != "default" {
                guard let mask = IPv4Address(text), mask.netmaskPrefixLength != nil else {
                    throw inv.error("bad netmask '\(text)'")
                }
                netmask = mask
            }
            guard network.value & ~netmask.value == 0 else {
                throw inv.error("network \(network) has bits outside netmask \(netmask)")
            }
            if let gateway = inv[2], !["vpn_gateway", "net_gateway", "remote_host", "default"].contains(gateway),
                IPv4Address(gateway) == nil
            {
                throw inv.error("bad gateway '\(gateway)'")
            }
            let metric =
                inv[3] == nil || inv[3] == "default" ? nil : try inv.integer(3, 0...Int(Int32.max), "metric")
            b.pendingRoutes.append((network, netmask, inv[2], metric, inv.location))
        },
        Directive(
            "route-ipv6", 1...3, "route-ipv6 network/bits [gateway] [metric]", "IPv6 route through the tunnel."
        ) {
            b, inv throws(ConfigError) in
            let (network, prefix) = try parseIPv6Prefix(inv.arguments[0], inv, "network")
            // `default` leaves a parameter to its default, as in openvpn.
            let gateway = inv[1] == "default" ? nil : inv[1]
            if let gateway, !isIPv6Literal(gateway) { throw inv.error("bad gateway '\(gateway)'") }
            let metric =
                inv[2] == nil || inv[2] == "default" ? nil : try inv.integer(2, 0...Int(Int32.max), "metric")
            b.config.routesIPv6.append(
                RouteIPv6(
                    network: network, prefixLength: prefix, gateway: gateway,
                    metric: metric, location: inv.location))
        },
        Directive(
            "route-gateway", 1...1, "route-gateway address",
            "Default gateway of route (instead of the ifconfig peer)."
        ) { b, inv throws(ConfigError) in
            if inv.arguments[0] == "dhcp" { throw inv.error("dhcp is not supported (tap only)") }
            b.config.routeGateway = try inv.ipv4(0, "gateway")
        },
        Directive("route-metric", 1...1, "route-metric n", "Default metric of route.") {
            b, inv throws(ConfigError) in
            b.config.routeMetric = try inv.integer(0, 0...Int(Int32.max), "metric")
        },
        Directive("route-delay", 0...2, "route-delay [n] [w]", "Install routes n seconds after the peer connects.") {
            b, inv throws(ConfigError) in
            let seconds = inv[0] == nil ? 0 : try inv.integer(0, 0...86400, "delay")
            let window = inv[1] == nil ? 30 : try inv.integer(1, 0...86400, "window")
            b.config.routeDelay = RouteDelay(seconds: seconds, windowSeconds: window)
        },
        flag("route-noexec", "Do not install routes (scripts get them in the environment).") {
            $0.routeNoExec = true
        },
    ]
}
