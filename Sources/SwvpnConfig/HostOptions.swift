/// The openvpn options about the host around the tunnel: its routing table (`redirect-gateway`,
/// `redirect-private`), the TUN clone device (`dev-node`), the process (`chroot`, `syslog`) and the
/// outer packets (`passtos`, `shaper`). The daemon applies them; the config only validates them.
public struct HostOptions: Sendable, Hashable {
    /// `redirect-gateway [flags...]` / `redirect-private [flags...]`; nil when neither is given.
    public var redirect: RedirectGateway?
    /// `dev-node path`: the TUN/TAP clone device to open instead of `/dev/net/tun`.
    public var devNode: String?
    /// `chroot dir`: chroot (and cd /) once the tunnel is set up, before dropping `user`/`group`.
    public var chroot: String?
    /// `syslog [name]`: log to syslog (facility daemon) unless `log`/`log-append` names a file.
    public var syslog = false
    /// The `syslog` name argument (else the `daemon` name, else `swvpnd`).
    public var syslogName: String?
    /// `passtos`: the outer packets carry the TOS byte of the IPv4 packet they seal.
    public var passTOS = false
    /// `shaper n`: output to the peer limited to n bytes per second (outer headers counted).
    public var shaperBytesPerSecond: Int?

    public init() {}

    /// openvpn's range for `shaper` (SHAPER_MIN, SHAPER_MAX).
    public static let shaperRange = 100...100_000_000
}

/// openvpn's route-list flags of `redirect-gateway` and `redirect-private` (RG_* in route.h).
public struct RedirectGateway: Sendable, Hashable {
    /// RG_ENABLE: set by both directives; `!ipv4` clears it (IPv4 untouched then).
    public var ipv4 = true
    /// RG_REROUTE_GW: `redirect-gateway` (not `redirect-private`) replaces the IPv4 default route.
    public var rerouteIPv4 = false
    /// `def1`: 0.0.0.0/1 and 128.0.0.0/1 through the tunnel instead of replacing 0.0.0.0/0.
    public var def1 = false
    /// `local`: the peer is on the local network, so no host route to it via the old gateway.
    public var local = false
    /// `autolocal`: `local` decided by whether the peer is on the gateway interface's subnet.
    public var autoLocal = false
    /// `block-local`: the gateway interface's own subnets go through the tunnel too.
    public var blockLocal = false
    /// `bypass-dhcp`, `bypass-dns`: host routes to the DHCP and DNS servers (openvpn does it on Windows only).
    public var bypassDHCP = false
    public var bypassDNS = false
    /// `ipv6`: ::/3, 2000::/4, 3000::/4 and fc00::/7 through the tunnel.
    public var rerouteIPv6 = false
    /// The VPN-side gateway: `route-gateway`, else the `ifconfig` peer of a tun device (net30/p2p).
    public var vpnGateway: IPv4Address?

    public init() {}

    /// The IPv6 networks `redirect-gateway ipv6` sends through the tunnel (openvpn 2.6, init.c).
    public static let ipv6Networks: [(network: String, prefixLength: Int)] = [
        ("::", 3), ("2000::", 4), ("3000::", 4), ("fc00::", 7),
    ]
}
