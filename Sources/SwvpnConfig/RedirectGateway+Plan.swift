/// The underlay's IPv4 default route as the daemon finds it when routes go in (openvpn's
/// route_gateway_info): the gateway and the subnets of the interface the default route leaves through.
public struct UnderlayGateway: Sendable, Hashable {
    public var address: IPv4Address
    public var subnets: [Subnet]

    public struct Subnet: Sendable, Hashable {
        public var address: IPv4Address
        public var prefixLength: Int

        public init(address: IPv4Address, prefixLength: Int) {
            self.address = address
            self.prefixLength = prefixLength
        }

        public func contains(_ other: IPv4Address) -> Bool {
            (other.value ^ address.value) & IPv4Address.mask(prefixLength: prefixLength) == 0
        }
    }

    public init(address: IPv4Address, subnets: [Subnet]) {
        self.address = address
        self.subnets = subnets
    }
}

/// The IPv4 routes `redirect-gateway`/`redirect-private` add, in openvpn 2.6's order (route.c,
/// redirect_default_route_to_vpn and add_block_local).
public struct RedirectPlan: Sendable, Hashable {
    public enum Via: Sendable, Hashable {
        /// Through the tunnel, to the VPN gateway.
        case tunnel(IPv4Address)
        /// Through the underlay's old default gateway (the host route to the peer, bypass routes).
        case underlay(IPv4Address)
    }

    public struct Route: Sendable, Hashable {
        public var network: IPv4Address
        public var prefixLength: Int
        public var via: Via

        public init(_ network: UInt32, _ prefixLength: Int, via: Via) {
            self.network = IPv4Address(network)
            self.prefixLength = prefixLength
            self.via = via
        }
    }

    public var routes: [Route] = []
    /// redirect-gateway without def1: the underlay default route is deleted first and put back at exit.
    public var replacesDefault = false
    /// False when the redirection could not be done (the reason is in `notes`).
    public var complete = true
    /// What the daemon logs as a warning (openvpn's "NOTE: unable to redirect ..." lines).
    public var notes: [String] = []
}

/// openvpn's route_ipv6_match_host: whether the IPv6 network `network/prefixLength` (16 bytes) covers `host`.
/// A route-ipv6 (redirect-gateway ipv6's among them) that covers an IPv6 peer needs a host route to the
/// peer via the underlay, or the tunnel's own packets would enter it.
public func ipv6Prefix(_ network: [UInt8], _ prefixLength: Int, covers host: [UInt8]) -> Bool {
    guard network.count == 16, host.count == 16, (0...128).contains(prefixLength) else { return false }
    let whole = prefixLength / 8
    guard network[..<whole] == host[..<whole] else { return false }
    let rest = prefixLength % 8
    guard rest > 0 else { return true }
    let mask = UInt8(0xFF) << (8 - rest)
    return network[whole] & mask == host[whole] & mask
}

extension RedirectGateway {
    /// The routes for a peer at `remote` (nil: no IPv4 peer address known, e.g. listening or an IPv6
    /// underlay) with the underlay default route `underlay` (nil: none).
    public func plan(remote: IPv4Address?, underlay: UnderlayGateway?) -> RedirectPlan {
        var plan = RedirectPlan()
        guard ipv4 else { return plan }
        let unable = "unable to redirect IPv4 default gateway --"
        if rerouteIPv4 && vpnGateway == nil {
            plan.notes.append("\(unable) VPN gateway parameter (route-gateway or ifconfig) is missing")
            plan.complete = false
            return plan
        }
        if underlay == nil && !local && remote != nil {
            plan.notes.append("\(unable) cannot read the current default gateway from the system")
            plan.complete = false
            return plan
        }
        // openvpn's test_local_addr: the peer sits on a subnet of the gateway's interface.
        let remoteIsLocal = remote.map { r in underlay?.subnets.contains { $0.contains(r) } ?? false } ?? false
        let local = autoLocal ? remoteIsLocal : self.local
        if !local, let remote, let underlay {
            plan.routes.append(RedirectPlan.Route(remote.value, 32, via: .underlay(underlay.address)))
        }
        var blockLocal: [RedirectPlan.Route] = []
        if self.blockLocal, let underlay, let vpnGateway, !remoteIsLocal {
            plan.routes.append(RedirectPlan.Route(underlay.address.value, 32, via: .underlay(underlay.address)))
            var seen: Set<UnderlayGateway.Subnet> = []
            for subnet in underlay.subnets where (1...31).contains(subnet.prefixLength) {
                let mask = IPv4Address.mask(prefixLength: subnet.prefixLength)
                let network = UnderlayGateway.Subnet(
                    address: IPv4Address(subnet.address.value & mask), prefixLength: subnet.prefixLength)
                guard seen.insert(network).inserted else { continue }
                let half = (~mask &+ 1) >> 1  // split in two, so these win over the subnet's own route
                for start in [network.address.value, network.address.value &+ half] {
                    blockLocal.append(RedirectPlan.Route(start, subnet.prefixLength + 1, via: .tunnel(vpnGateway)))
                }
            }
        }
        if rerouteIPv4, let vpnGateway {
            if def1 {
                plan.routes.append(RedirectPlan.Route(0, 1, via: .tunnel(vpnGateway)))
                plan.routes.append(RedirectPlan.Route(0x8000_0000, 1, via: .tunnel(vpnGateway)))
            } else {
                plan.replacesDefault = underlay != nil
                plan.routes.append(RedirectPlan.Route(0, 0, via: .tunnel(vpnGateway)))
            }
        }
        plan.routes += blockLocal
        return plan
    }
}
