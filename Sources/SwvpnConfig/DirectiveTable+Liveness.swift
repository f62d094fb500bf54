import SwvpnProtocol

// The table's last sections (liveness, monitoring, TLS mode), in a file of their own to keep files short.
// `all` lists them after the core sections in this order, which `--help`, the man page and
// reference.conf follow.
extension DirectiveTable {
    static let livenessMonitoringAndTLS: [Directive] = [
        // MARK: Liveness
        Directive("ping", 1...1, "ping n", "Send a ping after n seconds without sending anything.") {
            b, inv throws(ConfigError) in
            b.pingInterval = try inv.integer(0, 0...86400, "seconds")
        },
        Directive("ping-restart", 1...1, "ping-restart n", "Restart after n seconds without receiving anything.") {
            b, inv throws(ConfigError) in
            if let other = b.seen["ping-exit"] {
                throw inv.error("conflicts with --ping-exit at \(other) (only one may be given)")
            }
            b.pingTimeout = (try inv.integer(0, 0...86400, "seconds"), .restart)
        },
        Directive("ping-exit", 1...1, "ping-exit n", "Exit after n seconds without receiving anything.") {
            b, inv throws(ConfigError) in
            if let other = b.seen["ping-restart"] {
                throw inv.error("conflicts with --ping-restart at \(other) (only one may be given)")
            }
            b.pingTimeout = (try inv.integer(0, 0...86400, "seconds"), .exit)
        },
        flag("ping-timer-rem", "Run the ping-restart/ping-exit timer only once the peer is known.") {
            $0.ping.timerNeedsRemote = true
        },
        Directive(
            "keepalive", 2...2, "keepalive interval timeout", "Shorthand for ping interval + ping-restart timeout."
        ) { b, inv throws(ConfigError) in
            b.keepalive = (
                try inv.integer(0, 1...86400, "ping interval"), try inv.integer(1, 1...86400, "restart timeout")
            )
        },
        Directive(
            "explicit-exit-notify", 0...1, "explicit-exit-notify [n]",
            "On exit, tell the peer for n seconds (default 1; UDP only)."
        ) { b, inv throws(ConfigError) in
            b.config.explicitExitNotify = inv[0] == nil ? 1 : try inv.integer(0, 0...86400, "seconds")
        },
        flag("disable-occ", "Do not send options consistency check requests.") { $0.disableOCC = true },

        // MARK: Monitoring
        Directive(
            "health-listen", 2...2, "health-listen addr port",
            "Serve GET /health (200 up, 503 not) and GET /metrics (Prometheus) over HTTP on addr:port."
        ) { b, inv throws(ConfigError) in
            let address = HealthSettings.ListenAddress(host: inv.arguments[0], port: try inv.port(1))
            b.config.health.listen = address
            if !address.isLoopback {
                b.warn(
                    inv.location, inv.name,
                    "\(address.host) is reachable from the network: restrict port \(address.port) "
                        + "to the monitor's addresses with a security group or firewall (the listener is read-only, without authentication)"
                )
            }
        },
        Directive(
            "health-probe", 0...1, "health-probe [n]",
            "Ping the peer's ifconfig address through the tunnel every n seconds (default 1); /health needs its replies."
        ) { b, inv throws(ConfigError) in
            b.config.health.probeIntervalSeconds = inv[0] == nil ? 1 : try inv.integer(0, 1...3600, "probe interval")
        },
        Directive(
            "management", 2...3, "management addr port|path unix [pw-file]",
            "OpenVPN management interface (subset: state, status, bytecount, log, signal, pid, version) on TCP addr:port or a unix socket."
        ) { b, inv throws(ConfigError) in
            let endpoint: HealthSettings.Management.Endpoint =
                inv.arguments[1] == "unix"
                ? .unix(path: b.resolve(inv.arguments[0]))
                : .tcp(HealthSettings.ListenAddress(host: inv.arguments[0], port: try inv.port(1)))
            b.config.health.management = HealthSettings.Management(
                endpoint: endpoint, passwordFile: inv[2].map(b.resolve))
            if case .tcp(let a) = endpoint, !a.isLoopback {
                b.warn(
                    inv.location, inv.name,
                    "management on \(a.host) is reachable from the network; openvpn recommends 127.0.0.1 or a unix socket"
                )
            }
        },
        Directive(
            "management-client-user", 1...1, "management-client-user name",
            "Only this user may connect to a unix management socket."
        ) { b, inv in
            b.config.health.managementClientUser = inv.arguments[0]
        },
        Directive(
            "management-client-group", 1...1, "management-client-group name",
            "Only this group may connect to a unix management socket."
        ) { b, inv in
            b.config.health.managementClientGroup = inv.arguments[0]
        },

        // MARK: TLS mode (never supported)
        rejected("tls-client", 0...0, "tls-client", "TLS client mode (not supported).", tlsMode),
        rejected("tls-server", 0...0, "tls-server", "TLS server mode (not supported).", tlsMode),
        rejected("client", 0...0, "client", "TLS client helper (not supported).", tlsMode),
        rejected("pull", 0...0, "pull", "Accept pushed options (TLS mode, not supported).", tlsMode),
        rejected("ca", 1...1, "ca file", "TLS CA certificate (not supported).", tlsMode),
        rejected("cert", 1...1, "cert file", "TLS certificate (not supported).", tlsMode),
        rejected("key", 1...1, "key file", "TLS private key (not supported).", tlsMode),
        rejected("dh", 1...1, "dh file", "TLS Diffie-Hellman parameters (not supported).", tlsMode),
        rejected("pkcs12", 1...1, "pkcs12 file", "TLS PKCS#12 bundle (not supported).", tlsMode),
        rejected("tls-auth", 1...2, "tls-auth file [dir]", "TLS control channel HMAC (not supported).", tlsMode),
        rejected("tls-crypt", 1...1, "tls-crypt file", "TLS control channel encryption (not supported).", tlsMode),
        rejected(
            "tls-crypt-v2", 1...2, "tls-crypt-v2 file", "TLS control channel client keys (not supported).", tlsMode),
        rejected(
            "auth-user-pass", 0...1, "auth-user-pass [file]", "TLS user/password authentication (not supported).",
            tlsMode),
    ]
}
