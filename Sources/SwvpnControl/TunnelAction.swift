/// What the executor must do, in the order given.
public enum TunnelAction: Sendable, Hashable {
    case log(LogLevel, String)
    case sendPing
    case sendOCCRequest
    /// Answer an OCC_REQUEST with our options string.
    case sendOCCReply
    /// Compare the peer's OCC_REPLY with our options and warn about differences.
    case checkOCCReply(String)
    case sendOCCExit
    /// Install the config's routes, then report `.routesInstalled`.
    case installRoutes
    /// Report `.routeDelayElapsed(generation)` after `seconds`.
    case installRoutesAfter(seconds: Int64, generation: Int)
    case notifyReady(status: String)
    case notifyStatus(String)
    /// `RELOADING=1` with `MONOTONIC_USEC=` (systemd's Type=notify-reload protocol).
    case notifyReloading
    case notifyWatchdog
    /// Soft restart: a new data-channel session on the same device and socket; TCP drops the connection.
    case restart(RestartReason)
    /// Use `remote` line `index` from now on.
    case useRemote(index: Int)
    /// tcp-client: connect after `seconds`.
    case connect(afterSeconds: Int64)
    /// Look up `remote` line `index` after `seconds`, off the control queue and with a time limit, then
    /// report `.remoteResolution` (`.resolved` or `.failed`) with `generation`.
    case resolveRemote(index: Int, generation: Int, afterSeconds: Int64)
    /// Use the address just resolved for `remote` line `index`: the link's peer and, without `float`,
    /// the only source accepted (tcp-server: the only client).
    case pinRemote(index: Int)
    /// SIGHUP: read config and key again, then report `.configReloaded` or `.reloadFailed`.
    case reloadConfig
    /// Tear the tunnel down and set it up again from the reloaded config, then report `.started`;
    /// `signal` is the down script's (`sighup`, or a remapped restart's text such as `ping-restart`).
    case rebuild(signal: String)
    /// Set up again after `seconds` (a socket that could not bind).
    case retrySetUp(afterSeconds: Int64)
    case saveReplayMark
    case writeStatusFile
    /// Run a script hook (openvpn's arguments and environment); `route-up` and `ipchange` failures are
    /// warnings, `up`/`down` failures on a restart are fatal, as in openvpn.
    case runScript(ScriptHook)
    /// SIGUSR2: log the statistics lines.
    case logStatistics
    /// Tear down and exit 0; `reason` is openvpn's line ("SIGTERM[hard,] received").
    case exit(reason: String)
    /// Tear down and exit 1 after logging `message` (a set-up that cannot succeed).
    case fail(String)
}

public enum LogLevel: Sendable, Hashable {
    case trace, debug, info, notice, warning, error, critical
}

/// Why a session restarted (openvpn's SIGUSR1 text).
public enum RestartReason: String, Sendable, Hashable, CaseIterable {
    case pingRestart = "ping-restart"
    case remoteExit = "remote-exit"
    case user = "user"
    case connectionReset = "connection-reset"
    /// tcp-server: a connection delivered no authenticated packet within the handshake deadline.
    case handshakeTimeout = "handshake-timeout"
    case decryptionError = "decryption-error"
    /// SIGHUP: config re-read and the tunnel set up again.
    case reload = "sighup"
}

/// The scripts the session runs during the tunnel's life (`up`/`down` at set-up and teardown are the
/// executor's, as are `route-pre-down` and `down` at exit).
public enum ScriptHook: Sendable, Hashable {
    /// `route-up`, once the routes of a set-up were added (or skipped with route-noexec).
    case routeUp
    /// `ipchange`, when the peer's address is first learned or moves; `address` in openvpn's notation.
    case ipchange(address: String)
    /// `up-restart`: `down` before a soft restart, `signal` being openvpn's text for its cause.
    case downOnRestart(signal: String)
    /// `up-restart`: `up` after a soft restart.
    case upOnRestart
}
