import CSwvpnLinux
import Dispatch
import Glibc
import Logging
import SwvpnConfig
import SwvpnControl
import SwvpnProtocol

// MARK: - TCP transport (`proto tcp-server` / `tcp-client`, PROTOCOL.md §5)

/// Connection state of a TCP tunnel; confined to the control queue.
///
/// One `TCPLink` lives as long as the session; connections are attached to it and detached. The
/// data plane's read source is bound to an fd, so each connection change stops the data plane,
/// swaps the link's fd and starts it again (TUN device, routes and crypto contexts stay).
final class TCPState: @unchecked Sendable {
    let link: TCPLink
    let isServer: Bool
    /// tcp-server: the listening socket and its accept source (suspended while connected).
    var listener: TCPSocket?
    var listenSource: (any DispatchSourceRead)?
    var listenSuspended = false
    /// tcp-client: the socket of a connect in progress and its writable source.
    var connectSource: (any DispatchSourceWrite)?
    var pending: TCPSocket?
    var attempt = 0
    var closed = false

    init(link: TCPLink, isServer: Bool) {
        self.link = link
        self.isServer = isServer
    }
}

extension TunnelController {
    func openTCPLink(_ config: TunnelConfig, remote: SocketAddress?, settings: PacketPathSettings)
        throws(SetupError) -> (any TunnelLink, TCPState?)
    {
        let link: TCPLink
        do throws(SystemError) {
            link = try TCPLink(
                maxRecordLength: min(settings.maxWirePacket, Int(UInt16.max)),
                stallMilliseconds: Int(control.tcpStallSeconds) * 1000)
        } catch {
            throw .tcpLink(error)
        }
        let tcp = TCPState(link: link, isServer: config.transport == .tcpServer)
        guard tcp.isServer else { return (link, tcp) }
        let family: SocketAddress.Family = remote?.family ?? (config.addressFamily == .ipv6 ? .inet6 : .inet)
        var address = SocketAddress.any(family, port: config.localPort)
        if let local = config.localHost {
            guard
                let resolved = try? NameResolution.resolve(
                    host: local, port: config.localPort, family: remote?.family, stream: true
                ).first
            else { throw .localUnresolved(source: config.sourceName, host: local) }
            address = resolved
        }
        do throws(SystemError) {
            // mark, bind-dev, mtu-disc before the bind, as openvpn; accepted connections inherit them.
            tcp.listener = try TCPSocket.listen(on: address) { (fd: Int32) throws(SystemError) in
                try TunnelSocketOptions.apply(config.compat, fd: fd, family: address.family)
            }
        } catch {
            let holder = error.errno == EADDRINUSE ? PortHolder.describe(port: address.port, stream: true) : nil
            throw .tcpListen(address, error, holder: holder)
        }
        logger.notice("Listening for incoming TCP connection on \(Self.openVPNAddress(address))")
        return (link, tcp)
    }

    /// tcp-server: starts accepting; on the control queue after set-up.
    func startListening() {
        guard let tcp = tunnel?.tcp, !tcp.closed, tcp.isServer, let listener = tcp.listener else { return }
        let source = DispatchSource.makeReadSource(fileDescriptor: listener.fd, queue: queue)
        source.setEventHandler { [unowned self] in self.acceptTCP(tcp) }
        source.setCancelHandler { withExtendedLifetime(listener) {} }  // closed once Dispatch let go of it
        tcp.listenSource = source
        source.resume()
    }

    /// tcp-client: connects after `seconds` (the session's backoff) unless the tunnel changed meanwhile.
    func scheduleConnect(afterSeconds seconds: Int64) {
        guard let tcp = tunnel?.tcp, !tcp.isServer else { return }
        after(seconds: seconds) { [weak self] in
            guard let self, self.tunnel?.tcp === tcp else { return }
            self.connectTCP(tcp)
        }
    }

    private func acceptTCP(_ tcp: TCPState) {
        guard let tunnel, tunnel.tcp === tcp, !tcp.closed, !tcp.link.isConnected else { return }
        while let listener = tcp.listener {
            let socket: TCPSocket
            let peer: SocketAddress
            do throws(SystemError) {
                guard case .processed(let accepted) = try listener.accept() else { return }
                (socket, peer) = accepted
            } catch {
                logger.warning("TCP: accept failed: \(error)")
                return
            }
            // With `remote`, only that IP may connect (none before its name resolves); its source port
            // is ephemeral (PROTOCOL.md §9.5).
            if !config.remotes.isEmpty, tunnel.configuredRemote?.addressBytes != peer.addressBytes {
                // The session logs it, rate-limited: anyone can connect to an open port.
                feed(
                    .tcpRejected(
                        address: Self.openVPNAddress(peer), unresolved: tunnel.configuredRemote == nil,
                        now: Clock.monotonicSeconds()))
                continue  // dropping `socket` closes it
            }
            tcpConnected(tunnel, tcp, socket: socket, peer: peer)
            return
        }
    }

    private func connectTCP(_ tcp: TCPState) {
        guard let tunnel, tunnel.tcp === tcp, !tcp.closed, !tcp.link.isConnected, tcp.pending == nil else { return }
        // Looked up off this queue by the session's `.resolveRemote` (TunnelController+Resolve.swift).
        guard let remote = currentRemoteAddress(tunnel) else {
            // The session reports the failing lookups; this attempt is over (at most one a second).
            logger.debug("TCP: \(remoteName(control.remoteIndex)) is not resolved yet")
            after(seconds: 1) { [weak self] in
                guard let self, self.tunnel?.tcp === tcp else { return }
                self.feed(.tcpConnectFailed(now: Clock.monotonicSeconds(), unresolved: true))
            }
            return
        }
        var local: SocketAddress?
        if let host = config.localHost {
            local = try? NameResolution.resolve(
                host: host, port: config.bind ? config.localPort : 0,
                family: remote.family, stream: true
            ).first
        }
        tcp.attempt += 1
        let attempt = tcp.attempt
        logger.notice("Attempting to establish TCP connection with \(Self.openVPNAddress(remote))")
        let socket: TCPSocket
        do throws(SystemError) {
            // A refused option (SO_MARK without CAP_NET_ADMIN) fails this attempt with its reason.
            socket = try TCPSocket.connect(to: remote, from: local) { [config] (fd: Int32) throws(SystemError) in
                try TunnelSocketOptions.apply(config.compat, fd: fd, family: remote.family)
            }
        } catch {
            logger.notice("TCP: connect to \(Self.openVPNAddress(remote)) failed: \(error)")
            feed(.tcpConnectFailed(now: Clock.monotonicSeconds()))
            return
        }
        // Writable means connected or failed (also at once, when loopback connects immediately).
        tcp.pending = socket
        let source = DispatchSource.makeWriteSource(fileDescriptor: socket.fd, queue: queue)
        source.setEventHandler { [unowned self] in
            self.finishConnectTCP(tcp, attempt: attempt, remote: remote, timedOut: false)
        }
        tcp.connectSource = source
        source.resume()
        queue.asyncAfter(deadline: .now() + .seconds(Int(control.settings.connectTimeoutSeconds))) { [weak self] in
            self?.finishConnectTCP(tcp, attempt: attempt, remote: remote, timedOut: true)
        }
    }

    private func finishConnectTCP(_ tcp: TCPState, attempt: Int, remote: SocketAddress, timedOut: Bool) {
        guard tcp.attempt == attempt, let socket = tcp.pending, let source = tcp.connectSource else { return }
        tcp.pending = nil
        tcp.connectSource = nil
        var failure: String?
        if timedOut {
            failure = "Connection timed out"
        } else {
            do throws(SystemError) { try socket.finishConnect() } catch { failure = error.message }
        }
        // The socket stays alive until Dispatch stopped watching its fd.
        source.setCancelHandler { withExtendedLifetime(socket) {} }
        source.cancel()
        guard let tunnel, tunnel.tcp === tcp, !tcp.closed else { return }
        if let failure {
            logger.notice("TCP: connect to \(Self.openVPNAddress(remote)) failed: \(failure)")
            feed(.tcpConnectFailed(now: Clock.monotonicSeconds()))
        } else {
            tcpConnected(tunnel, tcp, socket: socket, peer: remote)
        }
    }

    /// A connection is up: hand it to the link and start a fresh session on it.
    private func tcpConnected(_ tunnel: Tunnel, _ tcp: TCPState, socket: TCPSocket, peer: SocketAddress) {
        // Records are whole packets and a batch leaves in one sendmsg: Nagle would only delay pings.
        try? socket.setNoDelay()
        if tcp.isServer, let source = tcp.listenSource, !tcp.listenSuspended {
            source.suspend()  // one peer at a time; later connections wait in the backlog
            tcp.listenSuspended = true
        }
        let dp = tunnel.dataPlane
        dp.stop()
        tcp.link.attach(fd: socket.releaseFD(), peer: peer)
        dp.resetSession(keepReplayMark: replayPersist != nil)
        dp.peer.set(peer)
        feed(.tcpConnected(address: Self.openVPNAddress(peer), now: Clock.monotonicSeconds()))
        dp.start()
    }

    /// A soft restart on TCP: drop the connection and wait for (server) or make (client, when the
    /// session says `.connect`) a new one.
    func restartTCP(_ tunnel: Tunnel, _ tcp: TCPState) {
        let dp = tunnel.dataPlane
        tcp.link.shutdownConnection()  // wakes a sender blocked on a full socket
        dp.stop()
        tcp.link.detach()
        dp.resetSession(keepReplayMark: replayPersist != nil)
        dp.peer.set(nil)
        dp.start()
        if tcp.isServer, let source = tcp.listenSource, tcp.listenSuspended {
            tcp.listenSuspended = false
            source.resume()
        }
    }

    /// Tear-down: stop accepting/connecting and unblock the data plane's sender.
    func closeTCP(_ tcp: TCPState) {
        tcp.closed = true
        // The cancel handler closes the listening fd later; shutting it down now releases the port
        // for an immediate rebind (SIGHUP: SO_REUSEADDR allows it once the old one stopped listening).
        if let listener = tcp.listener { _ = Glibc.shutdown(listener.fd, Int32(SHUT_RDWR)) }
        if let source = tcp.listenSource {
            if tcp.listenSuspended { source.resume() }  // Dispatch must not release a suspended source
            source.cancel()  // its cancel handler holds the listener until Dispatch is done with it
            tcp.listenSource = nil
        }
        tcp.listener = nil
        if let source = tcp.connectSource, let socket = tcp.pending {
            source.setCancelHandler { withExtendedLifetime(socket) {} }
            source.cancel()
        }
        tcp.connectSource = nil
        tcp.pending = nil
        tcp.link.shutdownConnection()
    }
}
