/// The lifecycle and script options of openvpn 2.6, implemented with its semantics (LifecycleSettings).
extension OpenVPNOptionCatalog {
    static let lifecycle: [Directive] = [
        script(
            "route-up",
            "Run cmd after the routes are added (no arguments; openvpn's environment, script_type=route-up)."
        ) { $0.routeUpCommand = $1 },
        script(
            "route-pre-down",
            "Run cmd before the routes are removed, with the down script's arguments (script_type=route-pre-down)."
        ) { $0.routePreDownCommand = $1 },
        script(
            "ipchange",
            "Run cmd when the peer's address is first learned or changes (float), with \"[AF_INET]ip port\" appended as one argument."
        ) { $0.ipchangeCommand = $1 },
        Directive(
            "up-restart", 0...0, "up-restart",
            "Run down and up on soft restarts too (ping-restart, SIGUSR1), with script_context=restart."
        ) { b, _ in b.config.lifecycle.upRestart = true },
        Directive(
            "inactive", 1...2, "inactive n [bytes]",
            "Exit after n seconds in which fewer than bytes (default: any) tunnel bytes were sent or received."
        ) { b, inv throws(ConfigError) in
            let seconds = try inv.integer(0, 0...Int(Int32.max), "inactivity timeout")
            var bytes: UInt64 = 0
            if let text = inv[1] {
                guard let value = Int64(text) else { throw inv.error("bad byte count '\(text)' (a decimal number)") }
                bytes = UInt64(max(value, 0))  // openvpn reads a negative count as 0
            }
            b.config.lifecycle.inactive =
                seconds > 0 ? LifecycleSettings.Inactivity(seconds: seconds, minimumBytes: bytes) : nil
        },
        Directive(
            "connect-retry-max", 1...1, "connect-retry-max n",
            "Exit (status 1) after n failed connection attempts to every remote (tcp-client); 0: retry forever."
        ) { b, inv throws(ConfigError) in
            let n = try inv.integer(0, 0...Int(Int32.max), "attempt count")
            b.config.lifecycle.connectRetryMax = n > 0 ? n : nil
        },
        Directive(
            "connect-timeout", 1...1, "connect-timeout n",
            "Give a TCP connect n seconds (default 120) before it counts as failed."
        ) { b, inv throws(ConfigError) in
            b.config.lifecycle.connectTimeoutSeconds = try inv.integer(0, 0...86400, "connect timeout")
        },
        Directive(
            "remap-usr1", 1...1, "remap-usr1 SIGHUP|SIGTERM",
            "Turn every SIGUSR1, the internal ones (ping-restart...) too, into SIGHUP (reload) or SIGTERM (exit)."
        ) { b, inv throws(ConfigError) in
            guard let signal = LifecycleSettings.RemappedSignal(rawValue: inv.arguments[0]) else {
                throw inv.error("bad signal '\(inv.arguments[0])' (SIGHUP or SIGTERM)")
            }
            b.config.lifecycle.remapUser1 = signal
        },
        Directive(
            "dns", 2...255, "dns search-domains|server n ... args...",
            "DNS settings, passed to scripts as openvpn's dns_* variables (its server addresses and search "
                + "domains also replace the DNS entries of foreign_option_N)."
        ) { b, inv throws(ConfigError) in
            try b.addDNS(inv)
        },
    ]

    private static func script(
        _ name: String, _ summary: String,
        _ set: @escaping @Sendable (inout LifecycleSettings, String) -> Void
    ) -> Directive {
        Directive(name, 1...1, "\(name) cmd", summary) { b, inv throws(ConfigError) in
            _ = try ConfigLexer.splitCommand(inv.arguments[0], location: inv.location)  // argv, no shell
            set(&b.config.lifecycle, b.resolve(inv.arguments[0]))
        }
    }
}

extension ConfigBuilder {
    /// `dns search-domains d...` and `dns server n address|resolve-domains|dnssec|transport|sni ...`,
    /// checked as openvpn 2.6 checks them.
    mutating func addDNS(_ inv: Invocation) throws(ConfigError) {
        let args = inv.arguments
        if args[0] == "search-domains" {
            config.lifecycle.dns.searchDomains += args.dropFirst()
            return
        }
        guard args[0] == "server", args.count >= 4 else {
            throw inv.error("unknown option type '\(args[0])' or missing or unknown parameter")
        }
        guard let priority = Int(args[1]), (-128...127).contains(priority) else {
            throw inv.error("bad server priority '\(args[1])' (-128..127)")
        }
        var servers = config.lifecycle.dns
        let index = servers.server(priority: priority)
        var server = servers.servers[index]
        let values = Array(args.dropFirst(3))
        func single(_ allowed: [String]?) throws(ConfigError) -> String {
            guard values.count == 1, allowed?.contains(values[0]) ?? true else {
                throw inv.error("server \(priority): bad \(args[2]) value '\(values.joined(separator: " "))'")
            }
            return values[0]
        }
        switch args[2] {
        case "address":
            for text in values {
                guard let address = DNSOptions.parseAddress(text), server.addresses.count < 8 else {
                    throw inv.error("server \(priority): malformed address or maximum (8) exceeded '\(text)'")
                }
                server.addresses.append(address)
            }
        case "resolve-domains": server.resolveDomains += values
        case "dnssec": server.dnssec = try single(["yes", "no", "optional"])
        case "transport": server.transport = try single(["plain", "DoH", "DoT"])
        case "sni": server.sni = try single(nil)
        default:
            throw inv.error("server \(priority): unknown option type '\(args[2])' or missing or unknown parameter")
        }
        servers.servers[index] = server
        config.lifecycle.dns = servers
    }

    /// Script hooks without script-security 2 are warned about. openvpn 2.6 on Linux: with `dns` servers or search domains, the `dhcp-option DNS`/`DNS6` and
    /// `DOMAIN-SEARCH` entries of foreign_option_N give way to them (renumbered, the rest kept in
    /// order), and every `dns` server must have an address.
    func finishLifecycle(_ c: inout TunnelConfig) throws(ConfigError) {
        // openvpn warns when it cannot call a script; so does the up script at run time here.
        for name in ["route-up", "route-pre-down", "ipchange"] where c.scriptSecurity < 2 {
            if let location = seen[name] {
                c.warnings.append(
                    ConfigDiagnostic(
                        location, directive: name, "not run: external programs need 'script-security 2' or higher"))
            }
        }
        let dns = c.lifecycle.dns
        if let server = dns.servers.first(where: { $0.addresses.isEmpty }) {
            throw ConfigError(
                seen["dns"] ?? ConfigLocation(source: c.sourceName, line: nil), directive: "dns",
                "server \(server.priority) does not have an address assigned")
        }
        guard !dns.isEmpty else { return }
        let hasServers = !dns.servers.isEmpty
        let hasDomains = !dns.searchDomains.isEmpty
        var kept: [String] = []
        var others: [EnvironmentSetting] = []
        for setting in c.environment {
            guard setting.name.hasPrefix("foreign_option_") else {
                others.append(setting)
                continue
            }
            let dropped =
                (hasDomains && setting.value.hasPrefix("dhcp-option DOMAIN-SEARCH"))
                || (hasServers && setting.value.hasPrefix("dhcp-option DNS"))
            if !dropped { kept.append(setting.value) }
        }
        for server in dns.servers {
            for address in server.addresses {
                kept.append("dhcp-option \(address.isIPv6 ? "DNS6" : "DNS") \(address.host)")
            }
        }
        kept += dns.searchDomains.map { "dhcp-option DOMAIN-SEARCH \($0)" }
        c.environment =
            others
            + kept.enumerated().map {
                EnvironmentSetting(name: "foreign_option_\($0.offset + 1)", value: $0.element, optional: false)
            }
        c.environment += dns.environment.map { EnvironmentSetting(name: $0.name, value: $0.value, optional: false) }
    }
}
