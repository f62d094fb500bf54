import SwvpnProtocol

// MARK: Device
extension DirectiveTable {
    static let device: [Directive] = [
        Directive(
            "dev", 1...1, "dev tunX|tapX|null|name",
            "Device: tun/tap (first free), tunN/tapN, null (none: decrypted packets are discarded), or any name with dev-type."
        ) { b, inv throws(ConfigError) in
            try b.setDevice(inv)
        },
        Directive(
            "dev-type", 1...1, "dev-type tun|tap|null",
            "Device type (tun: IP packets, tap: Ethernet frames); wins over the dev name."
        ) { b, inv throws(ConfigError) in
            try b.setDeviceType(inv)
        },
        Directive(
            "topology", 1...1, "topology net30|p2p|subnet", "How ifconfig arguments are read (default net30)."
        ) {
            b, inv throws(ConfigError) in
            guard let topology = Topology(rawValue: inv.arguments[0]) else {
                throw inv.error("bad topology '\(inv.arguments[0])' (net30, p2p or subnet)")
            }
            b.config.topology = topology
        },
        Directive("txqueuelen", 1...1, "txqueuelen n", "Transmit queue length of the TUN device.") {
            b, inv throws(ConfigError) in
            b.config.txQueueLength = try inv.integer(0, 0...65535, "queue length")
        },
        rejected(
            "mktun", 0...0, "mktun", "Create a persistent device and exit (not supported).",
            "not supported by swvpnd (use ip tuntap add)"),
        rejected(
            "rmtun", 0...0, "rmtun", "Remove a persistent device and exit (not supported).",
            "not supported by swvpnd (use ip tuntap del)"),
        Directive(
            "tun-mtu", 1...2, "tun-mtu n [occ-mtu]",
            "MTU of the TUN device (default 1500); occ-mtu is what OCC reports."
        ) { b, inv throws(ConfigError) in
            b.config.tunMTU = try inv.integer(0, 100...65535, "MTU")
            b.config.occMTU = inv[1] == nil ? nil : try inv.integer(1, 100...65535, "OCC MTU")
        },
        Directive(
            "mssfix", 0...2, "mssfix [n] [mtu|fixed]",
            "Clamp the TCP MSS so encapsulated packets fit in n bytes (0 = off)."
        ) { b, inv throws(ConfigError) in
            guard inv[0] != nil else {
                b.config.mssFix = .automatic
                return
            }
            let value = try inv.integer(0, 0...65535, "mssfix size")
            var mode = MSSFixMode.payload
            switch inv[1] {
            case nil: break
            case "mtu": mode = .includingOuterHeaders
            case "fixed": mode = .fixed
            case let other?: throw inv.error("bad flag '\(other)' (mtu or fixed)")
            }
            b.config.mssFix = value == 0 ? .disabled : .value(value, mode)
        },
        Directive(
            "fragment", 1...2, "fragment max [mtu]",
            "Fragment packets larger than max bytes inside the tunnel (UDP only)."
        ) { b, inv throws(ConfigError) in
            b.config.fragment = try inv.integer(0, 68...65535, "fragment size")
            switch inv[1] {
            case nil: b.config.fragmentCountsOuterHeaders = false
            case "mtu": b.config.fragmentCountsOuterHeaders = true
            case let other?: throw inv.error("bad flag '\(other)' (only mtu)")
            }
        },
    ]
}
