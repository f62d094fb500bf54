import CSwvpnLinux
import Glibc
import Logging
import SwvpnConfig
import SwvpnProtocol

/// The TUN device of a tunnel with its address and routes, set up and torn down through netlink.
///
/// `ifconfig local remote` becomes a point-to-point address `local peer remote/32`; every `route`
/// goes to the kernel with the resolved gateway. Routes are removed in reverse order on teardown
/// (closing the device would drop them too, but an explicit delete keeps `persist-tun` and the
/// logs honest).
package final class TunnelInterface {
    package let device: TUNDevice
    let netlink: Netlink
    let logger: Logger
    package private(set) var installedRoutes: [KernelRoute] = []
    /// What redirect-gateway changed (TunnelInterface+Redirect.swift).
    var redirectState = RedirectState()

    /// The device was opened with `IFF_VNET_HDR` (every read and write carries a virtio header).
    package let virtioHeader: Bool
    /// The host's default gateways, read before the device or any route of ours existed (openvpn reads
    /// them when it builds its route lists): `route_net_gateway`, `net_gateway_ipv6`, the IPv6 peer's host route.
    package let hostGateways: HostGateways
    /// The IPv6 routes as openvpn lists and installs them (their order is the scripts' numbering).
    package let ipv6Routes: IPv6RoutePlan
    /// The route lists' script variables (`route_net_gateway`, `route_vpn_gateway`, `route_*_N`,
    /// `net_gateway_ipv6`, `route_ipv6_*_N`), fixed at set-up as openvpn fixes them.
    package let routeEnvironment: [String]

    /// `remote`: the peer's address at set-up, if known (the IPv6 gateway is looked up towards it).
    package init(
        config: TunnelConfig, logger: Logger, virtioHeader wantVirtioHeader: Bool = false, remote: SocketAddress? = nil
    ) throws(SetupError) {
        self.logger = logger
        if config.deviceType == .null {  // dev null: no device, no address, no routes (the config dropped them)
            do throws(SystemError) {
                netlink = try Netlink()
                device = try TUNDevice(null: ())
            } catch {
                throw .tunOpen(device: config.device, error)
            }
            virtioHeader = false
            hostGateways = HostGateways()
            ipv6Routes = IPv6RoutePlan(config: config, remoteIPv6: nil, gateway: nil)
            routeEnvironment = []
            logger.notice("dev null: no device (decrypted packets are discarded, as openvpn does)")
            return
        }
        do throws(SystemError) {
            netlink = try Netlink()
            var options: TUNDevice.Options = wantVirtioHeader ? [.virtioHeader] : []
            if config.deviceType == .tap { options.insert(.tap) }
            device = try TUNDevice(
                name: config.device == "tun" || config.device == "tap" ? nil : config.device,
                options: options, clonePath: config.host.devNode ?? TUNDevice.defaultClonePath)
            if let lladdr = config.compat.lladdr { try device.setHardwareAddress(lladdr) }
        } catch {
            throw .tunOpen(device: config.device, error)
        }
        logger.notice("TUN/TAP device \(device.name) opened")
        let remoteIPv6 = remote?.family == .inet6 ? remote?.ipString : nil
        hostGateways = Self.readHostGateways(netlink, remoteIPv6: remote?.family == .inet6 ? remote : nil)
        ipv6Routes = IPv6RoutePlan(config: config, remoteIPv6: remoteIPv6, gateway: hostGateways.ipv6)
        routeEnvironment = RouteEnvironment.routeVariables(
            config, gateways: hostGateways, remote: remote.flatMap { $0.family == .inet ? Self.ipv4($0) : nil },
            ipv6Routes: ipv6Routes)
        if wantVirtioHeader {
            // TSO lets the kernel hand over 64 KB TCP super-packets; CSUM leaves checksums to us.
            do throws(SystemError) {
                try device.setOffload(swvpn_TUN_F_CSUM | swvpn_TUN_F_TSO4 | swvpn_TUN_F_TSO6)
            } catch {
                logger.info("TUN offloads unavailable (\(error)); packets stay MTU-sized")
            }
        }
        // With the header but without TSO every read is one plain packet: still correct.
        virtioHeader = wantVirtioHeader
        if config.ifconfigNoExec {
            // openvpn skips its whole ifconfig step: the up script sets address, MTU and link state.
            logger.notice("\(device.name): left unconfigured (ifconfig-noexec)")
            return
        }
        do throws(NetlinkError) {
            try netlink.setMTU(ifindex: device.ifindex, mtu: UInt32(config.tunMTU))
            if let ifconfig = config.ifconfig {
                let local = SocketAddress(ipv4: ifconfig.local.value, port: 0)
                if config.ifconfigHasNetmask {
                    let prefix = ifconfig.remoteOrNetmask.netmaskPrefixLength ?? 32
                    try netlink.addAddress(ifindex: device.ifindex, local: local, prefixLength: prefix)
                    logger.notice("\(device.name): address \(ifconfig.local)/\(prefix), mtu \(config.tunMTU)")
                } else {
                    let peer = SocketAddress(ipv4: ifconfig.remoteOrNetmask.value, port: 0)
                    try netlink.addAddress(ifindex: device.ifindex, local: local, peer: peer, prefixLength: 32)
                    logger.notice(
                        "\(device.name): address \(ifconfig.local) peer \(ifconfig.remoteOrNetmask), mtu \(config.tunMTU)"
                    )
                }
            }
            if let v6 = config.ifconfigIPv6, let address = SocketAddress(ip: v6.address) {
                try netlink.addAddress(ifindex: device.ifindex, local: address, prefixLength: v6.prefixLength)
                logger.notice("\(device.name): address \(v6.address)/\(v6.prefixLength)")
            }
            try netlink.setLink(ifindex: device.ifindex, up: true)
        } catch {
            throw .tunConfigure(device: device.name, error)
        }
    }

    /// Installs the config's routes. Each failure is logged with the route and the kernel's reason;
    /// returns false if any route is missing (the caller then does not claim READY).
    package func installRoutes(config: TunnelConfig, remote: SocketAddress?) -> Bool {
        var complete = config.host.redirect.map { installRedirect($0, remote: remote) } ?? true
        for route in config.routes {
            let gateway: SocketAddress?
            switch route.gateway {
            case .address(let ip): gateway = SocketAddress(ipv4: ip.value, port: 0)
            case .remoteHost:
                gateway = remote.map {
                    var g = $0
                    g.port = 0
                    return g
                }
            case .netGateway: gateway = defaultGateway()
            }
            let kernelRoute = KernelRoute(
                destination: SocketAddress(ipv4: route.network.value, port: 0), prefixLength: route.prefixLength,
                gateway: gateway, ifindex: route.gateway == .netGateway ? 0 : device.ifindex,
                metric: route.metric.map { UInt32($0) })
            complete = add(kernelRoute, location: route.location.description) && complete
        }
        return installIPv6Routes() && complete
    }

    func add(_ route: KernelRoute, location: String) -> Bool {
        if installedRoutes.contains(route) { return true }  // a retry only adds what is missing
        do throws(NetlinkError) {
            try netlink.addRoute(route)
            installedRoutes.append(route)
            logger.notice("route added: \(route)")
            return true
        } catch {
            let hint =
                error.errno == EEXIST
                ? " (a route to this network already exists: another tunnel or a stale route?)" : ""
            logger.error("\(location): cannot add \(error)\(hint)")
            return false
        }
    }

    package func removeRoutes() {
        for route in installedRoutes.reversed() {
            do throws(NetlinkError) {
                try netlink.deleteRoute(route)
                logger.notice("route removed: \(route)")
            } catch {
                // Already gone with the device, or removed by hand: worth a line, not a failure.
                logger.info("cannot remove \(error)")
            }
        }
        installedRoutes.removeAll()
        restoreDefaultRoute()
    }

    /// openvpn's two lookups (`HostGateways` has the rules): a dump of the main table for IPv4, the
    /// kernel's route to the IPv6 peer (or to `::`) for IPv6.
    private static func readHostGateways(_ netlink: Netlink, remoteIPv6: SocketAddress?) -> HostGateways {
        let table = (try? netlink.routes(family: .inet))?.map { route in
            HostGateways.TableRoute(
                prefixLength: route.prefixLength, gateway: route.gateway.map(ipv4), ifindex: route.ifindex)
        }
        var target = remoteIPv6 ?? SocketAddress(ipv6: Array(repeating: 0, count: 16), port: 0)
        target.port = 0
        let lookup = (try? netlink.route(to: target)).map { (gateway: $0.gateway?.ipString, ifindex: $0.ifindex) }
        return HostGateways(
            ipv4: HostGateways.ipv4(mainTable: table),
            ipv6: HostGateways.ipv6(lookup: lookup, destination: remoteIPv6?.ipString))
    }

    /// The main table's IPv4 default gateway, for `net_gateway`.
    private func defaultGateway() -> SocketAddress? {
        let routes = (try? netlink.routes(family: .inet)) ?? []
        return routes.first { $0.prefixLength == 0 && $0.gateway != nil }?.gateway
    }
}

/// A kernel routing-table entry (netlink's `Route`), named apart from the config's `route` directive.
package typealias KernelRoute = Route
