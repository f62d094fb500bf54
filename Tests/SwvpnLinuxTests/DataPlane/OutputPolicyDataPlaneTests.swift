import Glibc
import SwvpnLinux
import SwvpnProtocol
import Synchronization
import Testing

/// The TX loop's passtos and shaper hooks on a socketpair device and a recording link (no root):
/// every packet leaves with the TOS of the IPv4 packet it carries, set only when it changes.
@Suite(.serialized)
struct OutputPolicyDataPlaneTests {
    /// Records, for every packet sent, the TOS the link had at that moment.
    final class RecordingLink: TunnelLink, @unchecked Sendable {  // state behind Mutexes; `idle` immutable
        let idle = SocketPair(SOCK_SEQPACKET)  // never readable: this link receives nothing
        let tos = Mutex<UInt8>(0)
        let sent = Mutex<[UInt8]>([])
        let tosChanges = Mutex(0)

        var readFD: Int32 { idle.inner }
        var isDatagram: Bool { true }
        func receive(into batch: PacketBatch) throws(LinkError) -> Int { 0 }
        func send(_ batch: PacketBatch, start: Int, count: Int, to peer: SocketAddress) throws(LinkError) -> Int {
            let current = tos.withLock { $0 }
            sent.withLock { $0 += Array(repeating: current, count: count) }
            return 0
        }
        func setTypeOfService(_ value: UInt8) {
            tos.withLock { $0 = value }
            tosChanges.withLock { $0 += 1 }
        }
    }

    func plane(_ link: RecordingLink, _ policy: OutputPolicy, device: SocketPairDevice) throws -> DataPlane {
        let settings = testSettings()
        let key = try #require(StaticKey(bytes: (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }))
        return DataPlane(
            device: device, link: link,
            outbound: OutboundPath(
                settings: settings,
                sealer: try DataChannelSealer(key: key, direction: .normal, layout: settings.layout)),
            inbound: InboundPath(
                settings: settings,
                opener: try DataChannelOpener(key: key, direction: .normal, layout: settings.layout, replay: .init())),
            peer: PeerAddress(addressB), pinnedSource: true, outputPolicy: policy, events: { _ in })
    }

    func waitForSends(_ link: RecordingLink, _ count: Int) -> [UInt8] {
        for _ in 0..<500 {
            let sent = link.sent.withLock { $0 }
            if sent.count >= count { return sent }
            usleep(10_000)
        }
        return link.sent.withLock { $0 }
    }

    @Test func passtosPutsEachIPv4PacketsTOSOnTheSocketWhenItChanges() throws {
        let link = RecordingLink()
        let device = SocketPairDevice()
        let dp = try plane(
            link, OutputPolicy(passTOS: true, ethernet: false, shaper: nil, datagramOverhead: 28), device: device)
        dp.start()
        defer { dp.stop() }
        var ipv6 = [UInt8](repeating: 0, count: 60)
        ipv6[0] = 0x60
        ipv6[5] = 20
        let marks: [UInt8?] = [0, 0xB8, 0xB8, nil, 0, 0x10]  // nil: the IPv6 packet keeps the last TOS
        for (i, mark) in marks.enumerated() {
            var packet = innerPacket(i)
            if let mark { packet[1] = mark } else { packet = ipv6 }
            device.inject(packet)
        }
        #expect(waitForSends(link, marks.count) == [0, 0xB8, 0xB8, 0xB8, 0, 0x10])
        #expect(link.tosChanges.withLock { $0 } == 3, "IP_TOS is set only when it changes")
    }

    @Test func shapedTrafficAllLeavesInOrder() throws {
        let link = RecordingLink()
        let device = SocketPairDevice()
        let shaper = TrafficShaper(bytesPerSecond: 100_000_000)
        let dp = try plane(
            link, OutputPolicy(passTOS: true, ethernet: false, shaper: shaper, datagramOverhead: 28), device: device)
        dp.start()
        defer { dp.stop() }
        for i in 0..<100 {
            var packet = innerPacket(i, size: 1000)
            packet[1] = UInt8(i)
            device.inject(packet)
        }
        #expect(waitForSends(link, 100) == (0..<100).map { UInt8($0) })
    }
}
