import SwvpnProtocol

/// Mutable state the directive handlers fill in; `finish()` validates it into a `TunnelConfig`.
struct ConfigBuilder {
    var config: TunnelConfig
    var keySource: KeySource?
    var keySourceLocation: ConfigLocation?
    var secretDirection: (KeyDirection, ConfigLocation)?
    var keyDirectionOption: (KeyDirection, ConfigLocation)?
    var port: UInt16?
    var localPort: UInt16?
    var remotePort: UInt16?
    var remotes: [(host: String, port: UInt16?, transport: Transport?, family: AddressFamily?)] = []
    var pendingRoutes:
        [(
            network: IPv4Address, netmask: IPv4Address, gateway: String?, metric: Int?,
            location: ConfigLocation
        )] = []
    var keepalive: (interval: Int, timeout: Int)?
    var pingInterval: Int?
    var pingTimeout: (Int, PingTimeoutAction)?
    /// Last location of every directive seen, for conflict messages.
    var seen: [String: ConfigLocation] = [:]
    /// `cd`: the directory later relative paths are resolved against ("" = process cwd).
    var baseDirectory = ""
    /// openvpn-compatibility state (ConfigBuilder+Compat.swift).
    var compat = CompatState()

    init(sourceName: String) {
        config = TunnelConfig(
            sourceName: sourceName,
            keySource: .inline(InlineBlock(bytes: []), firstLine: ConfigLocation(source: sourceName, line: nil)))
    }

    func resolve(_ path: String) -> String {
        if baseDirectory.isEmpty || path.hasPrefix("/") { return path }
        return baseDirectory.hasSuffix("/") ? baseDirectory + path : baseDirectory + "/" + path
    }

    mutating func warn(_ location: ConfigLocation, _ directive: String?, _ message: String) {
        config.warnings.append(ConfigDiagnostic(location, directive: directive, message))
    }

    /// Over TCP every sealed packet carries a 16-bit length: a `tun-mtu` whose largest sealed packet
    /// (cipher and HMAC growth, compression framing) exceeds 65535 bytes cannot be framed.
    static func checkTCPFraming(_ c: TunnelConfig, location: ConfigLocation, anyTCP: Bool) throws(ConfigError) {
        guard anyTCP else { return }
        let layout = c.frameLayout
        let growth = c.compression.maxOverhead
        func sealed(_ mtu: Int) -> Int { layout.wireLength(payload: mtu + growth) }
        guard sealed(c.tunMTU) > Int(UInt16.max) else { return }
        var largest = c.tunMTU
        while largest > 0 && sealed(largest) > Int(UInt16.max) { largest -= 1 }
        throw ConfigError(
            location, directive: "tun-mtu",
            "tun-mtu \(c.tunMTU) cannot be carried over TCP: a sealed packet (\(c.cipher)/\(c.digest)) "
                + "would be \(sealed(c.tunMTU)) bytes, more than the 65535 of the TCP record length; "
                + "use tun-mtu \(largest) or less")
    }

    mutating func finish(topLevel: ConfigLocation) throws(ConfigError) -> TunnelConfig {
        var c = config
        guard let keySource else {
            throw ConfigError(topLevel, directive: nil, "no secret: swvpnd only runs static-key tunnels")
        }
        c.keySource = keySource
        if let (direction, location) = keyDirectionOption {
            if let (other, otherLocation) = secretDirection, other != direction {
                throw ConfigError(
                    location, directive: "key-direction",
                    "conflicts with the direction given by secret at \(otherLocation)")
            }
            c.keyDirection = direction
        } else if let (direction, _) = secretDirection {
            c.keyDirection = direction
        }

        // Liveness: keepalive is shorthand for ping + ping-restart and excludes them (helper.c rules).
        if let keepalive, let location = seen["keepalive"] {
            if pingInterval != nil || pingTimeout != nil {
                throw ConfigError(
                    location, directive: "keepalive", "conflicts with --ping, --ping-exit or --ping-restart")
            }
            if keepalive.interval * 2 > keepalive.timeout {
                throw ConfigError(
                    location, directive: "keepalive",
                    "restart timeout \(keepalive.timeout) must be at least twice the ping interval \(keepalive.interval)"
                )
            }
            c.ping.interval = keepalive.interval
            c.ping.timeout = keepalive.timeout
            c.ping.timeoutAction = .restart
        } else {
            c.ping.interval = pingInterval ?? 0
            if let (timeout, action) = pingTimeout {
                c.ping.timeout = timeout
                c.ping.timeoutAction = action
            }
        }

        if let location = seen["no-replay"], let window = seen["replay-window"] {
            let later = (window.line ?? 0) > (location.line ?? 0) ? ("replay-window", window) : ("no-replay", location)
            throw ConfigError(
                later.1, directive: later.0,
                "conflicts with --\(later.0 == "no-replay" ? "replay-window" : "no-replay")")
        }
        if c.fragment != nil, let location = seen["fragment"],
            c.transport.isTCP || c.remotes.contains(where: { $0.transport?.isTCP == true })
                || remotes.contains(where: { $0.transport?.isTCP == true })
        {
            throw ConfigError(location, directive: "fragment", "can only be used with --proto udp")
        }
        if c.explicitExitNotify != nil, c.transport.isTCP, let location = seen["explicit-exit-notify"] {
            c.warnings.append(ConfigDiagnostic(location, directive: "explicit-exit-notify", "ignored for --proto tcp"))
        }
        if c.user != nil || c.group != nil, !(c.persistTun && c.persistKey) {
            let location = seen["user"] ?? seen["group"]!
            c.warnings.append(
                ConfigDiagnostic(
                    location, directive: seen["user"] != nil ? "user" : "group",
                    "without persist-tun and persist-key, restarts may fail after dropping privileges"))
        }

        try Self.checkTCPFraming(
            c, location: seen["tun-mtu"] ?? seen["proto"] ?? topLevel,
            anyTCP: c.transport.isTCP || remotes.contains { $0.transport?.isTCP == true })
        if c.keyDirection == .bidirectional, !(c.cipher.isNone && c.digest.isNone), !c.transport.isTCP {
            c.warnings.append(
                ConfigDiagnostic(
                    keySourceLocation ?? topLevel, directive: "secret",
                    "no key direction: both ends use the same keys, so a packet of our own reflected back to us is accepted "
                        + "(and can push the replay window ahead of the peer); use 'secret FILE 0' here and 'secret FILE 1' "
                        + "on the peer, or key-direction 0/1"))
        }

        c.localPort = localPort ?? port ?? WireFormat.defaultPort
        c.remotes = remotes.map {
            RemoteEndpoint(
                host: $0.host, port: $0.port ?? remotePort ?? port ?? WireFormat.defaultPort,
                transport: $0.transport, addressFamily: $0.family)
        }

        try finishCompat(&c)
        finishHost(&c)
        try finishNullDevice(&c)  // dev null: before the routes, which it drops (ConfigBuilder+NullDevice.swift)
        finishIPv6Routes(&c)
        try checkHealthProbe(c)
        if let ifconfig = c.ifconfig, c.ifconfigHasNetmask, ifconfig.remoteOrNetmask.netmaskPrefixLength == nil,
            let location = seen["ifconfig"]
        {
            let reading = c.deviceType == .tap ? "a tap device" : "topology subnet"
            throw ConfigError(
                location, directive: "ifconfig", "bad netmask '\(ifconfig.remoteOrNetmask)' for \(reading)")
        }
        for pending in pendingRoutes {
            let gateway: RouteGateway
            switch pending.gateway {
            case "net_gateway": gateway = .netGateway
            case "remote_host": gateway = .remoteHost
            case let literal? where literal != "vpn_gateway" && literal != "default":
                guard let address = IPv4Address(literal) else {
                    throw ConfigError(pending.location, directive: "route", "bad gateway '\(literal)'")
                }
                gateway = .address(address)
            default:
                if let vpnGateway = c.vpnGateway {
                    gateway = .address(vpnGateway)
                } else {
                    throw ConfigError(
                        pending.location, directive: "route",
                        "no gateway: give one, or set --route-gateway or --ifconfig")
                }
            }
            c.routes.append(
                Route(
                    network: pending.network, netmask: pending.netmask,
                    prefixLength: pending.netmask.netmaskPrefixLength ?? 32, gateway: gateway,
                    metric: pending.metric ?? c.defaultRouteMetric, location: pending.location))
        }
        return c
    }
}
