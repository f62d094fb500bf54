import SwvpnConfig

// The IPv6 routes of `IPv6RoutePlan` put in through netlink: the config's `route-ipv6` lines (and
// redirect-gateway ipv6's) on the device, and the host route that keeps an IPv6 peer on the underlay.
extension TunnelInterface {
    /// Adds the planned IPv6 routes (a retry adds only what is missing); false if any is missing.
    func installIPv6Routes() -> Bool {
        for note in ipv6Routes.notes { logger.warning("\(note)") }
        var complete = true
        for entry in ipv6Routes.entries {
            if let warning = entry.notInstalled {
                logger.warning("\(entry.location): \(warning)")
                complete = false
                continue
            }
            guard let destination = SocketAddress(ip: entry.kernelNetwork) else {
                logger.error("\(entry.location): route-ipv6 \(entry.network): not an IPv6 address")
                complete = false
                continue
            }
            let route = KernelRoute(
                destination: destination, prefixLength: entry.prefixLength,
                gateway: entry.kernelGateway.flatMap { SocketAddress(ip: $0) },
                ifindex: entry.ifindex ?? device.ifindex, metric: entry.kernelMetric.map { UInt32($0) })
            complete = add(route, location: entry.location) && complete
        }
        return complete
    }
}
