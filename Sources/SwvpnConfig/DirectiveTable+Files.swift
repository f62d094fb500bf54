import SwvpnProtocol

// MARK: Files and process
extension DirectiveTable {
    static let filesAndProcess: [Directive] = [
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
    ]
}
