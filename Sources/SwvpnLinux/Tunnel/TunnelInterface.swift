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

    package init(config: TunnelConfig, logger: Logger, virtioHeader wantVirtioHeader: Bool = false) throws(SetupError) {
        self.logger = logger
        if config.deviceType == .null {  // dev null: no device, no address, no routes (the config dropped them)
            do throws(SystemError) {
                netlink = try Netlink()
                device = try TUNDevice(null: ())
            } catch {
                throw .tunOpen(device: config.device, error)
            }
            virtioHeader = false
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
        complete = installIPv6PeerRoute(config: config, remote: remote) && complete
        for route in config.routesIPv6 {
            guard let destination = SocketAddress(ip: route.network) else {
                logger.error("\(route.location): route-ipv6 \(route.network): not an IPv6 address")
                complete = false
                continue
            }
            let kernelRoute = KernelRoute(
                destination: destination, prefixLength: route.prefixLength,
                gateway: route.gateway.flatMap { SocketAddress(ip: $0) }, ifindex: device.ifindex,
                metric: route.metric.map { UInt32($0) })
            complete = add(kernelRoute, location: route.location.description) && complete
        }
        return complete
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

    /// The main table's IPv4 default gateway, for `net_gateway`.
    private func defaultGateway() -> SocketAddress? {
        let routes = (try? netlink.routes(family: .inet)) ?? []
        return routes.first { $0.prefixLength == 0 && $0.gateway != nil }?.gateway
    }
}

/// A kernel routing-table entry (netlink's `Route`), named apart from the config's `route` directive.
package typealias KernelRoute = Route
