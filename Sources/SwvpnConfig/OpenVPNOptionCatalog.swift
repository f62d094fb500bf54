/// Every openvpn 2.6 option that `DirectiveTable.all` does not already carry, so that no option of a
/// real openvpn config is "unknown": each one is implemented, accepted with no effect (the warning says
/// why; `--check-config` prints it), or rejected with the specific reason.
///
/// The rule for TLS- and server-mode options follows what openvpn 2.6 itself does in a static-key
/// point-to-point config: those it ignores there are accepted with no effect, those it refuses are
/// rejected. Options a static-key tunnel can use but swvpnd does not implement yet are rejected with
/// "not supported yet", never silently ignored.
public enum OpenVPNOptionCatalog {
    /// Options that only make sense as a command-line action; swvpnd runs these before any config.
    public static let commandLineActions: [String] = [
        "genkey", "help", "show-ciphers", "show-digests", "test-crypto", "version",
    ]

    static let directives: [Directive] = implemented + lifecycle + hostOptions + accepted + refused

    // MARK: Reasons

    private static let tlsRefused =
        "TLS-mode option: swvpnd runs static-key tunnels only (openvpn 2.6 refuses it without tls-client or tls-server too)"
    private static let tlsIgnored = "TLS-mode option, no effect in static-key mode (openvpn 2.6 ignores it here too)"
    private static let tlsDefaultIgnored =
        "TLS-mode option, no effect in static-key mode (openvpn 2.6 accepts it here at its default value)"
    private static let serverRefused = "server-mode option: swvpnd runs point-to-point tunnels only (mode p2p)"
    private static let serverIgnored =
        "server-mode option, no effect in a point-to-point tunnel (openvpn 2.6 ignores it here too)"
    private static let plugins = "plugins are not supported: swvpnd loads no shared objects (use up/down scripts)"
    private static let pkcs11 =
        "PKCS#11 is not supported: tokens hold TLS-mode keys and certificates, static-key mode has none"
    private static let proxies = "proxies are not supported: swvpnd connects to the peer directly"
    private static let management =
        "not supported: swvpnd's management interface is the monitoring subset (management, management-client-user/-group; see swvpnd(8))"
    private static func notYet(_ what: String) -> String { "not supported yet: \(what)" }
    private static func action(_ name: String) -> String {
        "a command-line action, not a config directive: run 'swvpnd --\(name)'"
    }

    // MARK: Implemented here (the rest of the implemented options are in DirectiveTable)

    private static let implemented: [Directive] = [
        Directive("bind", 0...1, "bind [ipv6only]", "Bind the local address and port (the default unless nobind).") {
            b, inv throws(ConfigError) in
            if let flag = inv[0], flag != "ipv6only" { throw inv.error("bad flag '\(flag)' (only ipv6only)") }
            b.config.bind = true
        },
        Directive(
            "ignore-unknown-option", 1...64, "ignore-unknown-option name...",
            "Options named here that swvpnd does not know become warnings instead of errors."
        ) { b, inv in
            b.compat.ignoredUnknownOptions.formUnion(inv.arguments)
        },
        Directive(
            "status-version", 0...1, "status-version [1|2|3]",
            "Status file format; in point-to-point mode openvpn writes the same format for all three."
        ) { b, inv throws(ConfigError) in
            if inv[0] != nil { _ = try inv.integer(0, 1...3, "status version") }
        },
        Directive(
            "mark", 1...1, "mark value",
            "SO_MARK on the tunnel socket, UDP or TCP (policy routing; needs CAP_NET_ADMIN)."
        ) { b, inv throws(ConfigError) in
            // openvpn reads it with atoi: "0x2a" would silently be mark 0 there, so only decimal is accepted.
            guard let mark = UInt32(inv.arguments[0])
            else { throw inv.error("bad mark '\(inv.arguments[0])' (a decimal 32-bit number, as openvpn reads it)") }
            b.config.compat.socketMark = mark
        },
        Directive(
            "bind-dev", 1...1, "bind-dev device",
            "SO_BINDTODEVICE on the tunnel socket, UDP or TCP (a VRF or an interface)."
        ) { b, inv throws(ConfigError) in
            let name = inv.arguments[0]
            guard !name.isEmpty, name.utf8.count < 16, !name.contains("/"), !name.contains(" ") else {
                throw inv.error("bad device name '\(name)' (1 to 15 characters, no '/' or blank)")
            }
            b.config.compat.bindDevice = name
        },
        Directive(
            "mtu-disc", 1...1, "mtu-disc no|maybe|yes",
            "Path MTU discovery on the tunnel socket, UDP or TCP (IP_MTU_DISCOVER)."
        ) { b, inv throws(ConfigError) in
            guard let mode = MTUDiscovery(rawValue: inv.arguments[0]) else {
                throw inv.error("bad mode '\(inv.arguments[0])' (no, maybe or yes)")
            }
            b.config.compat.mtuDiscovery = mode
        },
        Directive(
            "multihome", 0...1, "multihome [same-interface]",
            "UDP: reply from the local address, and by the interface, the peer's packets arrive on (IP_PKTINFO)."
        ) { b, inv throws(ConfigError) in
            // openvpn 2.6 sends out of the arrival interface; 2.7 made that `same-interface` and the
            // kernel's choice the default. Both spellings get 2.6's behaviour here.
            if let flag = inv[0], flag != "same-interface" {
                throw inv.error("bad flag '\(flag)' (only same-interface)")
            }
            b.config.compat.multihome = true
        },
        Directive(
            "tun-mtu-extra", 1...1, "tun-mtu-extra n",
            "Room for the Ethernet header on a tap device (default 32 there): counts in link-mtu, lowers the MSS clamp."
        ) { b, inv throws(ConfigError) in
            b.config.compat.tunMTUExtra = try inv.integer(0, 0...65535, "extra size")
        },
        Directive("lladdr", 1...1, "lladdr aa:bb:cc:dd:ee:ff", "MAC address of the tap device.") {
            b, inv throws(ConfigError) in
            try b.setLinkLayerAddress(inv)
        },
        Directive("tcp-nodelay", 0...0, "tcp-nodelay", "Set TCP_NODELAY on the TCP link (swvpnd always does).") {
            _, _ in
        },
        Directive(
            "dhcp-option", 1...2, "dhcp-option type [value]",
            "Passed to scripts as foreign_option_N (dhcp-option type value), in order, as openvpn does on Linux."
        ) { b, inv in
            b.compat.foreignOptions += 1
            b.config.environment.append(
                EnvironmentSetting(
                    name: "foreign_option_\(b.compat.foreignOptions)",
                    value: (["dhcp-option"] + inv.arguments).joined(separator: " "),
                    optional: false))
        },
        Directive(
            "route-ipv6-gateway", 1...1, "route-ipv6-gateway address",
            "Default gateway of route-ipv6 lines without one (instead of the ifconfig-ipv6 peer); the kernel gets it on "
                + "tap devices only, as openvpn."
        ) { b, inv throws(ConfigError) in
            guard isIPv6Literal(inv.arguments[0]) else {
                throw inv.error("bad gateway '\(inv.arguments[0])' (not an IPv6 address)")
            }
            b.compat.routeIPv6Gateway = inv.arguments[0]
        },
        Directive(
            "ifconfig-noexec", 0...0, "ifconfig-noexec",
            "Leave the device unconfigured (no address, MTU or link up) for an up script to set up from the ifconfig_* "
                + "variables; routes are still added, after the up script."
        ) { b, _ in
            b.config.ifconfigNoExec = true
        },
        Directive(
            "remote-random", 0...0, "remote-random", "Try the remote lines in a random order (shuffled at each start)."
        ) { _, _ in },
        Directive("nice", 1...1, "nice n", "Process priority at start (-20..19; >0 lower, <0 higher).") {
            b, inv throws(ConfigError) in
            guard let value = Int(inv.arguments[0]), (-20...19).contains(value) else {
                throw inv.error("bad nice value '\(inv.arguments[0])' (-20..19)")
            }
            b.config.compat.nice = value
        },
        Directive("mlock", 0...0, "mlock", "Lock all memory (mlockall) so the key is never swapped out.") { b, _ in
            b.config.compat.mlock = true
        },
        Directive(
            "link-mtu", 1...1, "link-mtu n",
            "Deprecated: size of the encapsulated packets; the TUN MTU is derived from it unless tun-mtu is given."
        ) { b, inv throws(ConfigError) in
            b.compat.linkMTU = (try inv.integer(0, 100...65535, "link MTU"), inv.location)
            b.warn(
                inv.location, inv.name,
                "deprecated in openvpn 2.6 (set tun-mtu instead; the peer must agree on the resulting MTU)")
        },
    ]

    // MARK: Accepted with no effect

    private static let accepted: [Directive] = [
        noEffect("allow-pull-fqdn", "allow-pull-fqdn", "Allow pulled host names", tlsIgnored),
        noEffect(
            "allow-recursive-routing", "allow-recursive-routing", "Allow tunnel traffic routed into the tunnel",
            "swvpnd does not check for recursive routing, so there is nothing to allow"),
        noEffect("askpass", "askpass [file]", "Passphrase of a TLS private key", tlsIgnored),
        noEffect(
            "auth-nocache", "auth-nocache", "Do not cache passwords",
            "static-key mode reads no passwords, so none are cached"),
        noEffect("auth-retry", "auth-retry none|nointeract|interact", "Retry TLS authentication", tlsIgnored),
        noEffect("bcast-buffers", "bcast-buffers n", "Server broadcast buffers", serverIgnored),
        noEffect(
            "comp-noadapt", "comp-noadapt", "No adaptive compression",
            "swvpnd's compression is never adaptive (with allow-compression yes it tries every packet of 100 bytes or more)"
        ),
        noEffect("connect-freq-initial", "connect-freq-initial n sec", "Server connection rate limit", serverIgnored),
        noEffect(
            "disable-dco", "disable-dco", "Do not use data channel offload",
            "swvpnd has no data channel offload (it runs the data channel itself)"),
        noEffect(
            "echo", "echo [text...]", "Echo text to the management interface",
            "swvpnd's management interface has no echo buffer"),
        noEffect(
            "engine", "engine [name]", "OpenSSL engine",
            "OpenSSL 3 engines are not used: swvpnd uses OpenSSL providers (see providers)"),
        noEffect(
            "errors-to-stderr", "errors-to-stderr", "Also write errors to stderr",
            "swvpnd logs to stderr unless log/log-append names a file"),
        noEffect("extra-certs", "extra-certs file", "Extra TLS certificates", tlsIgnored),
        noEffect(
            "fast-io", "fast-io", "Optimise UDP writes",
            "swvpnd's sockets are always non-blocking, which is what fast-io asks for"),
        noEffect("max-clients", "max-clients n", "Server client limit", serverIgnored),
        noEffect("max-routes-per-client", "max-routes-per-client n", "Server route limit", serverIgnored),
        noEffect(
            "memstats", "memstats file", "Write memory statistics (openvpn debugging aid)",
            "openvpn debugging aid, not written by swvpnd"),
        noEffect("pkcs11-cert-private", "pkcs11-cert-private 0|1...", "PKCS#11 certificate privacy", tlsIgnored),
        noEffect("pkcs11-pin-cache", "pkcs11-pin-cache seconds", "PKCS#11 PIN cache", tlsIgnored),
        noEffect(
            "pkcs11-protected-authentication", "pkcs11-protected-authentication 0|1...",
            "PKCS#11 protected authentication", tlsIgnored),
        noEffect(
            "push", "push option", "Push an option to a TLS client",
            "options are pushed to TLS clients only; nothing is pushed in static-key mode"),
        noEffect(
            "remote-random-hostname", "remote-random-hostname", "Prefix remote names with a random label",
            "not applied yet: remote names are resolved as written"),
        noEffect(
            "route-nopull", "route-nopull", "Ignore pushed routes",
            "nothing is pulled in static-key mode"),
        noEffect("session-timeout", "session-timeout n", "TLS session lifetime", tlsIgnored),
        noEffect("static-challenge", "static-challenge text echo [format]", "Challenge for auth-user-pass", tlsIgnored),
        noEffect("tcp-queue-limit", "tcp-queue-limit n", "Server TCP output queue", serverIgnored),
        noEffect("tls-crypt-v2-verify", "tls-crypt-v2-verify cmd", "Verify tls-crypt-v2 client keys", tlsIgnored),
        noEffect("tls-timeout", "tls-timeout n", "TLS packet retransmit timeout", tlsIgnored),
        noEffect(
            "tmp-dir", "tmp-dir dir", "Directory for temporary files",
            "swvpnd writes no temporary files (they carry TLS-mode script data)"),
        noEffect(
            "verify-client-cert", "verify-client-cert none|optional|require", "Client certificate check", tlsIgnored),
        noEffect("vlan-pvid", "vlan-pvid n", "VLAN of untagged server traffic", serverIgnored),
        noEffect("vlan-accept", "vlan-accept tagged|untagged|all", "VLAN tagging of tap frames", serverIgnored),
        noEffect("tls-version-min", "tls-version-min version [or-highest]", "Lowest TLS version", tlsDefaultIgnored),
        noEffect("tls-version-max", "tls-version-max version", "Highest TLS version", tlsDefaultIgnored),
        noEffect("hand-window", "hand-window n", "TLS handshake window", tlsDefaultIgnored),
        noEffect("tran-window", "tran-window n", "TLS key transition window", tlsDefaultIgnored),
        noEffect("keying-material-exporter", "keying-material-exporter label len", "TLS keying material", tlsIgnored),
        noEffect("pull-filter", "pull-filter accept|ignore|reject text", "Filter pulled options", tlsIgnored),
        noEffect("x509-track", "x509-track attribute", "Export certificate fields to scripts", tlsIgnored),
        noEffect("tls-groups", "tls-groups list", "TLS key exchange groups", tlsIgnored),
        noEffect("auth-token", "auth-token token", "Session token pushed by a TLS server", tlsIgnored),
        noEffect("auth-token-user", "auth-token-user name", "User name of a pushed session token", tlsIgnored),
        noEffect("ncp-ciphers", "ncp-ciphers list", "Old name of data-ciphers", tlsIgnored),
        noEffect(
            "compat-mode", "compat-mode version", "Defaults of an older openvpn",
            "it changes TLS-mode negotiation defaults only; the static-key wire format never changed"),
        noEffect(
            "tun-ipv6", "tun-ipv6", "IPv6 through the tun device",
            "IPv6 needs no special handling of the tun device (openvpn 2.6 ignores it too)"),
        noEffect(
            "max-routes", "max-routes n", "Route limit",
            "the number of routes is unlimited (openvpn ignores it since 2.4)"),
        noEffect(
            "tun-mtu-max", "tun-mtu-max n", "Largest pushed tun-mtu",
            "it limits a pushed tun-mtu; nothing is pushed in static-key mode"),
        noEffect("route-method", "route-method adaptive|api|exe", "How Windows adds routes", "Windows-only"),
        noEffect(
            "http-proxy-override", "http-proxy-override host port [flags]", "HTTP proxy for TCP remotes",
            "proxies are not supported, and openvpn applies this one to TCP remotes only"),
        noEffect(
            "x509-username-field", "x509-username-field field...", "Certificate field used as user name", tlsIgnored),
    ]

    // MARK: Rejected with the reason

    private static let refused: [Directive] = [
        // Command-line actions: swvpnd runs the ones it has before reading a config.
        reject("genkey", "genkey [secret] [file]", "Generate a static key", action("genkey")),
        reject("help", "help", "Show the options", action("help")),
        reject("show-ciphers", "show-ciphers", "List the ciphers static-key mode can use", action("show-ciphers")),
        reject("show-digests", "show-digests", "List the HMAC digests static-key mode can use", action("show-digests")),
        reject("test-crypto", "test-crypto", "Loopback self-test of cipher and auth", action("test-crypto")),
        reject("version", "version", "Show the version", action("version")),
        reject(
            "show-engines", "show-engines", "List OpenSSL engines",
            "OpenSSL 3 engines are not used: swvpnd uses OpenSSL providers (see providers)"),
        reject(
            "show-gateway", "show-gateway [v6target]", "Show the default gateway",
            "not supported: use 'ip route get ADDRESS'"),
        reject("show-tls", "show-tls", "List TLS ciphers", tlsRefused),
        reject("show-pkcs11-ids", "show-pkcs11-ids [provider]", "List PKCS#11 objects", pkcs11),
        reject(
            "gremlin", "gremlin mask", "Fault injection (openvpn test builds)",
            "openvpn's fault injection for its own tests; not supported"),
        reject(
            "no-name-remapping", "no-name-remapping", "Removed option",
            "removed in OpenVPN 2.5 (openvpn 2.6 refuses it too)"),

        // Not implemented yet, though a static-key tunnel can use them.
        reject("mtu-test", "mtu-test", "Measure the path MTU at start", notYet("the empirical MTU test")),
        reject("block-ipv6", "block-ipv6", "Answer IPv6 with unreachable", notYet("block-ipv6")),
        reject(
            "client-nat", "client-nat snat|dnat network netmask alias", "NAT of tunnel packets", notYet("client-nat")),
        reject("proto-force", "proto-force udp|tcp", "Only use remotes of one protocol", notYet("proto-force")),

        // Plugins, proxies, PKCS#11, management.
        reject("plugin", "plugin module [args...]", "Load a plugin", plugins),
        reject("http-proxy", "http-proxy host port [authfile] [method]", "Connect through an HTTP proxy", proxies),
        reject("http-proxy-option", "http-proxy-option type [value]", "HTTP proxy options", proxies),
        reject("socks-proxy", "socks-proxy host [port] [authfile]", "Connect through a SOCKS proxy", proxies),
        reject("socks-proxy-retry", "socks-proxy-retry", "Retry SOCKS errors", proxies),
        reject(
            "port-share", "port-share host port [dir]", "Share the TCP port with an HTTPS server",
            "port sharing is for TLS servers on TCP (openvpn 2.6 refuses it here too)"),
        reject("pkcs11-providers", "pkcs11-providers provider...", "PKCS#11 providers", pkcs11),
        reject("pkcs11-id", "pkcs11-id name", "PKCS#11 object", pkcs11),
        reject("pkcs11-id-management", "pkcs11-id-management", "PKCS#11 object from management", pkcs11),
        reject("pkcs11-private-mode", "pkcs11-private-mode mode...", "PKCS#11 private key mode", pkcs11),
        reject("management-client", "management-client", "Connect to the management client", management),
        reject("management-client-auth", "management-client-auth", "Client auth through management", management),
        reject(
            "management-forget-disconnect", "management-forget-disconnect", "Forget passwords on disconnect", management
        ),
        reject("management-hold", "management-hold", "Wait for management before starting", management),
        reject("management-log-cache", "management-log-cache n", "Management log cache", management),
        reject("management-query-passwords", "management-query-passwords", "Passwords from management", management),
        reject("management-query-proxy", "management-query-proxy", "Proxy from management", management),
        reject("management-query-remote", "management-query-remote", "Remote from management", management),
        reject("management-signal", "management-signal", "SIGUSR1 on management disconnect", management),
        reject("management-up-down", "management-up-down", "Up/down events to management", management),

        // TLS mode: openvpn 2.6 refuses these in a static-key config.
        reject("auth-gen-token", "auth-gen-token [lifetime]", "Session tokens", tlsRefused),
        reject("auth-user-pass-optional", "auth-user-pass-optional", "Optional client passwords", serverRefused),
        reject("auth-user-pass-verify", "auth-user-pass-verify cmd method", "Verify client passwords", serverRefused),
        reject("capath", "capath dir", "CA directory", tlsRefused),
        reject("crl-verify", "crl-verify file", "Certificate revocation list", tlsRefused),
        reject("ns-cert-type", "ns-cert-type client|server", "Netscape certificate type", tlsRefused),
        reject("push-peer-info", "push-peer-info", "Send client information", tlsRefused),
        reject("remote-cert-eku", "remote-cert-eku oid", "Peer certificate extended key usage", tlsRefused),
        reject("remote-cert-ku", "remote-cert-ku [v...]", "Peer certificate key usage", tlsRefused),
        reject("remote-cert-tls", "remote-cert-tls client|server", "Peer certificate role", tlsRefused),
        reject("reneg-bytes", "reneg-bytes n", "Renegotiate after n bytes", tlsRefused),
        reject("reneg-pkts", "reneg-pkts n", "Renegotiate after n packets", tlsRefused),
        reject("reneg-sec", "reneg-sec max [min]", "Renegotiate after n seconds", tlsRefused),
        reject("single-session", "single-session", "One TLS session only", tlsRefused),
        reject("tls-cert-profile", "tls-cert-profile profile", "TLS certificate profile", tlsRefused),
        reject("tls-cipher", "tls-cipher list", "TLS 1.2 ciphers", tlsRefused),
        reject("tls-ciphersuites", "tls-ciphersuites list", "TLS 1.3 cipher suites", tlsRefused),
        reject("tls-exit", "tls-exit", "Exit on TLS errors", tlsRefused),
        reject("tls-verify", "tls-verify cmd", "Certificate verification script", tlsRefused),
        reject("verify-hash", "verify-hash hash [algo]", "Pin the CA certificate", tlsRefused),
        reject("verify-x509-name", "verify-x509-name name [type]", "Peer certificate name", tlsRefused),

        // Server mode: openvpn 2.6 refuses these without mode server (or outside a client-config-dir file).
        reject("ccd-exclusive", "ccd-exclusive", "Require a client-config-dir file", serverRefused),
        reject("client-config-dir", "client-config-dir dir", "Per-client configs", serverRefused),
        reject("client-connect", "client-connect cmd", "Script on client connect", serverRefused),
        reject("client-disconnect", "client-disconnect cmd", "Script on client disconnect", serverRefused),
        reject("client-to-client", "client-to-client", "Route between clients", serverRefused),
        reject("connect-freq", "connect-freq n sec", "Server connection rate limit", serverRefused),
        reject("disable", "disable", "Disable a client (client-config-dir)", serverRefused),
        reject("duplicate-cn", "duplicate-cn", "Allow clients with the same name", serverRefused),
        reject("hash-size", "hash-size r v", "Server hash table sizes", serverRefused),
        reject("ifconfig-ipv6-pool", "ifconfig-ipv6-pool address/bits", "Server IPv6 address pool", serverRefused),
        reject(
            "ifconfig-ipv6-push", "ifconfig-ipv6-push local/bits remote", "Client IPv6 address (client-config-dir)",
            serverRefused),
        reject("ifconfig-pool", "ifconfig-pool start end [netmask]", "Server address pool", serverRefused),
        reject(
            "ifconfig-pool-persist", "ifconfig-pool-persist file [seconds]", "Persist the address pool", serverRefused),
        reject("ifconfig-push", "ifconfig-push local remote", "Client address (client-config-dir)", serverRefused),
        reject("iroute", "iroute network [netmask]", "Client route (client-config-dir)", serverRefused),
        reject("iroute-ipv6", "iroute-ipv6 network/bits", "Client IPv6 route (client-config-dir)", serverRefused),
        reject("learn-address", "learn-address cmd", "Script on client address changes", serverRefused),
        reject("opt-verify", "opt-verify", "Check client options", serverRefused),
        reject("push-remove", "push-remove option", "Remove a pushed option (client-config-dir)", serverRefused),
        reject("push-reset", "push-reset", "Reset pushed options (client-config-dir)", serverRefused),
        reject("server-bridge", "server-bridge [gateway netmask start end]", "Bridging server", serverRefused),
        reject("server-ipv6", "server-ipv6 network/bits", "IPv6 server", serverRefused),
        reject("stale-routes-check", "stale-routes-check n [t]", "Remove stale client routes", serverRefused),
        reject("username-as-common-name", "username-as-common-name", "User name as common name", serverRefused),
        reject("vlan-tagging", "vlan-tagging", "VLAN tagging on a tap server", serverRefused),
    ]

    // MARK: Builders

    /// Argument range from the synopsis: `[x]` is optional, `x...` or `[x...]` repeats.
    static func argumentRange(_ synopsis: String) -> ClosedRange<Int> {
        let words = synopsis.split(separator: " ").dropFirst()
        let required = words.filter { !$0.hasPrefix("[") }.count
        let repeats = words.contains { $0.hasSuffix("...") || $0.hasSuffix("...]") }
        return required...(repeats ? 255 : words.count)
    }

    private static func noEffect(_ name: String, _ synopsis: String, _ summary: String, _ why: String) -> Directive {
        Directive(name, argumentRange(synopsis), synopsis, summary + ": " + why + ".", status: .noEffect) { b, inv in
            b.warn(inv.location, inv.name, "no effect: \(why)")
        }
    }

    private static func reject(_ name: String, _ synopsis: String, _ summary: String, _ why: String) -> Directive {
        Directive(name, argumentRange(synopsis), synopsis, summary + ": " + why + ".", status: .rejected) {
            _, inv throws(ConfigError) in throw inv.error(why)
        }
    }
}

extension DirectiveTable {
    /// Every option swvpnd knows: its own table and the rest of openvpn 2.6's, in help order.
    public static let everyOption: [Directive] = all + OpenVPNOptionCatalog.directives
}

extension Directive {
    /// The error a rejected directive gives (what `--help` shows next to it); nil for the others.
    public var rejectionReason: String? {
        guard status == .rejected else { return nil }
        var builder = ConfigBuilder(sourceName: "")
        let invocation = Invocation(
            name: name, arguments: Array(repeating: "1", count: argumentCount.lowerBound),
            location: ConfigLocation(source: "", line: nil), inline: nil, inlineFirstLine: nil)
        do {
            try apply(&builder, invocation)
            return nil
        } catch {
            return error.problem
        }
    }
}
