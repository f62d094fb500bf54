// The implemented openvpn options about the host around the tunnel (HostOptions.swift).
extension OpenVPNOptionCatalog {
    static let hostOptions: [Directive] = [
        Directive(
            "redirect-gateway", 0...8,
            "redirect-gateway [flags...]",
            "Send the default route through the tunnel; flags def1 (as 0.0.0.0/1 and 128.0.0.0/1), local, autolocal, "
                + "block-local, bypass-dhcp, bypass-dns, ipv6, !ipv4. The peer keeps a host route via the old gateway "
                + "unless local; removed on exit."
        ) { b, inv throws(ConfigError) in
            try b.setRedirect(inv, rerouteIPv4: true)
        },
        Directive(
            "redirect-private", 0...8, "redirect-private [flags...]",
            "Like redirect-gateway without changing the default route: the host route to the peer via the old "
                + "gateway (unless local), block-local, ipv6."
        ) { b, inv throws(ConfigError) in
            try b.setRedirect(inv, rerouteIPv4: false)
        },
        Directive(
            "dev-node", 1...1, "dev-node path",
            "Open this TUN/TAP clone device instead of /dev/net/tun (a character device, major 10 minor 200)."
        ) { b, inv throws(ConfigError) in
            guard !inv.arguments[0].isEmpty else { throw inv.error("empty path") }
            b.config.host.devNode = b.resolve(inv.arguments[0])
        },
        Directive(
            "chroot", 1...1, "chroot dir",
            "chroot to dir (and cd /) once the tunnel is set up, before user/group; see swvpnd(8) for what "
                + "still works afterwards."
        ) { b, inv throws(ConfigError) in
            guard !inv.arguments[0].isEmpty else { throw inv.error("empty directory") }
            b.config.host.chroot = b.resolve(inv.arguments[0])
        },
        Directive(
            "syslog", 0...1, "syslog [name]",
            "Log to syslog (facility daemon, tag name, default the daemon name or swvpnd) unless log/log-append is given."
        ) { b, inv in
            b.config.host.syslog = true
            b.config.host.syslogName = inv[0]
        },
        Directive(
            "passtos", 0...0, "passtos",
            "Copy the TOS byte of each IPv4 packet sent through the tunnel to the outer packet (IP_TOS on the socket)."
        ) { b, _ in
            b.config.host.passTOS = true
        },
        Directive(
            "shaper", 1...1, "shaper n",
            "Limit the output to the peer to n bytes per second (100..100000000, outer headers counted), as openvpn."
        ) { b, inv throws(ConfigError) in
            b.config.host.shaperBytesPerSecond = try inv.integer(0, HostOptions.shaperRange, "shaper rate")
        },
    ]
}

extension ConfigBuilder {
    /// `redirect-gateway`/`redirect-private` flags, accumulated as openvpn does when given twice.
    mutating func setRedirect(_ inv: Invocation, rerouteIPv4: Bool) throws(ConfigError) {
        var redirect = config.host.redirect ?? RedirectGateway()
        if config.host.redirect != nil {
            warn(
                inv.location, inv.name,
                "redirect-gateway and redirect-private given together (or one of them twice): the flags add up, "
                    + "which openvpn calls not well supported")
        }
        redirect.ipv4 = true
        if rerouteIPv4 { redirect.rerouteIPv4 = true }
        for flag in inv.arguments {
            switch flag {
            case "def1": redirect.def1 = true
            case "local": redirect.local = true
            case "autolocal": redirect.autoLocal = true
            case "block-local": redirect.blockLocal = true
            case "bypass-dhcp", "bypass-dns":
                if flag == "bypass-dhcp" { redirect.bypassDHCP = true } else { redirect.bypassDNS = true }
                warn(inv.location, inv.name, "\(flag) has no effect on Linux (openvpn applies it on Windows only)")
            case "ipv6": redirect.rerouteIPv6 = true
            case "!ipv4":
                redirect.ipv4 = false
                redirect.rerouteIPv4 = false
            default:
                throw inv.error(
                    "unknown flag '\(flag)' (def1, local, autolocal, block-local, bypass-dhcp, bypass-dns, ipv6, !ipv4)"
                )
            }
        }
        config.host.redirect = redirect
    }

    /// What redirect-gateway needs from the whole config (after finishCompat settled the device type):
    /// the VPN gateway, the IPv6 routes (added to route-ipv6's, whose defaults then apply to them too).
    func finishHost(_ c: inout TunnelConfig) {
        guard var redirect = c.host.redirect, let location = seen["redirect-gateway"] ?? seen["redirect-private"]
        else { return }
        let name = seen["redirect-gateway"] != nil ? "redirect-gateway" : "redirect-private"
        if let gateway = c.vpnGateway {
            redirect.vpnGateway = gateway
        } else if redirect.rerouteIPv4 {
            c.warnings.append(
                ConfigDiagnostic(
                    location, directive: name,
                    "unable to redirect the IPv4 default gateway: the VPN gateway (route-gateway or ifconfig) is missing"
                ))
        }
        if redirect.rerouteIPv6 {
            if c.ifconfigIPv6 == nil && compat.routeIPv6Gateway == nil {
                c.warnings.append(
                    ConfigDiagnostic(
                        location, directive: name,
                        "ipv6: no ifconfig-ipv6 on the device, so the IPv6 routes through it may fail"))
            }
            for (network, prefix) in RedirectGateway.ipv6Networks {
                c.routesIPv6.append(
                    RouteIPv6(
                        network: network, prefixLength: prefix, gateway: nil, metric: nil,
                        location: location))
            }
        }
        c.host.redirect = redirect
    }
}
