import Testing

@testable import SwvpnHealth

struct StatusTextTests {
    @Test func rendersLikeWgShow() {
        let text = Fixtures.upSnapshot().statusText
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "tunnel: site-a")
        #expect(lines.contains("  state: up"))
        #expect(lines.contains("  peer: 198.51.100.7:1194"))
        #expect(lines.contains("  device: tun0 mtu 1500, 10.8.0.1 -> 10.8.0.2"))
        #expect(lines.contains("  latest authenticated packet: 2 seconds ago"))
        #expect(lines.contains("  latest packet sent: just now"))
        #expect(lines.contains("  transfer: 3.34 MiB received, 1000 B sent"))
        #expect(lines.contains("  probe: rtt 0.813 ms, loss 10%, latest reply 1 second ago"))
        #expect(lines.contains("  routes: 1 installed, missing: 10.30.0.0/16"))
        #expect(lines.contains("  ip_forward: on"))
        #expect(lines.contains("  drops: 3 bad_hmac"))
        #expect(lines.contains("  restarts: 1 ping-restart"))
        #expect(lines.contains("  uptime: 1 hour, 2 minutes, 5 seconds"))
    }

    @Test func waitingAndLost() {
        var s = TunnelSnapshot(tunnel: "b", version: "1")
        #expect(s.statusText.contains("  state: waiting"))
        #expect(s.statusText.contains("  latest authenticated packet: never"))
        #expect(s.statusText.contains("  drops: none"))
        s.state = .lost
        s.reason = "ping-restart"
        #expect(s.statusText.contains("  state: lost (ping-restart)"))
    }

    @Test func units() {
        #expect(TunnelSnapshot.bytes(0) == "0 B")
        #expect(TunnelSnapshot.bytes(1536) == "1.5 KiB")
        #expect(TunnelSnapshot.bytes(5 << 40) == "5 TiB")
        #expect(TunnelSnapshot.duration(86_401) == "1 day, 1 second")
        #expect(TunnelSnapshot.ago(0) == "just now")
    }
}
