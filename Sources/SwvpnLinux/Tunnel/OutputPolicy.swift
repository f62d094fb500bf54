import SwvpnConfig
import SwvpnProtocol

/// `passtos` and `shaper`: what the TX loop does to outer packets besides sealing them. TX-queue state
/// (PacketLoops+OutputPolicy.swift applies it); a tunnel without either option has none, and the loop
/// then pays one nil check per packet.
package struct OutputPolicy {
    /// `passtos`: the TOS of each IPv4 packet goes on the socket before the packet is sent.
    let passTOS: Bool
    /// A tap device: the IPv4 packet is behind an Ethernet header.
    let ethernet: Bool
    /// The TOS the socket has now (0 at first; a TCP link puts it on each new connection itself).
    var socketTOS: UInt8 = 0
    /// `shaper n`.
    var shaper: TrafficShaper?
    /// Outer IP and UDP/TCP header bytes, which openvpn's shaper counts with every packet.
    let datagramOverhead: Int

    /// nil when the config has neither option.
    package init?(config: TunnelConfig, underlay: UnderlayFamily) {
        guard config.host.passTOS || config.host.shaperBytesPerSecond != nil else { return nil }
        self.init(
            passTOS: config.host.passTOS, ethernet: config.deviceType == .tap,
            shaper: config.host.shaperBytesPerSecond.map { TrafficShaper(bytesPerSecond: $0) },
            datagramOverhead: underlay.datagramOverhead(config.transport.isTCP ? .tcp : .udp))
    }

    package init(passTOS: Bool, ethernet: Bool, shaper: TrafficShaper?, datagramOverhead: Int) {
        self.passTOS = passTOS
        self.ethernet = ethernet
        self.shaper = shaper
        self.datagramOverhead = datagramOverhead
    }
}
