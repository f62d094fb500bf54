import Glibc
import SwvpnConfig

/// `up`/`down` scripts, called like openvpn calls them for a tun device:
/// `cmd tun_dev tun_mtu 0 ifconfig_local_ip ifconfig_remote_ip [init|restart]`, with the
/// same values in the environment (`dev`, `tun_mtu`, `ifconfig_local`, ... , `script_type`).
/// Only with `script-security 2` or higher, as in openvpn.
extension TunnelController {
    func runScript(
        _ command: String?, kind: String, config: TunnelConfig, interface: TunnelInterface,
        signal: String? = nil
    ) throws(SetupError) {
        guard let command else { return }
        guard config.scriptSecurity >= 2 else {
            logger.warning("\(kind) script not run: external programs need 'script-security 2' or higher")
            return
        }
        let (args, env) = scriptInvocation(
            kind: kind, deviceName: interface.device.name, config: config, signal: signal)
        let outcome = ScriptRunner.run(command, arguments: args, environment: env)
        if !outcome.succeeded {
            throw .script(kind: kind, command: command, outcome: "\(outcome)")
        }
        logger.notice("\(kind) script '\(command)' done")
    }

    func runScriptAfterClose(_ command: String?, deviceName: String, signal: String) throws(SetupError) {
        guard let command, config.scriptSecurity >= 2 else { return }
        let (args, env) = scriptInvocation(kind: "down", deviceName: deviceName, config: config, signal: signal)
        let outcome = ScriptRunner.run(command, arguments: args, environment: env)
        if !outcome.succeeded { logger.warning("down script '\(command)' \(outcome)") }
    }

    /// openvpn 2.6's positional arguments and environment, the same for `up` and `down`. It passes 0 for
    /// the obsolete link_mtu argument and no longer exports `link_mtu` (checked against openvpn 2.6.14).
    /// `down` also gets `signal`, what ended the tunnel (`sigterm`, `sighup`, `ping-exit`...).
    private func scriptInvocation(
        kind: String, deviceName: String, config: TunnelConfig,
        signal: String?
    ) -> (args: [String], env: [String]) {
        let local = config.ifconfig.map { "\($0.local)" } ?? ""
        let remote = config.ifconfig.map { "\($0.remoteOrNetmask)" } ?? ""
        let args = [deviceName, "\(config.tunMTU)", "0", local, remote, "init"]
        var env = [
            "dev=\(deviceName)", "dev_type=\(config.deviceType.rawValue)", "tun_mtu=\(config.tunMTU)",
            "ifconfig_local=\(local)",
            "\(config.ifconfigHasNetmask ? "ifconfig_netmask" : "ifconfig_remote")=\(remote)",
            "script_type=\(kind)", "script_context=init",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ]
        if let signal { env.append("signal=\(signal)") }
        env += config.environment.map { "\($0.name)=\($0.value)" }
        return (args, env)
    }
}
