import SwvpnProtocol

/// Every directive swvpnd knows. Anything not listed here is an error ("unknown directive").
public enum DirectiveTable {
    public static func named(_ name: String) -> Directive? { index[name] }

    private static let index: [String: Directive] = {
        var map: [String: Directive] = [:]
        for directive in all + OpenVPNOptionCatalog.directives { map[directive.name] = directive }
        return map
    }()

    static func flag(
        _ name: String, _ summary: String,
        _ set: @escaping @Sendable (inout TunnelConfig) -> Void
    ) -> Directive {
        Directive(name, 0...0, name, summary) { b, _ in set(&b.config) }
    }

    static func noEffect(
        _ name: String, _ args: ClosedRange<Int>, _ synopsis: String,
        _ summary: String, _ why: String
    ) -> Directive {
        Directive(name, args, synopsis, summary, status: .noEffect) { b, inv in b.warn(inv.location, inv.name, why) }
    }

    static func rejected(
        _ name: String, _ args: ClosedRange<Int>, _ synopsis: String,
        _ summary: String, _ why: String
    ) -> Directive {
        Directive(name, args, synopsis, summary, status: .rejected) { _, inv throws(ConfigError) in throw inv.error(why)
        }
    }

    static let tlsMode = "TLS mode is not supported"

    public static let all: [Directive] =
        [
            // MARK: Files and process
            Directive("config", 1...1, "config file", "Read more directives from file (nested up to 10 levels).") {
                _, _ in
            },
            Directive("cd", 1...1, "cd dir", "Resolve later relative paths (key, includes, status...) against dir.") {
                b, inv in
                b.baseDirectory = b.resolve(inv.arguments[0])
                b.config.directory = b.baseDirectory
            },
            Directive("daemon", 0...1, "daemon [name]", "Accepted; swvpnd never forks (run it under systemd).") {
                b, inv in
                b.config.daemonName = inv[0]
                b.warn(inv.location, inv.name, "swvpnd does not fork; run it in the foreground under systemd")
            },
            Directive("writepid", 1...1, "writepid file", "Write the process ID to file.") { b, inv in
                b.config.writePIDPath = b.resolve(inv.arguments[0])
            },
            Directive("user", 1...1, "user name", "Drop to this user once the tunnel is up.") { b, inv in
                b.config.user = inv.arguments[0]
            },
            Directive("group", 1...1, "group name", "Drop to this group once the tunnel is up.") { b, inv in
                b.config.group = inv.arguments[0]
            },
            Directive(
                "status", 1...2, "status file [n]", "Write traffic statistics to file every n seconds (default 60)."
            ) { b, inv throws(ConfigError) in
                let interval = inv[1] == nil ? 60 : try inv.integer(1, 0...86400, "status interval")
                b.config.status = StatusFile(path: b.resolve(inv.arguments[0]), intervalSeconds: interval)
            },
            Directive("log", 1...1, "log file", "Log to file (truncated at start).") { b, inv in
                b.config.log = LogFile(path: b.resolve(inv.arguments[0]), append: false)
            },
            Directive("log-append", 1...1, "log-append file", "Log to file, appending.") { b, inv in
                b.config.log = LogFile(path: b.resolve(inv.arguments[0]), append: true)
            },
            Directive("verb", 1...1, "verb n", "Log verbosity 0..11 (default 1).") { b, inv throws(ConfigError) in
                b.config.verbosity = try inv.integer(0, 0...11, "verbosity")
            },
            Directive("mute", 1...1, "mute n", "Log at most n consecutive messages of the same kind.") {
                b, inv throws(ConfigError) in
                b.config.mute = try inv.integer(0, 0...1_000_000, "mute count")
            },
            flag("suppress-timestamps", "Do not prefix log lines with a timestamp.") { $0.suppressTimestamps = true },
            flag("machine-readable-output", "Prefix log lines with a timestamp and flags.") {
                $0.machineReadableOutput = true
            },
            Directive("setenv", 2...2, "setenv name value", "Set an environment variable for scripts.") { b, inv in
                b.config.environment.append(
                    EnvironmentSetting(name: inv.arguments[0], value: inv.arguments[1], optional: false))
            },
            Directive(
                "setenv-opt", 2...2, "setenv-opt name value",
                "Like setenv (OpenVPN ignores unknown options named there)."
            ) { b, inv in
                b.config.environment.append(
                    EnvironmentSetting(name: inv.arguments[0], value: inv.arguments[1], optional: true))
            },
            Directive(
                "script-security", 1...1, "script-security n",
                "0: no external programs, 1: built-ins only, 2: allow scripts, 3: allow passwords."
            ) { b, inv throws(ConfigError) in
                b.config.scriptSecurity = try inv.integer(0, 0...3, "script-security level")
            },
            Directive("up", 1...1, "up cmd", "Run cmd after the TUN device is up.") { b, inv throws(ConfigError) in
                _ = try ConfigLexer.splitCommand(inv.arguments[0], location: inv.location)  // argv, no shell
                b.config.upCommand = b.resolve(inv.arguments[0])
            },
            Directive("down", 1...1, "down cmd", "Run cmd after the TUN device is closed.") {
                b, inv throws(ConfigError) in
                _ = try ConfigLexer.splitCommand(inv.arguments[0], location: inv.location)
                b.config.downCommand = b.resolve(inv.arguments[0])
            },
            flag("up-delay", "Run the up script only once the peer is connected.") { $0.upDelay = true },
            flag("down-pre", "Run the down script before closing the TUN device.") { $0.downPre = true },
            flag("persist-tun", "Keep the TUN device across soft restarts.") { $0.persistTun = true },
            flag("persist-key", "Keep the loaded key across soft restarts.") { $0.persistKey = true },
            flag("persist-local-ip", "Keep the local address across soft restarts.") { $0.persistLocalIP = true },
            flag("persist-remote-ip", "Keep the remote address across soft restarts.") { $0.persistRemoteIP = true },
            Directive("mode", 1...1, "mode p2p", "Point-to-point mode (the only one swvpnd runs).") {
                _, inv throws(ConfigError) in
                guard inv.arguments[0] == "p2p" else {
                    throw inv.error(
                        "mode \(inv.arguments[0]) is not supported: multi-client mode is out of scope (only p2p)")
                }
            },
            rejected(
                "server", 2...3, "server network netmask", "Multi-client server (not supported).",
                "multi-client mode is out of scope (only p2p)"),

            // MARK: Device
            Directive(
                "dev", 1...1, "dev tunX|tapX|name",
                "Device: tun/tap (first free), tunN/tapN, or any name with dev-type."
            ) { b, inv throws(ConfigError) in
                try b.setDevice(inv)
            },
            Directive(
                "dev-type", 1...1, "dev-type tun|tap",
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

            // MARK: Transport
            Directive(
                "proto", 1...1, "proto udp|tcp-server|tcp-client",
                "Transport (default udp; 4/6 suffixes pick the family)."
            ) { b, inv throws(ConfigError) in
                (b.config.transport, b.config.addressFamily) = try parseTransport(inv.arguments[0], inv)
            },
            Directive("port", 1...1, "port n", "Local and remote port (default 1194).") { b, inv throws(ConfigError) in
                b.port = try inv.port(0)
            },
            Directive("lport", 1...1, "lport n", "Local port to bind.") { b, inv throws(ConfigError) in
                b.localPort = try inv.port(0)
            },
            Directive("rport", 1...1, "rport n", "Port of the remote peer.") { b, inv throws(ConfigError) in
                b.remotePort = try inv.port(0)
            },
            Directive("local", 1...1, "local host", "Local address to bind.") { b, inv in
                b.config.localHost = inv.arguments[0]
            },
            Directive(
                "remote", 1...3, "remote host [port] [proto]",
                "The peer (repeat for fallbacks, tried in order); without it swvpnd waits for the peer."
            ) { b, inv throws(ConfigError) in
                let port = inv[1] == nil ? nil : try inv.port(1)
                var transport: Transport?
                var family: AddressFamily?
                if inv[2] != nil {
                    let (t, f) = try parseTransport(inv.arguments[2], inv)
                    transport = t
                    family = f
                }
                b.remotes.append((inv.arguments[0], port, transport, family))
            },
            flag("float", "Accept authenticated packets from a new peer address and switch to it.") { $0.float = true },
            flag("nobind", "Do not bind a fixed local port.") { $0.bind = false },
            Directive(
                "connect-retry", 1...2, "connect-retry n [max]",
                "Seconds between reconnection attempts (default 1, backoff up to max 300)."
            ) { b, inv throws(ConfigError) in
                let seconds = try inv.integer(0, 0...86400, "retry delay")
                let maxSeconds = inv[1] == nil ? 300 : try inv.integer(1, 1...86400, "maximum retry delay")
                b.config.connectRetry = ConnectRetry(seconds: seconds, maxSeconds: maxSeconds)
            },
            Directive(
                "resolv-retry", 1...1, "resolv-retry n|infinite", "How long to retry resolving the remote host name."
            ) { b, inv throws(ConfigError) in
                b.config.resolveRetrySeconds =
                    inv.arguments[0] == "infinite" ? nil : try inv.integer(0, 0...1_000_000_000, "resolve retry")
            },
            Directive("sndbuf", 1...1, "sndbuf bytes", "Socket send buffer size.") { b, inv throws(ConfigError) in
                b.config.sendBufferSize = try inv.integer(0, 0...1_000_000_000, "buffer size")
            },
            Directive("rcvbuf", 1...1, "rcvbuf bytes", "Socket receive buffer size.") { b, inv throws(ConfigError) in
                b.config.receiveBufferSize = try inv.integer(0, 0...1_000_000_000, "buffer size")
            },

            // MARK: Addresses and routes
            Directive(
                "ifconfig", 2...2, "ifconfig local remote",
                "Device addresses: local and peer (or address and netmask with topology subnet or a tap device)."
            ) { b, inv throws(ConfigError) in
                b.config.ifconfig = IPv4Ifconfig(
                    local: try inv.ipv4(0, "local address"),
                    remoteOrNetmask: try inv.ipv4(1, "remote address"))
            },
            Directive(
                "ifconfig-ipv6", 2...2, "ifconfig-ipv6 address/bits remote",
                "IPv6 address of the TUN device and of the peer."
            ) { b, inv throws(ConfigError) in
                var (address, prefix) = try parseIPv6Prefix(inv.arguments[0], inv, "address")
                if !inv.arguments[0].contains("/") { prefix = 64 }  // openvpn's default for ifconfig-ipv6
                guard isIPv6Literal(inv.arguments[1]) else {
                    throw inv.error("bad remote address '\(inv.arguments[1])' (not an IPv6 address)")
                }
                b.config.ifconfigIPv6 = IPv6Ifconfig(address: address, prefixLength: prefix, remote: inv.arguments[1])
            },
            flag("ifconfig-nowarn", "Leave ifconfig out of the options consistency check.") {
                $0.ifconfigNoWarn = true
            },
            Directive(
                "route", 1...4, "route network [netmask] [gateway] [metric]",
                "Route network through the tunnel (gateway: address, vpn_gateway, net_gateway, remote_host, default)."
            ) { b, inv throws(ConfigError) in
                let network = try inv.ipv4(0, "network")
                var netmask = IPv4Address(0xFFFF_FFFF)
                if let text = inv[1], text != "default" {
                    guard let mask = IPv4Address(text), mask.netmaskPrefixLength != nil else {
                        throw inv.error("bad netmask '\(text)'")
                    }
                    netmask = mask
                }
                guard network.value & ~netmask.value == 0 else {
                    throw inv.error("network \(network) has bits outside netmask \(netmask)")
                }
                if let gateway = inv[2], !["vpn_gateway", "net_gateway", "remote_host", "default"].contains(gateway),
                    IPv4Address(gateway) == nil
                {
                    throw inv.error("bad gateway '\(gateway)'")
                }
                let metric =
                    inv[3] == nil || inv[3] == "default" ? nil : try inv.integer(3, 0...Int(Int32.max), "metric")
                b.pendingRoutes.append((network, netmask, inv[2], metric, inv.location))
            },
            Directive(
                "route-ipv6", 1...3, "route-ipv6 network/bits [gateway] [metric]", "IPv6 route through the tunnel."
            ) {
                b, inv throws(ConfigError) in
                let (network, prefix) = try parseIPv6Prefix(inv.arguments[0], inv, "network")
                if let gateway = inv[1], !isIPv6Literal(gateway) { throw inv.error("bad gateway '\(gateway)'") }
                let metric = inv[2] == nil ? nil : try inv.integer(2, 0...Int(Int32.max), "metric")
                b.config.routesIPv6.append(
                    RouteIPv6(
                        network: network, prefixLength: prefix, gateway: inv[1],
                        metric: metric, location: inv.location))
            },
            Directive(
                "route-gateway", 1...1, "route-gateway address",
                "Default gateway of route (instead of the ifconfig peer)."
            ) { b, inv throws(ConfigError) in
                if inv.arguments[0] == "dhcp" { throw inv.error("dhcp is not supported (tap only)") }
                b.config.routeGateway = try inv.ipv4(0, "gateway")
            },
            Directive("route-metric", 1...1, "route-metric n", "Default metric of route.") {
                b, inv throws(ConfigError) in
                b.config.routeMetric = try inv.integer(0, 0...Int(Int32.max), "metric")
            },
            Directive("route-delay", 0...2, "route-delay [n] [w]", "Install routes n seconds after the peer connects.")
            {
                b, inv throws(ConfigError) in
                let seconds = inv[0] == nil ? 0 : try inv.integer(0, 0...86400, "delay")
                let window = inv[1] == nil ? 30 : try inv.integer(1, 0...86400, "window")
                b.config.routeDelay = RouteDelay(seconds: seconds, windowSeconds: window)
            },
            flag("route-noexec", "Do not install routes (scripts get them in the environment).") {
                $0.routeNoExec = true
            },

            // MARK: Crypto
            Directive("secret", 1...2, "secret file [0|1]", "Pre-shared static key file and optional key direction.") {
                b, inv throws(ConfigError) in
                // Given twice (a `secret` line and a `<secret>` block, say), the later one wins, as in openvpn.
                var direction: KeyDirection?
                if inv[1] != nil {
                    direction = try inv.keyDirection(1)
                    b.secretDirection = (direction!, inv.location)
                }
                if let block = inv.inline {
                    b.keySource = .inline(
                        block,
                        firstLine: ConfigLocation(
                            source: inv.location.source,
                            line: inv.inlineFirstLine))
                } else {
                    b.keySource = .file(path: b.resolve(inv.arguments[0]), direction: direction, location: inv.location)
                }
                b.keySourceLocation = inv.location
            },
            Directive("key-direction", 1...1, "key-direction 0|1", "Key direction (needed for an inline <secret>).") {
                b, inv throws(ConfigError) in
                b.keyDirectionOption = (try inv.keyDirection(0), inv.location)
            },
            Directive("cipher", 1...1, "cipher name", "Data channel cipher: a CBC cipher or none (default BF-CBC).") {
                b, inv throws(ConfigError) in
                let name = inv.arguments[0]
                guard let cipher = CipherSpec.named(name) else {
                    let upper = name.uppercased()
                    if ["GCM", "POLY1305", "CFB", "OFB", "CTR", "CCM", "OCB", "XTS", "ECB"].contains(where: {
                        upper.contains($0)
                    }) {
                        throw inv.error("cipher \(upper) is not usable in static-key mode (only CBC ciphers or none)")
                    }
                    throw inv.error("unknown cipher '\(name)'")
                }
                b.config.cipher = cipher
                if cipher.isNone {
                    b.warn(inv.location, inv.name, "cipher none: traffic is not encrypted")
                } else if cipher.blockSize == 8 {
                    b.warn(
                        inv.location, inv.name,
                        "\(cipher.name) has a 64-bit block size (SWEET32); OpenVPN 2.7 drops it, use AES-256-CBC")
                }
            },
            Directive("auth", 1...1, "auth digest", "HMAC digest, or none (default SHA1).") {
                b, inv throws(ConfigError) in
                guard let digest = DigestSpec.named(inv.arguments[0]) else {
                    throw inv.error("unknown digest '\(inv.arguments[0])'")
                }
                b.config.digest = digest
                if digest.isNone { b.warn(inv.location, inv.name, "auth none: packets are not authenticated") }
            },
            Directive(
                "replay-window", 1...2, "replay-window n [t]",
                "Replay window of n packets (0..65536, default 64) and t seconds (0..600, default 15)."
            ) { b, inv throws(ConfigError) in
                let size = try inv.integer(0, 0...65536, "window size")
                let seconds = inv[1] == nil ? 15 : try inv.integer(1, 0...600, "time window")
                b.config.replay = .window(size: size, seconds: seconds)
            },
            Directive("no-replay", 0...0, "no-replay", "Deprecated: send no packet-id and check nothing.") { b, inv in
                b.config.replay = .disabled
                b.warn(inv.location, inv.name, "deprecated: disables replay protection (removed in OpenVPN 2.7)")
            },
            Directive("replay-persist", 1...1, "replay-persist file", "Keep the replay state in file across restarts.")
            {
                b, inv in
                b.config.replayPersistPath = b.resolve(inv.arguments[0])
            },
            flag("mute-replay-warnings", "Do not log replayed packets.") { $0.muteReplayWarnings = true },
            Directive("providers", 1...15, "providers name...", "OpenSSL providers to load (e.g. legacy default).") {
                b, inv in
                b.config.providers = inv.arguments
            },
            flag("allow-deprecated-insecure-static-crypto", "Acknowledge static-key mode (required by OpenVPN 2.7).") {
                $0.allowDeprecatedInsecureStaticCrypto = true
            },
            Directive(
                "comp-lzo", 0...1, "comp-lzo [yes|no|adaptive]",
                "Deprecated: LZO framing (0xFA prefix); compresses only with allow-compression yes."
            ) { b, inv throws(ConfigError) in
                if let mode = inv[0], !["yes", "no", "adaptive"].contains(mode) {
                    throw inv.error("bad mode '\(mode)' (yes, no or adaptive)")
                }
                b.config.compression = .lzoPrefix
                b.config.compressionAlgorithm = inv[0] == "no" ? nil : .lzo  // bare comp-lzo is adaptive: compresses
                b.config.compressionInOCC = true
                b.warn(inv.location, inv.name, "deprecated: compression framing is kept for compatibility only")
            },
            Directive(
                "compress", 0...1, "compress [stub|stub-v2|lzo|lz4|lz4-v2|migrate]",
                "Deprecated: compression framing; lzo/lz4 compress only with allow-compression yes."
            ) { b, inv throws(ConfigError) in
                b.config.compressionAlgorithm = inv[0] == "lzo" ? .lzo : inv[0]?.hasPrefix("lz4") == true ? .lz4 : nil
                switch inv[0] {
                case nil, "stub", "lz4": b.config.compression = .stubSwap
                case "lzo": b.config.compression = .lzoPrefix
                case "stub-v2", "lz4-v2": b.config.compression = .stubV2
                case "migrate":
                    b.config.compression = .none
                    b.config.compressionInOCC = false
                    return
                case let other?: throw inv.error("bad algorithm '\(other)' (stub, stub-v2, lzo, lz4, lz4-v2, migrate)")
                }
                b.config.compressionInOCC = true
                b.warn(inv.location, inv.name, "deprecated: compression framing is kept for compatibility only")
            },
            Directive(
                "allow-compression", 1...1, "allow-compression yes|no|asym",
                "asym (default) and yes: decompress LZO/LZ4 packets a peer sends; yes: compress our own too."
            ) { b, inv throws(ConfigError) in
                guard ["yes", "no", "asym"].contains(inv.arguments[0]) else {
                    throw inv.error("bad value '\(inv.arguments[0])' (yes, no or asym)")
                }
                b.config.allowCompression = inv.arguments[0]
            },
            noEffect(
                "data-ciphers", 1...1, "data-ciphers list", "TLS-mode cipher negotiation (no effect here).",
                "TLS-mode option, no effect in static-key mode"),
            noEffect(
                "data-ciphers-fallback", 1...1, "data-ciphers-fallback cipher",
                "TLS-mode fallback cipher (no effect here).",
                "TLS-mode option, no effect in static-key mode"),
        ] + livenessMonitoringAndTLS
}
