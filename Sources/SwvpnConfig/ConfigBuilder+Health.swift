/// Monitoring rules that need the whole config.
extension ConfigBuilder {
    /// `health-probe` pings the peer's tunnel address from ours, so it needs point-to-point
    /// `ifconfig LOCAL REMOTE` on a tun device. Elsewhere it could only ever fail, and a /health that
    /// silently dropped the probe would claim more than it checked: refused, naming the line.
    func checkHealthProbe(_ c: TunnelConfig) throws(ConfigError) {
        guard c.health.probeIntervalSeconds != nil, let location = seen["health-probe"] else { return }
        let why: String
        if c.deviceType == .tap {
            why =
                "a tap device carries Ethernet frames and its ifconfig gives a netmask, not the peer's address"
        } else if c.topology == .subnet {
            why = "with topology subnet, ifconfig gives a netmask, not the peer's address"
        } else if c.ifconfig == nil {
            why = "there is no ifconfig, so no tunnel addresses to ping from and to"
        } else {
            return
        }
        throw ConfigError(
            location, directive: "health-probe",
            "needs 'dev tun' with point-to-point 'ifconfig LOCAL REMOTE' (topology net30 or p2p) to ping the "
                + "peer's tunnel address: \(why)")
    }
}
