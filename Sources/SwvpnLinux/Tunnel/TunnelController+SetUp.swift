import Glibc
import Logging
import SwvpnCompression
import SwvpnConfig
import SwvpnControl
import SwvpnCrypto
import SwvpnProtocol

// MARK: - Set-up and teardown of the I/O of one config

extension TunnelController {
    /// Sets up, or hands the failure to the session (which retries or exits).
    func trySetUp() -> Bool {
        do throws(SetupError) {
            try setUp()
            return true
        } catch {
            feed(.setUpFailed(error.description, addressInUse: error.isAddressInUse))
            return false
        }
    }

    func setUp() throws(SetupError) {
        let config = self.config
        softRestarted = false
        _ = Self.daemonStartTime  // fixed at the first set-up
        try loadCrypto(config)
        let layout = config.frameLayout
        let sealer: DataChannelSealer
        let opener: DataChannelOpener
        do throws(CryptoError) {
            sealer = try DataChannelSealer(key: key, direction: config.keyDirection, layout: layout)
            let replay: ReplayWindow.Parameters? =
                switch config.replay {
                case .window(let size, let seconds): ReplayWindow.Parameters(size: size, seconds: seconds)
                case .disabled: nil
                }
            opener = try DataChannelOpener(key: key, direction: config.keyDirection, layout: layout, replay: replay)
        } catch {
            throw .dataChannel(cipher: "\(config.cipher)", digest: "\(config.digest)", error)
        }
        try openReplayPersist(config, opener: opener)
        openStatusFile(config)
        let remote = setUpRemoteAddress(config)
        let family: UnderlayFamily = remote.map { $0.family == .inet ? .ipv4 : .ipv6 } ?? .unknown
        let settings = config.packetPathSettings(underlay: family)
        let (link, tcp) =
            try config.transport.isTCP
            ? openTCPLink(config, remote: remote, settings: settings)
            : (openUDPLink(config, remote: remote, settings: settings), nil)
        let interface = try TunnelInterface(
            config: config, logger: logger, virtioHeader: wantsOffload(config, settings), remote: remote)
        let offload = Offload(
            tunVirtioHeader: interface.virtioHeader, segmentation: interface.virtioHeader,
            receiveCoalescing: (link as? UDPLink)?.receiveCoalescing ?? false)
        if offload != .none {
            logger.info(
                "offloads: TUN TSO \(offload.tunVirtioHeader ? "on" : "off"), UDP GSO \(offload.segmentation ? "on" : "off"), UDP GRO \(offload.receiveCoalescing ? "on" : "off")"
            )
        }

        let peer = PeerAddress(tcp == nil ? remote : nil)  // TCP: known once connected
        let compressor = config.compressesPayloads ? CompressionBuffer(capacity: settings.maxTunnelPacket) : nil
        let decompressor = config.decompressesPayloads ? DecompressionBuffer(capacity: settings.maxTunnelPacket) : nil
        compressionTotals = (compressor?.totals, decompressor?.totals)
        let helpers = try cryptoHelpers(config, settings: settings)  // Hook: parallel crypto (SWVPND_WORKERS)
        let dataPlane = DataPlane(
            tun: interface.device, link: link,
            outbound: OutboundPath(
                settings: settings, sealer: sealer, fragmentSequenceSeed: UInt8.random(in: 0...255),
                compressor: compressor,
                compressionAlgorithm: config.compressionAlgorithm ?? .lzo),
            inbound: InboundPath(
                settings: settings, opener: opener,
                decompressor: decompressor),
            // TCP filters the peer's IP when accepting (PROTOCOL.md §9.5); its packets all come from the connection.
            // UDP with `remote` and no `float` accepts only the remote's address, none before it resolves.
            peer: peer, pinnedSource: tcp == nil && !config.remotes.isEmpty && !config.float, offload: offload,
            outputPolicy: OutputPolicy(config: config, underlay: family), helpers: helpers,
            events: { [unowned self] event in self.dataPlaneEvents(event) })
        let tunnel = Tunnel(
            interface: interface, link: link, dataPlane: dataPlane, occ: config.occOptions,
            configuredRemote: remote, tcp: tcp)
        if tcp != nil && config.explicitExitNotify != nil {
            logger.notice("NOTE: --explicit-exit-notify ignored for --proto tcp")
        }
        self.tunnel = tunnel
        logger.trace("Local Options String: '\(tunnel.occ.localString)'")
        logger.trace("Expected Remote Options String: '\(tunnel.occ.expectedRemoteString)'")
        // openvpn's order: up, then the routes (and route-up after them).
        try runScript(config.upCommand, kind: "up", config: config, interface: interface)
        feed(.started(now: Clock.monotonicSeconds(), peerKnown: remote != nil && tcp == nil))  // installs the routes
        reportRemoteAtSetUp()
        if let path = config.writePIDPath { writePIDFile(path) }
        let direction = config.keyDirection.occValue.map { "key-direction \($0)" } ?? "bidirectional key"
        let peerText =
            remote.map { "to \($0)" }
            ?? (config.remotes.isEmpty ? "listening" : "to \(remoteName(control.remoteIndex)) (not resolved yet)")
        logger.notice(
            "Data Channel: cipher '\(config.cipher)', auth '\(config.digest)', \(direction), link \(peerText)")
        configureProbe()
    }

    /// Extra sealers and openers for `SWVPND_WORKERS` crypto workers per direction (none by default).
    func cryptoHelpers(_ config: TunnelConfig, settings: PacketPathSettings) throws(SetupError) -> CryptoHelpers {
        let workers: Int
        switch CryptoHelpers.configuredWorkers() {
        case .success(let n): workers = n
        case .failure(let error):
            logger.warning("\(error); using \(Tunables.defaultWorkers)")
            workers = Tunables.defaultWorkers
        }
        guard workers > 1 else { return .none }
        logger.info("crypto workers: \(workers) per direction (SWVPND_WORKERS)")
        do throws(CryptoError) {
            return try CryptoHelpers(workers: workers, key: key, direction: config.keyDirection, settings: settings)
        } catch {
            throw .dataChannel(cipher: "\(config.cipher)", digest: "\(config.digest)", error)
        }
    }

    /// Kernel offloads change how many packets cross into user space per syscall, never the wire.
    /// They need UDP (GSO/GRO), no `fragment` (whole packets only), room for the 10-byte virtio header
    /// in front of a decrypted packet, and a kernel with UDP GSO. `SWVPND_NO_OFFLOAD=1` turns them off
    /// (for benchmarks comparing both paths, or to rule them out when debugging).
    func wantsOffload(_ config: TunnelConfig, _ settings: PacketPathSettings) -> Bool {
        // Compressed packets differ in size, which UDP GSO trains of equal segments cannot carry.
        // The shaper paces single packets, which TSO super-packets would bypass.
        settings.allowsOffload && !config.compressesPayloads && config.host.shaperBytesPerSecond == nil
            && UDPSocket.offloadSupport.segmentation
            && getenv("SWVPND_NO_OFFLOAD") == nil
    }

    private func loadCrypto(_ config: TunnelConfig) throws(SetupError) {
        do throws(CryptoError) {
            if !config.providers.isEmpty { try CryptoProviders.load(config.providers) }
            if !config.cipher.isNone {
                try CryptoProviders.ensureAvailable(
                    cipherName: config.cipher.name,
                    needsLegacyProvider: config.cipher.needsLegacyProvider)
            }
        } catch {
            throw .cryptoProvider(error)
        }
        do throws(KeyFileError) {
            try key.validate(for: config.cipher, source: keySourceName(config))
        } catch {
            throw .key(error)
        }
        if config.cipher.needsLegacyProvider && !config.providers.contains("legacy") {
            logger.notice(
                "\(config.cipher) needs OpenSSL's legacy provider: loaded it (openvpn 2.6 needs 'providers legacy default' for this)"
            )
        }
    }

    private func openUDPLink(_ config: TunnelConfig, remote: SocketAddress?, settings: PacketPathSettings)
        throws(SetupError) -> any TunnelLink
    {
        var family: SocketAddress.Family = remote?.family ?? (config.addressFamily == .ipv6 ? .inet6 : .inet)
        var bindAddress = SocketAddress.any(family, port: config.bind ? config.localPort : 0)
        if let local = config.localHost {
            guard
                let resolved = try? NameResolution.resolve(host: local, port: config.localPort, family: remote?.family)
                    .first
            else { throw .localUnresolved(source: config.sourceName, host: local) }
            bindAddress = resolved
            family = resolved.family
            if !config.bind { bindAddress.port = 0 }
        }
        do throws(SystemError) {
            let socket = try UDPSocket(bindingTo: bindAddress)
            try TunnelSocketOptions.apply(config.compat, fd: socket.fd, family: bindAddress.family)
            let sizes = try socket.setBufferSizes(
                receive: config.receiveBufferSize ?? Tunables.socketBufferBytes,
                send: config.sendBufferSize ?? Tunables.socketBufferBytes)
            let local = (try? socket.localAddress())?.description ?? bindAddress.description
            logger.notice("UDP link local (bound): \(local), buffers rx \(sizes.receive) tx \(sizes.send)")
            if let remote { logger.notice("UDP link remote: \(remote)") }
            if config.compat.multihome {
                try socket.enablePacketInfo()
                logger.notice("multihome: replies leave from the address and interface the peer's packets arrive on")
            }
            let udp = UDPLink(socket: socket, multihome: config.compat.multihome)
            if wantsOffload(config, settings), UDPSocket.offloadSupport.receiveCoalescing {
                do throws(SystemError) {
                    try socket.enableReceiveCoalescing()
                    udp.receiveCoalescing = true
                } catch {
                    logger.info("UDP GRO unavailable: \(error)")
                }
            }
            return udp
        } catch {
            let holder = error.errno == EADDRINUSE ? PortHolder.describe(port: bindAddress.port, stream: false) : nil
            throw .udpSocket(bindAddress, error, holder: holder)
        }
    }

    func installRoutes() {
        guard let tunnel else { return }
        let complete = tunnel.interface.installRoutes(config: config, remote: tunnel.configuredRemote)
        if !forwardingChecked, !config.routes.isEmpty, let forwarding = try? IPForwarding.isEnabled(), !forwarding {
            forwardingChecked = true
            logger.warning(
                """
                net.ipv4.ip_forward is 0: this host will not forward traffic between the VPC and the tunnel \
                (install the sysctl drop-in 60-swvpnd-forwarding.conf or run sysctl -w net.ipv4.ip_forward=1)
                """)
        }
        feed(.routesInstalled(complete: complete))
    }

    /// openvpn's order: route-pre-down, the routes go, then the device closes and `down` runs (with
    /// `down-pre`, `down` runs before the device closes). `signal` is openvpn's text for what ended the
    /// tunnel, given to both scripts. Returns openvpn's fatal message when one of them failed (openvpn
    /// then exits with status 1, and runs no `down` after a failed route-pre-down).
    @discardableResult
    func tearDown(signal: String = "sigterm") -> String? {
        guard let tunnel else { return nil }
        if let tcp = tunnel.tcp { closeTCP(tcp) }
        tunnel.dataPlane.stop()
        saveReplayMark()
        let name = tunnel.interface.device.name
        let routes = tunnel.interface.routeEnvironment
        let peer = trustedPeer()
        var fatal = runTeardownScript(
            config.lifecycle.routePreDownCommand, kind: "route-pre-down", deviceName: name, routes: routes,
            signal: signal, peer: peer)
        tunnel.interface.removeRoutes()  // also after a failed route-pre-down: no route of ours is left behind
        if config.downPre, fatal == nil {
            fatal = runTeardownScript(
                config.downCommand, kind: "down", deviceName: name, routes: routes, signal: signal, peer: peer)
        }
        self.tunnel = nil  // closes the TUN fd: the kernel removes the device and its addresses
        logger.notice("Closed TUN/TAP device \(name)")
        if !config.downPre, fatal == nil {
            fatal = runTeardownScript(
                config.downCommand, kind: "down", deviceName: name, routes: routes, signal: signal, peer: peer)
        }
        return fatal
    }

    private func keySourceName(_ config: TunnelConfig) -> String {
        switch config.keySource {
        case .file(let path, _, _): path
        case .inline(_, let location): location.description
        }
    }
}
