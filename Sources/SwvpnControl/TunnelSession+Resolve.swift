// `remote` names: resolved with retry as openvpn 2.6 does (`resolv-retry n|infinite`), and pinned as
// soon as they resolve. While a `remote` has no address, nothing from the network is accepted
// (without `float`): the executor keeps the data plane's source filter closed until `.pinRemote`.
extension TunnelSession {
    /// `resolv-retry n`: one lookup every 5 s until n seconds are spent (openvpn's `fail_wait_interval`).
    public static let resolveRetryIntervalSeconds: Int64 = 5
    /// A name that keeps failing is reported at most this often, never once per try.
    public static let resolveLogSeconds: Int64 = 60

    /// Resolution of the `remote` in use; reset by every start.
    struct ResolveState: Sendable, Hashable {
        enum Phase: Sendable, Hashable {
            case idle
            /// No address yet: retried on a timer until it resolves or `resolv-retry` runs out.
            case resolving
            /// A soft restart looks the name up again; the address in use stays if that fails.
            case refreshing
        }

        var phase = Phase.idle
        /// Bumped by every new resolution, so answers to and timers of an earlier one do nothing.
        var generation = 0
        /// The address pinned for the `remote` in use (openvpn's notation), nil while it has none.
        var address: String?
        var since: Int64 = 0
        var failures = 0
        /// The first failure is logged, then at most one line per `resolveLogSeconds`.
        var failureLog = LogRateLimit(burst: 1, intervalSeconds: TunnelSession.resolveLogSeconds)
    }

    mutating func remoteResolution(_ resolution: RemoteResolution, now: Int64) -> [TunnelAction] {
        guard case .running = phase, settings.remoteCount > 0 else { return [] }
        switch resolution {
        case .inUse(let index, _, let address):
            guard index == remoteIndex else { return [] }
            guard address == nil else {
                resolve = ResolveState(generation: resolve.generation + 1, address: address)
                return []
            }
            resolve.address = nil
            return beginResolving(now: now)
        case .resolved(let generation, let index, let host, let address):
            guard isAwaited(generation, index) else { return [] }
            let waited = resolve.failures > 0 ? now - resolve.since : nil
            let previous = resolve.address
            resolve.phase = .idle
            resolve.address = address
            resolve.failures = 0
            guard address != previous else { return [] }  // a restart's lookup found the same address
            var actions: [TunnelAction] = [.pinRemote(index: index)]
            if let waited {
                actions.append(.log(.notice, "RESOLVE: \(host) resolved to \(address) after \(waited) s\(pinNote)"))
            } else if let previous {
                actions.append(.log(.notice, "RESOLVE: \(host) now resolves to \(address) (was \(previous))\(pinNote)"))
            } else {
                actions.append(.log(.info, "RESOLVE: \(host) resolved to \(address)\(pinNote)"))
            }
            // A route through `remote_host` could not be installed without the address.
            if !routesInstalled && !routesPending && !settings.routeNoExec { actions.append(.installRoutes) }
            return actions
        case .failed(let generation, let index, let host, let reason):
            guard isAwaited(generation, index) else { return [] }
            return resolveFailed(host: host, reason: reason, now: now)
        }
    }

    /// The answer to the lookup under way (not one of an earlier resolution, not a second one).
    private func isAwaited(_ generation: Int, _ index: Int) -> Bool {
        resolve.phase != .idle && generation == resolve.generation && index == remoteIndex
    }

    /// After a soft restart the name is looked up again (openvpn re-resolves unless
    /// `persist-remote-ip`); a remote that changed with the restart is reported `.inUse` instead.
    mutating func resolveAfterRestart(now: Int64, remoteChanged: Bool) -> [TunnelAction] {
        guard settings.remoteCount > 0, !remoteChanged, !settings.persistRemoteIP, resolve.phase == .idle else {
            return []
        }
        return beginResolving(now: now)
    }

    /// A new lookup of the remote in use: `.refreshing` if it has an address, else `.resolving`.
    private mutating func beginResolving(now: Int64) -> [TunnelAction] {
        let generation = resolve.generation + 1
        resolve = ResolveState(generation: generation, address: resolve.address, since: now)
        resolve.phase = resolve.address == nil ? .resolving : .refreshing
        return [.resolveRemote(index: remoteIndex, generation: generation, afterSeconds: 0)]
    }

    private mutating func resolveFailed(host: String, reason: String, now: Int64) -> [TunnelAction] {
        let cannot = "RESOLVE: Cannot resolve host address: \(host) (\(reason))"
        if let address = resolve.address {
            resolve.phase = .idle
            return [.log(.warning, "\(cannot); keeping \(address)")]
        }
        resolve.phase = .resolving
        resolve.failures += 1
        let spent = now - resolve.since
        let retry = settings.resolveRetrySeconds
        switch retry {
        case 0?:
            phase = .stopped
            return [
                .fail(
                    "\(cannot) (I would have retried this name query if you had specified the --resolv-retry option.)")
            ]
        case let limit? where spent + Self.resolveRetryIntervalSeconds >= limit:
            // The next try would start past the limit (openvpn: ceil(n / 5) tries, 5 s apart).
            phase = .stopped
            let tries = resolve.failures == 1 ? "1 try" : "\(resolve.failures) tries"
            return [.fail("\(cannot); gave up after \(tries) in \(spent) s (resolv-retry \(limit))")]
        default:
            break
        }
        // resolv-retry infinite: openvpn restarts and tries again after its restart pause (connect-retry).
        let interval = retry == nil ? max(settings.connectRetrySeconds, 1) : Self.resolveRetryIntervalSeconds
        var actions: [TunnelAction] = []
        let limit = retry.map { "resolv-retry \($0)" } ?? "resolv-retry infinite"
        if case .log = resolve.failureLog.admit(now: now) {
            let line =
                resolve.failures == 1
                ? "\(cannot); trying again every \(interval) s (\(limit))\(waitNote)"
                : "\(cannot); still unresolved after \(resolve.failures) tries in \(spent) s, trying again every \(interval) s (\(limit))"
            actions.append(.log(.warning, line))
        }
        return actions + [.resolveRemote(index: remoteIndex, generation: resolve.generation, afterSeconds: interval)]
    }

    /// What an unresolved remote means for the traffic, said once with the first failure.
    private var waitNote: String {
        switch settings.transport {
        case .udp where settings.float: "; meanwhile any address may send authenticated packets (float)"
        case .udp: "; until then no packet from the network is accepted"
        case .tcpServer: "; until then no connection is accepted"
        case .tcpClient: ""
        }
    }

    /// What pinning means, said when the name resolves.
    private var pinNote: String {
        switch settings.transport {
        case .udp where settings.float: " (float: an authenticated packet from another address may still move the peer)"
        case .udp: "; only packets from it are accepted"
        case .tcpServer: "; only connections from it are accepted"
        case .tcpClient: ""
        }
    }
}
