import SwvpnProtocol

// MARK: Transport
extension DirectiveTable {
    static let transport: [Directive] = [
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
    ]
}
