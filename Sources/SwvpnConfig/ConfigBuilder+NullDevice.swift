/// `dev null` (openvpn's own test suite uses it): a tunnel with no device. openvpn 2.6 opens none,
/// runs the up/down scripts with `null` as the device, answers pings and OCC, and throws away every
/// packet the peer sends once it is decrypted; nothing is ever read from a device.
extension ConfigBuilder {
    /// What a tunnel without a device cannot have: an address is an error (openvpn 2.6 exits at
    /// start-up on it), routes have nothing to point at (openvpn fails to add them and goes on: they
    /// are dropped here with a warning). Runs before the `route` lines are resolved.
    mutating func finishNullDevice(_ c: inout TunnelConfig) throws(ConfigError) {
        guard c.deviceType == .null else { return }
        for name in ["ifconfig", "ifconfig-ipv6"] {
            if let location = seen[name] {
                throw ConfigError(
                    location, directive: name,
                    "dev null has no device to put an address on (openvpn 2.6 exits at start-up: "
                        + "\"Linux can't set mtu (\(c.tunMTU)) on null\"); remove it or use dev tun")
            }
        }
        let routed =
            pendingRoutes.map { ($0.location, "route") } + c.routesIPv6.map { ($0.location, "route-ipv6") }
            + ["redirect-gateway", "redirect-private"].compactMap { name in seen[name].map { ($0, name) } }
        for (location, name) in routed {
            c.warnings.append(
                ConfigDiagnostic(
                    location, directive: name, "ignored with dev null: there is no device to route through"))
        }
        pendingRoutes = []
        c.routesIPv6 = []
        c.host.redirect = nil
    }
}
