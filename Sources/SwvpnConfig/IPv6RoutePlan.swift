/// openvpn 2.6's IPv6 route list (`init_route_ipv6_list`) and how its Linux `add_route_ipv6` installs
/// each entry. The list is what scripts see as `route_ipv6_*_N`, in openvpn's order: the host route
/// that keeps an IPv6 peer out of a `route-ipv6` covering it comes first, then the config's routes
/// (with `redirect-gateway ipv6`'s four after them).
///
/// Gateways: each config route already carries openvpn's default (`route-ipv6-gateway`, else the
/// `ifconfig-ipv6` peer). On a tun device the kernel never gets one (the device alone names the
/// destination); on a tap device it always does, unless the route's metric is 0, and a route that
/// would need one but has none is not installed, with openvpn's warning.
public struct IPv6RoutePlan: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// The network as given (canonical text), host bits kept: what the environment shows.
        public var network: String
        public var prefixLength: Int
        /// openvpn's gateway of the entry (nil: none, `::` in the environment).
        public var gateway: String?
        /// The entry's metric (given, or `route-metric`), nil when neither is set.
        public var metric: Int?
        /// nil: the tunnel device; else the interface of the underlay (the host route to the peer).
        public var ifindex: Int32?
        /// What goes to the kernel: the network with its host bits cleared, the gateway only where
        /// openvpn passes one, the metric only when above 0.
        public var kernelNetwork: String
        public var kernelGateway: String?
        public var kernelMetric: Int?
        /// Set when openvpn does not install the route: its warning (a route error, as there).
        public var notInstalled: String?
        /// Where the route comes from, for log lines.
        public var location: String

        /// `route_ipv6_network_N`, `route_ipv6_gateway_N`, `route_ipv6_metric_N`.
        func environment(_ n: Int) -> [String] {
            var env = [
                "route_ipv6_network_\(n)=\(network)/\(prefixLength)", "route_ipv6_gateway_\(n)=\(gateway ?? "::")",
            ]
            if let metric { env.append("route_ipv6_metric_\(n)=\(metric)") }
            return env
        }
    }

    public var entries: [Entry] = []
    /// Things openvpn only warns about (no gateway for the host route to the peer).
    public var notes: [String] = []

    public init() {}

    /// `remoteIPv6`: the peer's address when the link is IPv6; `gateway`: the host's IPv6 gateway
    /// towards it (`HostGateways.ipv6`).
    public init(config: TunnelConfig, remoteIPv6: String?, gateway: HostGateways.IPv6?) {
        for route in config.routesIPv6 {
            let groups = IPv6Text.parse(route.network) ?? Array(repeating: 0, count: 8)
            let network = IPv6Text.format(groups)
            let tap = config.deviceType == .tap
            let gatewayNeeded = tap && route.metric != 0
            var entry = Entry(
                network: network, prefixLength: route.prefixLength,
                gateway: route.gateway.map { IPv6Text.canonical($0) ?? $0 }, metric: route.metric, ifindex: nil,
                kernelNetwork: IPv6Text.format(Self.clearingHostBits(groups, route.prefixLength)),
                kernelGateway: nil, kernelMetric: route.metric.flatMap { $0 > 0 ? $0 : nil },
                notInstalled: nil, location: route.location.description)
            if gatewayNeeded {
                if let gateway = entry.gateway, gateway != "::" {
                    entry.kernelGateway = gateway
                } else {
                    entry.notInstalled =
                        "ROUTE6 WARNING: swvpnd needs a gateway parameter for a --route-ipv6 option and no default "
                        + "was set via --ifconfig-ipv6 or --route-ipv6-gateway option.  Not installing IPv6 route to "
                        + "\(entry.kernelNetwork)/\(route.prefixLength)."
                }
            }
            entries.append(entry)
        }
        guard let remoteIPv6, let host = IPv6Text.parse(remoteIPv6),
            config.routesIPv6.contains(where: { route in
                IPv6Text.parse(route.network).map {
                    ipv6Prefix(Self.bytes($0), route.prefixLength, covers: Self.bytes(host))
                } ?? false
            })
        else { return }
        let peer = IPv6Text.format(host)
        guard let gateway else {
            notes.append(
                "ROUTE6: IPv6 route overlaps with IPv6 remote address, but could not determine IPv6 gateway address "
                    + "+ interface, expect failure")
            return
        }
        let via = gateway.onLink ? nil : gateway.address
        entries.insert(
            Entry(
                network: peer, prefixLength: 128, gateway: via, metric: 1, ifindex: gateway.ifindex,
                kernelNetwork: peer, kernelGateway: via, kernelMetric: 1, notInstalled: nil,
                location: "route-ipv6 (host route to the peer)"),
            at: 0)
    }

    /// The `route_ipv6_*_N` variables of every entry, numbered from 1.
    public var environment: [String] {
        entries.enumerated().flatMap { $0.element.environment($0.offset + 1) }
    }

    static func clearingHostBits(_ groups: [UInt16], _ prefixLength: Int) -> [UInt16] {
        groups.enumerated().map { index, group in
            let bits = min(max(prefixLength - index * 16, 0), 16)
            return bits == 16 ? group : bits == 0 ? 0 : group & ~(UInt16.max >> bits)
        }
    }

    static func bytes(_ groups: [UInt16]) -> [UInt8] {
        groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }
}
