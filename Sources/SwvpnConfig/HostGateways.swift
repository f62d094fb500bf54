/// The host's default gateways as openvpn 2.6 on Linux reads them (netlink, `get_default_gateway` and
/// `get_default_gateway_ipv6`) when it builds its route lists, before any route of the tunnel is added:
/// `route_net_gateway`, `net_gateway_ipv6` and the host route that keeps an IPv6 peer out of the tunnel
/// are made of it. The daemon does the lookups; the rules that turn their answers into these values
/// are here, so they can be checked without a kernel.
public struct HostGateways: Sendable, Equatable {
    /// The IPv4 default gateway (`route_net_gateway`); nil when openvpn's lookup fails.
    public var ipv4: IPv4Address?
    /// The IPv6 gateway towards the peer (or `::`); nil when openvpn's lookup fails or finds no route.
    public var ipv6: IPv6?

    /// The answer of openvpn's IPv6 lookup.
    public struct IPv6: Sendable, Equatable {
        /// `net_gateway_ipv6`: the gateway, or the looked-up destination itself when it is on-link.
        public var address: String
        /// The interface the route leaves by.
        public var ifindex: Int32
        /// No gateway on the route: the destination is on the link (the host route then has no gateway).
        public var onLink: Bool

        public init(address: String, ifindex: Int32, onLink: Bool) {
            self.address = address
            self.ifindex = ifindex
            self.onLink = onLink
        }
    }

    /// One route of the main table, as a netlink dump lists it.
    public struct TableRoute: Sendable, Equatable {
        public var prefixLength: Int
        public var gateway: IPv4Address?
        /// 0 when the route has no interface (blackhole, unreachable).
        public var ifindex: Int32

        public init(prefixLength: Int, gateway: IPv4Address?, ifindex: Int32) {
            self.prefixLength = prefixLength
            self.gateway = gateway
            self.ifindex = ifindex
        }
    }

    public init(ipv4: IPv4Address? = nil, ipv6: IPv6? = nil) {
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }

    /// openvpn's IPv4 rule: dump the main table and take the first route of prefix length 0. Its
    /// gateway, or 0.0.0.0 for an on-link default route. A dump that holds no default route still
    /// counts as a successful lookup there, so that gives 0.0.0.0 too; a default route without an
    /// interface (its name cannot be read) makes the lookup fail. `mainTable` nil: netlink failed.
    public static func ipv4(mainTable: [TableRoute]?) -> IPv4Address? {
        guard let mainTable else { return nil }
        guard let first = mainTable.first(where: { $0.prefixLength == 0 }) else { return IPv4Address(0) }
        guard first.ifindex != 0 else { return nil }
        return first.gateway ?? IPv4Address(0)
    }

    /// openvpn's IPv6 rule: the kernel's answer for the peer's IPv6 address (or `::` without one).
    /// A route without an interface makes the lookup fail; a route without a gateway is on-link, and
    /// the destination stands in for the gateway. `lookup` nil: no route (or netlink failed).
    public static func ipv6(lookup: (gateway: String?, ifindex: Int32)?, destination: String?) -> IPv6? {
        guard let lookup, lookup.ifindex != 0 else { return nil }
        if let gateway = lookup.gateway.flatMap(IPv6Text.canonical), gateway != "::" {
            return IPv6(address: gateway, ifindex: lookup.ifindex, onLink: false)
        }
        return IPv6(
            address: destination.flatMap(IPv6Text.canonical) ?? "::", ifindex: lookup.ifindex, onLink: true)
    }
}
