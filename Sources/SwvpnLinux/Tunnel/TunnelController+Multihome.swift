extension TunnelController {
    /// `multihome`: which local address the replies to a newly heard peer leave from (openvpn 2.6
    /// shows it as "(via [AF_INET]10.0.0.3%eth0)" after the peer's address).
    func logMultihomeSource(peer: SocketAddress) {
        guard let multihome = (tunnel?.link as? UDPLink)?.multihome, let latched = multihome.current,
            latched.peer == peer
        else { return }
        logger.notice("multihome: replies to \(Self.openVPNAddress(peer)) leave via \(latched.arrival)")
    }
}
