@testable import SwvpnHealth

enum Fixtures {
    static func upSnapshot() -> TunnelSnapshot {
        var s = TunnelSnapshot(tunnel: "site-a", version: "0.1.0")
        s.pid = 4242
        s.state = .up
        s.peer = "198.51.100.7:1194"
        s.local = "0.0.0.0:1194"
        s.lastReceivedSeconds = 2
        s.lastSentSeconds = 0
        s.device = "tun0"
        s.mtu = 1500
        s.tunnelAddress = "10.8.0.1"
        s.tunnelPeerAddress = "10.8.0.2"
        s.routesInstalled = ["10.20.0.0/16"]
        s.routesMissing = ["10.30.0.0/16"]
        s.ipForward = true
        s.traffic.tunReadBytes = 1_000
        s.traffic.tunWriteBytes = 3_500_000
        s.traffic.linkReadBytes = 3_600_000
        s.traffic.linkWriteBytes = 1_200
        s.traffic.authReadBytes = 3_599_000
        s.traffic.linkReadPackets = 2_500
        s.traffic.linkWritePackets = 12
        s.drops = [.init("bad_hmac", 3), .init("replayed", 0)]
        s.restarts = [.init("ping-restart", 1)]
        s.uptimeSeconds = 3_725
        s.unixTime = 1_800_000_000
        s.probe = ProbeStatistics(
            intervalSeconds: 1, sent: 10, received: 9, lossPercent: 10, rttMilliseconds: 0.8125,
            lastReplyMilliseconds: 1_200, thresholdMilliseconds: 2_500)
        return s
    }
}
