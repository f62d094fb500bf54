import Logging
import SwvpnConfig

// `redirect-gateway` / `redirect-private`: the routes `RedirectGateway.plan` computes, put in and taken out
// through netlink next to the config's own routes (openvpn adds them first, before `route` lines).
extension TunnelInterface {
    /// What the redirection changed, to be undone at teardown.
    struct RedirectState {
        /// The underlay default route and its interface's subnets, read once (before any change).
        var underlay: (gateway: UnderlayGateway, route: KernelRoute)?
        var underlayRead = false
        /// redirect-gateway without def1 deleted this default route; it goes back at teardown.
        var replacedDefault: KernelRoute?
    }

    /// Adds the redirection's routes (a retry adds only what is missing); false if any is missing.
    func installRedirect(_ redirect: RedirectGateway, remote: SocketAddress?) -> Bool {
        if !redirectState.underlayRead {
            redirectState.underlay = readUnderlayGateway()
            redirectState.underlayRead = true
        }
        let underlay = redirectState.underlay
        let remoteIPv4 = remote.flatMap { address -> IPv4Address? in
            guard address.family == .inet else { return nil }
            return IPv4Address(address.addressBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        }
        let plan = redirect.plan(remote: remoteIPv4, underlay: underlay?.gateway)
        for note in plan.notes { logger.warning("NOTE: \(note)") }
        var complete = plan.complete
        if plan.replacesDefault, redirectState.replacedDefault == nil, let route = underlay?.route {
            do throws(NetlinkError) {
                try netlink.deleteRoute(route)
                redirectState.replacedDefault = route
                logger.notice("default route removed: \(route) (put back at exit)")
            } catch {
                logger.error("redirect-gateway: cannot remove the default route: \(error)")
                return false
            }
        }
        for step in plan.routes {
            let (gateway, ifindex): (IPv4Address, Int32) =
                switch step.via {
                case .tunnel(let address): (address, device.ifindex)
                case .underlay(let address): (address, underlay?.route.ifindex ?? 0)
                }
            let route = KernelRoute(
                destination: SocketAddress(ipv4: step.network.value, port: 0), prefixLength: step.prefixLength,
                gateway: SocketAddress(ipv4: gateway.value, port: 0), ifindex: ifindex)
            complete = add(route, location: "redirect-gateway") && complete
        }
        return complete
    }

    /// Puts back the default route redirect-gateway (without def1) replaced; after the tunnel's routes are gone.
    func restoreDefaultRoute() {
        guard let route = redirectState.replacedDefault else { return }
        redirectState.replacedDefault = nil
        do throws(NetlinkError) {
            try netlink.addRoute(route)
            logger.notice("default route restored: \(route)")
        } catch {
            logger.error("cannot restore the default route: \(error)")
        }
    }

    /// The main table's IPv4 default route (not through this tunnel) and its interface's subnets.
    private func readUnderlayGateway() -> (gateway: UnderlayGateway, route: KernelRoute)? {
        let routes = (try? netlink.routes(family: .inet)) ?? []
        guard
            let route = routes.first(where: {
                $0.prefixLength == 0 && $0.gateway != nil && $0.ifindex != device.ifindex
            }), let gateway = route.gateway
        else { return nil }
        let addresses = (try? netlink.addresses(family: .inet)) ?? []
        let subnets = addresses.filter { $0.ifindex == route.ifindex }.map {
            UnderlayGateway.Subnet(address: Self.ipv4($0.local), prefixLength: $0.prefixLength)
        }
        return (UnderlayGateway(address: Self.ipv4(gateway), subnets: subnets), route)
    }

    static func ipv4(_ address: SocketAddress) -> IPv4Address {
        IPv4Address(address.addressBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }
}
