import Glibc
import SwvpnConfig
import SwvpnControl

/// Scripts, called like openvpn 2.6 calls them for a tun device. `up`, `down` and `route-pre-down` get
/// `cmd tun_dev tun_mtu 0 ifconfig_local_ip ifconfig_remote_ip init|restart`; `route-up` gets no
/// arguments; `ipchange` gets "[AF_INET]ip port" as one argument (openvpn 2.6's argv). All get the same
/// environment (`dev`, `tun_mtu`, `ifconfig_*`, the route lists' `route_*` with `route_net_gateway`,
/// `script_type`, `foreign_option_N`, `dns_*`, `trusted_ip`/`trusted_port` once the peer is known).
/// Only with `script-security 2` or higher. As in openvpn, a failing `up`, `down` or `route-pre-down`
/// is fatal (exit status 1), a failing `route-up` or `ipchange` only a warning.
extension TunnelController {
    func runScript(
        _ command: String?, kind: String, config: TunnelConfig, interface: TunnelInterface,
        signal: String? = nil, context: String = "init"
    ) throws(SetupError) {
        guard let command else { return }
        guard config.scriptSecurity >= 2 else {
            logger.warning("\(kind) script not run: external programs need 'script-security 2' or higher")
            return
        }
        let name = interface.device.name
        let outcome = ScriptRunner.run(
            command, arguments: upDownArguments(deviceName: name, config: config, context: context),
            environment: scriptEnvironment(
                kind: kind, deviceName: name, config: config, routes: interface.routeEnvironment, signal: signal,
                context: context))
        if !outcome.succeeded {
            throw .script(kind: kind, command: command, outcome: outcome)
        }
        logger.notice("\(kind) script '\(command)' done")
    }

    /// `route-pre-down` or `down` at teardown (the device may be closed already: `deviceName`, `routes`
    /// and `peer`, the trusted peer, were taken before). A failure returns openvpn's fatal message
    /// ("WARNING: Failed running command (--up/--down): ..."): the caller exits with status 1, as openvpn.
    func runTeardownScript(
        _ command: String?, kind: String, deviceName: String, routes: [String], signal: String, peer: SocketAddress?
    ) -> String? {
        guard let command, config.scriptSecurity >= 2 else { return nil }
        let outcome = ScriptRunner.run(
            command, arguments: upDownArguments(deviceName: deviceName, config: config, context: "init"),
            environment: scriptEnvironment(
                kind: kind, deviceName: deviceName, config: config, routes: routes, signal: signal, peer: peer))
        guard !outcome.succeeded else {
            logger.notice("\(kind) script '\(command)' done")
            return nil
        }
        logger.error("\(kind) script '\(command)' \(outcome)")
        return "WARNING: Failed running command (--up/--down): \(outcome.openvpnText)"
    }

    /// The hooks the session decides on (route-up, ipchange, up-restart).
    func runScript(_ hook: ScriptHook) {
        guard let tunnel else { return }
        let lifecycle = config.lifecycle
        switch hook {
        case .routeUp:
            runOptionalScript(lifecycle.routeUpCommand, kind: "route-up", arguments: [], interface: tunnel.interface)
        case .ipchange:
            guard let peer = tunnel.dataPlane.peer.current else { return }
            // openvpn 2.6 passes "[AF_INET]ip port" as one argument (print_sockaddr_ex with a blank).
            let family = peer.family == .inet ? "[AF_INET]" : "[AF_INET6]"
            runOptionalScript(
                lifecycle.ipchangeCommand, kind: "ipchange", arguments: ["\(family)\(peer.ipString) \(peer.port)"],
                interface: tunnel.interface)
        case .downOnRestart(let signal):
            do throws(SetupError) {
                try runScript(
                    config.downCommand, kind: "down", config: config, interface: tunnel.interface, signal: signal,
                    context: "restart")
            } catch {
                perform([.fail(error.description)])
            }
        case .upOnRestart:
            do throws(SetupError) {
                try runScript(
                    config.upCommand, kind: "up", config: config, interface: tunnel.interface, context: "restart")
            } catch {
                perform([.fail(error.description)])
            }
        }
    }

    /// When the daemon started (openvpn's daemon_start_time); read first at set-up.
    static let daemonStartTime = time(nil)

    /// openvpn's setenv_settings: config, verb, daemon*, the connection entries (proto_N, remote_N,
    /// remote_port_N, local_N, local_port_N). The route lists' variables come with the device.
    static func settingsEnvironment(_ config: TunnelConfig) -> [String] {
        var env = [
            "config=\(config.sourceName)", "verb=\(config.verbosity)", "daemon=0",
            "daemon_log_redirect=\(config.log == nil ? 0 : 1)", "daemon_pid=\(getpid())",
            "daemon_start_time=\(daemonStartTime)",
        ]
        func proto(_ transport: Transport, _ family: AddressFamily) -> String {
            let digit = family == .ipv4 ? "4" : family == .ipv6 ? "6" : ""
            return switch transport {
            case .udp: "udp\(digit)"
            case .tcpServer: "tcp\(digit)-server"
            case .tcpClient: "tcp\(digit)-client"
            }
        }
        let entries: [(RemoteEndpoint?)] = config.remotes.isEmpty ? [nil] : config.remotes
        for (index, remote) in entries.enumerated() {
            let n = index + 1
            env.append(
                "proto_\(n)=\(proto(remote?.transport ?? config.transport, remote?.addressFamily ?? config.addressFamily))"
            )
            if let local = config.localHost { env.append("local_\(n)=\(local)") }
            env.append("local_port_\(n)=\(config.localPort)")
            if let remote { env += ["remote_\(n)=\(remote.host)", "remote_port_\(n)=\(remote.port)"] }
        }
        return env
    }

    /// The peer's address once it was heard (openvpn's trusted_ip), nil before.
    func trustedPeer() -> SocketAddress? {
        control.state.peer != .waiting ? tunnel?.dataPlane.peer.current : nil
    }

    /// `route-up` and `ipchange`: a failure is a warning, as in openvpn (its flags there are not fatal).
    private func runOptionalScript(_ command: String?, kind: String, arguments: [String], interface: TunnelInterface) {
        guard let command, config.scriptSecurity >= 2 else { return }
        let outcome = ScriptRunner.run(
            command, arguments: arguments,
            environment: scriptEnvironment(
                kind: kind, deviceName: interface.device.name, config: config, routes: interface.routeEnvironment))
        if outcome.succeeded {
            logger.notice("\(kind) script '\(command)' done")
        } else {
            logger.warning("WARNING: Failed running command (--\(kind)): \(outcome.openvpnText) ('\(command)')")
        }
    }

    /// openvpn 2.6's positional arguments of up/down/route-pre-down. It passes 0 for the obsolete
    /// link_mtu argument (checked against openvpn 2.6.14).
    private func upDownArguments(deviceName: String, config: TunnelConfig, context: String) -> [String] {
        let local = config.ifconfig.map { "\($0.local)" } ?? ""
        let remote = config.ifconfig.map { "\($0.remoteOrNetmask)" } ?? ""
        return [deviceName, "\(config.tunMTU)", "0", local, remote, context]
    }

    /// openvpn 2.6's script environment; it no longer exports `link_mtu`. `signal` is what ended the
    /// tunnel (`sigterm`, `sighup`, `ping-exit`...) for down and route-pre-down. `routes`: the device's
    /// `TunnelInterface.routeEnvironment`.
    private func scriptEnvironment(
        kind: String, deviceName: String, config: TunnelConfig, routes: [String], signal: String? = nil,
        context: String = "init", peer: SocketAddress?? = nil
    ) -> [String] {
        var env = [
            "dev=\(deviceName)", "dev_type=\(config.deviceType.rawValue)", "tun_mtu=\(config.tunMTU)",
            "script_type=\(kind)", "script_context=\(context)",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ]
        env += RouteEnvironment.ifconfigVariables(config)
        if let signal { env.append("signal=\(signal)") }
        env += Self.settingsEnvironment(config)
        env += routes
        // openvpn sets redirect_gateway once it added the routes (do_route), so from route-up on.
        if kind != "up", !config.routeNoExec { env.append("redirect_gateway=0") }
        // openvpn sets the route variables when it opens the device and adds the routes; its soft restart
        // with persist-tun (swvpnd's only kind) does neither, so from then on its scripts get none.
        if softRestarted { env.removeAll { $0.hasPrefix("route_") || $0.hasPrefix("redirect_gateway=") } }
        // openvpn sets trusted_ip/trusted_port when the peer is first heard and keeps them for later scripts.
        // Not for up: a new instance (start, SIGHUP, a soft restart's up-restart) has not heard the peer yet.
        if kind != "up", let peer = peer ?? trustedPeer() {
            env.append("\(peer.family == .inet ? "trusted_ip" : "trusted_ip6")=\(peer.ipString)")
            env.append("trusted_port=\(peer.port)")
        }
        env += config.environment.map { "\($0.name)=\($0.value)" }
        return env
    }
}
