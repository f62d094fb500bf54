import Glibc
import SwvpnLinux
import SwvpnProtocol
import Testing

/// `multihome` on real UDP sockets over loopback, where every 127.x address is local: B (pinned, no
/// float) sends to A's second address 127.0.0.2; A's replies must leave from 127.0.0.2, or B drops
/// them as from the wrong source. No root, no namespaces: traffic only between loopback addresses.
/// And `dev null`: a data plane whose device is `TUNDevice(null:)`.
@Suite(.serialized)
struct MultihomeDataPlaneTests {
    static let secondary: UInt32 = 0x7F00_0002  // 127.0.0.2

    /// A listens on every address (no remote, multihome as given); B is pinned to A at 127.0.0.2.
    static func loopbackPair(multihome: Bool, settings: PacketPathSettings = testSettings()) throws
        -> (a: Side<UDPLink>, b: Side<UDPLink>)
    {
        let socketA = try UDPSocket(bindingTo: SocketAddress(ipv4: 0, port: 0))
        if multihome { try socketA.enablePacketInfo() }
        let socketB = try UDPSocket(bindingTo: SocketAddress(ipv4: 0x7F00_0001, port: 0))
        let toA = SocketAddress(ipv4: secondary, port: try socketA.localAddress().port)
        let a = try Side(
            link: UDPLink(socket: socketA, multihome: multihome), settings: settings, direction: .normal, peer: nil)
        let b = try Side(
            link: UDPLink(socket: socketB), settings: settings, direction: .inverse, peer: toA, pinnedSource: true)
        a.plane.start()
        b.plane.start()
        return (a, b)
    }

    @Test func repliesLeaveFromTheAddressThePeerSentTo() throws {
        let (a, b) = try Self.loopbackPair(multihome: true)
        defer { DataPlaneTests().stop(a, b) }
        b.device.inject(innerPacket(1))
        #expect(a.device.delivered() == innerPacket(1))
        // The latch comes with the peer (notePeer), after the delivery.
        #expect(a.waitForEvent { if case .peerAuthenticated = $0 { true } else { false } })
        let latched = try #require(a.link.multihome?.current)
        #expect(latched.arrival.address == SocketAddress(ipv4: Self.secondary, port: 0))
        #expect(latched.arrival.interfaceIndex == if_nametoindex("lo"))
        for i in 2..<40 {  // a whole batch's worth each way: every sendmmsg message carries the pktinfo
            a.device.inject(innerPacket(i))
            #expect(b.device.delivered() == innerPacket(i), "A → B packet \(i)")
        }
        a.plane.sendControl(.ping)
        #expect(b.waitForEvent { if case .peerAuthenticated = $0 { true } else { false } })
        #expect(b.plane.counters.snapshot().drops == DropCounts())
    }

    /// The negative control: the same pair without multihome. A answers from 127.0.0.1 (the kernel's
    /// choice), and B, pinned to 127.0.0.2, drops every reply before decryption.
    @Test func withoutMultihomeThePinnedPeerDropsTheReplies() throws {
        let (a, b) = try Self.loopbackPair(multihome: false)
        defer { DataPlaneTests().stop(a, b) }
        b.device.inject(innerPacket(1))
        #expect(a.device.delivered() == innerPacket(1))
        #expect(a.link.multihome == nil)
        a.device.inject(innerPacket(2))
        #expect(b.device.delivered(timeout: 300) == nil)
        var dropped: UInt64 = 0
        for _ in 0..<100 where dropped == 0 {
            dropped = b.plane.counters.snapshot().drops[.wrongSource]
            usleep(10_000)
        }
        #expect(dropped >= 1, "B did not count A's reply as from the wrong source")
    }

    /// `dev null`: what the peer sends is authenticated, decrypted, counted as device bytes and
    /// discarded; pings still go out; the device never wakes the TX loop.
    @Test func nullDeviceCountsAndDiscardsWhatThePeerSends() throws {
        let wire = SocketPair(SOCK_SEQPACKET)
        let settings = testSettings()
        let null = try TUNDevice(null: ())
        #expect(null.name == "null" && null.ifindex == 0)
        let (outbound, inbound) = try testPaths(settings, .normal)
        let a = DataPlane(
            device: null, link: SocketPairLink(fd: wire.inner, source: addressB), outbound: outbound,
            inbound: inbound, peer: PeerAddress(addressB), pinnedSource: true, events: { _ in })
        let b = try Side(
            link: SocketPairLink(fd: wire.outer, source: addressA), settings: settings, direction: .inverse,
            peer: addressA, pinnedSource: true)
        a.start()
        b.plane.start()
        defer {
            a.stop()
            b.plane.stop()
        }
        let sizes = [84, 1000, 1400]
        for size in sizes { b.device.inject(innerPacket(size, size: size)) }
        var written: UInt64 = 0
        for _ in 0..<300 where written < UInt64(sizes.reduce(0, +)) {
            written = a.counters.snapshot().tunWriteBytes
            usleep(10_000)
        }
        #expect(written == UInt64(sizes.reduce(0, +)), "decrypted bytes counted as written to the null device")
        #expect(a.counters.snapshot().drops == DropCounts())
        a.sendControl(.ping)
        #expect(b.waitForEvent { if case .peerAuthenticated(addressA) = $0 { true } else { false } })
        #expect(b.device.delivered(timeout: 200) == nil, "a ping is not a tunnel packet")
        #expect(a.counters.snapshot().tunReadBytes == 0)
    }
}
