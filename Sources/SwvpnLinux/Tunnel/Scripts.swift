import Glibc
import SwvpnConfig
import SwvpnControl

/// Scripts, called like openvpn 2.6 calls them for a tun device. `up`, `down` and `route-pre-down` get
/// `cmd tun_dev tun_mtu 0 ifconfig_local_ip ifconfig_remote_ip init|restart`; `route-up` gets no
/// arguments; `ipchange` gets "[AF_INET]ip port" as one argument (openvpn 2.6's argv). All get the same
/// environment (`dev`, `tun_mtu`, `ifconfig_local`, ..., `script_type`, `foreign_option_N`, `dns_*`,
/// `trusted_ip`/`trusted_port` once the peer is known). Only with `script-security 2` or higher.
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
                kind: kind, deviceName: name, config: config, signal: signal, context: context))
        if !outcome.succeeded {
            throw .script(kind: kind, command: command, outcome: "\(outcome)")
        }
        logger.notice("\(kind) script '\(command)' done")
    }

    /// `peer`: the trusted peer of the closed tunnel (`trustedPeer` taken before it closed).
    func runScriptAfterClose(_ command: String?, deviceName: String, signal: String, peer: SocketAddress?)
        throws(SetupError)
    {
        guard let command, config.scriptSecurity >= 2 else { return }
        let outcome = ScriptRunner.run(
            command, arguments: upDownArguments(deviceName: deviceName, config: config, context: "init"),
            environment: scriptEnvironment(
                kind: "down", deviceName: deviceName, config: config, signal: signal, peer: peer))
        if !outcome.succeeded { logger.warning("down script '\(command)' \(outcome)") }
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

    /// `route-pre-down`, before the routes go (openvpn: at every teardown that closes the device).
    func runRoutePreDown(interface: TunnelInterface, signal: String) {
        guard let command = config.lifecycle.routePreDownCommand, config.scriptSecurity >= 2 else { return }
        let name = interface.device.name
        let outcome = ScriptRunner.run(
            command, arguments: upDownArguments(deviceName: name, config: config, context: "init"),
            environment: scriptEnvironment(kind: "route-pre-down", deviceName: name, config: config, signal: signal))
        if !outcome.succeeded { logger.warning("route-pre-down script '\(command)' \(outcome)") }
    }

    /// When the daemon started (openvpn's daemon_start_time); read first at set-up.
    static let daemonStartTime = time(nil)

    /// openvpn's setenv_settings and route list: config, verb, daemon*, the connection entries
    /// (proto_N, remote_N, remote_port_N, local_N, local_port_N), route_vpn_gateway and route_*_N.
    /// (route_net_gateway, the host's default gateway, is not passed yet.)
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
        if let gateway = config.routeGateway ?? (config.ifconfigHasNetmask ? nil : config.ifconfig?.remoteOrNetmask) {
            env.append("route_vpn_gateway=\(gateway)")
        }
        for (index, route) in config.routes.enumerated() {
            let n = index + 1
            env += ["route_network_\(n)=\(route.network)", "route_netmask_\(n)=\(route.netmask)"]
            if case .address(let gateway) = route.gateway { env.append("route_gateway_\(n)=\(gateway)") }
            if let metric = route.metric { env.append("route_metric_\(n)=\(metric)") }
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
            environment: scriptEnvironment(kind: kind, deviceName: interface.device.name, config: config))
        if outcome.succeeded {
            logger.notice("\(kind) script '\(command)' done")
        } else {
            logger.warning("WARNING: Failed running command (--\(kind)): '\(command)' \(outcome)")
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
    /// tunnel (`sigterm`, `sighup`, `ping-exit`...) for down and route-pre-down.
    private func scriptEnvironment(
        kind: String, deviceName: String, config: TunnelConfig, signal: String? = nil, context: String = "init",
        peer: SocketAddress?? = nil
    ) -> [String] {
        let local = config.ifconfig.map { "\($0.local)" } ?? ""
        let remote = config.ifconfig.map { "\($0.remoteOrNetmask)" } ?? ""
        var env = [
            "dev=\(deviceName)", "dev_type=\(config.deviceType.rawValue)", "tun_mtu=\(config.tunMTU)",
            "ifconfig_local=\(local)",
            "\(config.ifconfigHasNetmask ? "ifconfig_netmask" : "ifconfig_remote")=\(remote)",
            "script_type=\(kind)", "script_context=\(context)",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ]
        if let signal { env.append("signal=\(signal)") }
        env += Self.settingsEnvironment(config)
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
