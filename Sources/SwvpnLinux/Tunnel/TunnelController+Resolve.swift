import Logging
import SwvpnConfig
import SwvpnControl

// MARK: - `remote` names: looked up off the control queue, pinned when they resolve

extension TunnelController {
    /// A lookup still running after this long counts as failed (glibc alone may wait 2 × 5 s per nameserver).
    static let resolveTimeoutSeconds = 20

    /// `remote` line `index` as `name:port`, for messages.
    func remoteName(_ index: Int) -> String {
        let remote = config.remotes[index % config.remotes.count]
        return "\(remote.host):\(remote.port)"
    }

    /// The address set-up starts with for the remote in use: a numeric one as written; a name is
    /// looked up only at the first start (on the main thread before any other thread exists, as
    /// openvpn's start-up does); a rebuild (SIGHUP, on the control queue) keeps the address the
    /// name had before and leaves the rest to the session's lookups. Nil: not resolved yet.
    func setUpRemoteAddress(_ config: TunnelConfig) -> SocketAddress? {
        guard !config.remotes.isEmpty else { return nil }
        let index = control.remoteIndex % config.remotes.count
        let remote = config.remotes[index]
        if let numeric = SocketAddress(ip: remote.host, port: remote.port) { return numeric }
        if dispatching { return resolver.lastAnswer(host: remote.host, port: remote.port) }
        do throws(ResolutionError) {
            let address = try NameResolution.resolve(
                host: remote.host, port: remote.port, family: requestedFamily(config, remote),
                stream: config.transport.isTCP)[0]
            resolver.remember(host: remote.host, port: remote.port, address)
            return address
        } catch {
            logger.info("RESOLVE: \(error); trying again in the background")
            return nil
        }
    }

    /// After `.started`: tells the session which remote is in use and whether set-up has its address.
    func reportRemoteAtSetUp() {
        guard let tunnel, !config.remotes.isEmpty else { return }
        let index = control.remoteIndex % config.remotes.count
        tunnel.remoteIndex = index
        let address = tunnel.configuredRemote.map { Self.openVPNAddress($0) }
        feed(
            .remoteResolution(
                .inUse(index: index, host: remoteName(index), address: address), now: Clock.monotonicSeconds()))
    }

    /// `.useRemote`: the previous remote's address no longer counts; a numeric one is used as written,
    /// a name is looked up by the session's `.resolveRemote`.
    func remoteChanged(to index: Int) {
        guard let tunnel, !config.remotes.isEmpty else { return }
        tunnel.remoteIndex = index % config.remotes.count
        let remote = config.remotes[tunnel.remoteIndex]
        tunnel.configuredRemote = SocketAddress(ip: remote.host, port: remote.port)
        let address = tunnel.configuredRemote.map { Self.openVPNAddress($0) }
        feed(
            .remoteResolution(
                .inUse(index: tunnel.remoteIndex, host: remoteName(index), address: address),
                now: Clock.monotonicSeconds()))
    }

    /// `.resolveRemote`: one lookup of `remote` line `index`, off the control queue, reported back.
    func resolveRemote(index: Int, generation: Int) {
        guard let tunnel, !config.remotes.isEmpty else { return }
        let remote = config.remotes[index % config.remotes.count]
        let host = remoteName(index)
        if let numeric = SocketAddress(ip: remote.host, port: remote.port) {  // nothing to look up
            tunnel.resolved = (index, numeric)
            let answer = RemoteResolution.resolved(
                generation: generation, index: index, host: host, address: Self.openVPNAddress(numeric))
            feed(.remoteResolution(answer, now: Clock.monotonicSeconds()))
            return
        }
        let request = RemoteResolver.Request(
            host: remote.host, port: remote.port, family: lookupFamily(tunnel, remote),
            stream: config.transport.isTCP
        ) { [weak self] answer in
            guard let self, self.tunnel === tunnel else { return }  // torn down or rebuilt meanwhile
            let now = Clock.monotonicSeconds()
            switch answer {
            case .success(let address):
                tunnel.resolved = (index, address)
                self.feed(
                    .remoteResolution(
                        .resolved(
                            generation: generation, index: index, host: host, address: Self.openVPNAddress(address)),
                        now: now))
            case .failure(let error):
                self.feed(
                    .remoteResolution(
                        .failed(generation: generation, index: index, host: host, reason: error.message), now: now))
            }
        }
        resolver.resolve(request, timeoutSeconds: Self.resolveTimeoutSeconds, replyOn: queue)
    }

    /// `.pinRemote`: the address just resolved becomes the remote (TCP: the client accepted; UDP: the
    /// peer and, without `float`, the only source accepted).
    func pinRemote(index: Int) {
        guard let tunnel, let (resolvedIndex, address) = tunnel.resolved, resolvedIndex == index else { return }
        let previous = tunnel.configuredRemote
        tunnel.resolved = nil
        tunnel.configuredRemote = address
        tunnel.remoteIndex = index
        guard tunnel.tcp == nil else { return }
        if config.float {
            // A peer an authenticated packet moved elsewhere is kept: float follows the traffic.
            guard tunnel.dataPlane.peer.set(address, ifCurrentIs: previous) else { return }
        } else {
            tunnel.dataPlane.peer.set(address)
        }
        feed(.peerAddressKnown(now: Clock.monotonicSeconds()))
    }

    /// The address of the remote in use, if it resolved (a TCP client connects to it).
    func currentRemoteAddress(_ tunnel: Tunnel) -> SocketAddress? {
        guard !config.remotes.isEmpty, tunnel.remoteIndex == control.remoteIndex % config.remotes.count else {
            return nil
        }
        return tunnel.configuredRemote
    }

    /// `proto udp4`/`tcp6-client`, or the remote line's own suffix.
    private func requestedFamily(_ config: TunnelConfig, _ remote: RemoteEndpoint) -> SocketAddress.Family? {
        switch remote.addressFamily ?? config.addressFamily {
        case .ipv4: .inet
        case .ipv6: .inet6
        case .any: nil
        }
    }

    /// A UDP socket or TCP listener already has a family: an address of another could not be used.
    private func lookupFamily(_ tunnel: Tunnel, _ remote: RemoteEndpoint) -> SocketAddress.Family? {
        if let udp = tunnel.link as? UDPLink, let local = try? udp.socket.localAddress() { return local.family }
        if let listener = tunnel.tcp?.listener, let local = try? listener.localAddress() { return local.family }
        return requestedFamily(config, remote)
    }
}
