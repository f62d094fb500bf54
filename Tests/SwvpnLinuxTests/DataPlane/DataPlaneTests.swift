import Glibc
import SwvpnLinux
import SwvpnProtocol
import Testing

/// Two data planes against each other in one process, on socketpair fakes: no root, no TUN, no
/// namespaces. A seals with key direction 0 and B with 1, as two openvpn peers would.
@Suite(.serialized)
struct DataPlaneTests {
    /// A (remote pinned to B) and B (no remote: learns A from its first authenticated packet).
    func datagramPair(settings: PacketPathSettings = testSettings(), pinB: Bool = false, workers: Int = 1)
        throws -> (Side<SocketPairLink>, Side<SocketPairLink>, SocketPair)
    {
        let wire = SocketPair(SOCK_SEQPACKET)
        let a = try Side(
            link: SocketPairLink(fd: wire.inner, source: addressB), settings: settings, direction: .normal,
            peer: addressB, pinnedSource: true, workers: workers)
        let b = try Side(
            link: SocketPairLink(fd: wire.outer, source: addressA), settings: settings, direction: .inverse,
            peer: pinB ? addressA : nil, pinnedSource: pinB, workers: workers)
        a.plane.start()
        b.plane.start()
        return (a, b, wire)
    }

    func stop<L>(_ sides: Side<L>...) { for side in sides { side.plane.stop() } }

    @Test(arguments: [nil, 120])
    func pingsBothWays(fragment: Int?) throws {
        let (a, b, wire) = try datagramPair(settings: testSettings(fragment: fragment))
        defer {
            stop(a, b)
            _ = wire
        }
        for i in 0..<20 {
            let size = i.isMultiple(of: 2) ? 84 : 1400
            a.device.inject(innerPacket(i, size: size))
            #expect(b.device.delivered() == innerPacket(i, size: size), "A → B packet \(i)")
        }
        #expect(b.waitForEvent { if case .peerAuthenticated(addressA) = $0 { true } else { false } })
        #expect(b.plane.peer.current == addressA)
        // Every byte A wrote to the link is a byte B read (each loop adds its counts after a wake-up).
        var written: UInt64 = 0
        var read: UInt64 = 0
        for _ in 0..<100 {
            (written, read) = (a.plane.counters.snapshot().linkWriteBytes, b.plane.counters.snapshot().linkReadBytes)
            if written == read { break }
            usleep(10_000)
        }
        #expect(written == read && written > 0, "A wrote \(written) link bytes, B read \(read)")
        for i in 0..<20 {
            b.device.inject(innerPacket(100 + i, size: 1000))
            #expect(a.device.delivered() == innerPacket(100 + i, size: 1000), "B → A packet \(i)")
        }
        #expect(a.plane.counters.snapshot().drops == DropCounts())
        #expect(b.plane.counters.snapshot().drops == DropCounts())
    }

    @Test func unpinnedPeerFloatsPinnedPeerDropsOtherSources() throws {
        let (a, b, wire) = try datagramPair()
        defer {
            stop(a, b)
            _ = wire
        }
        a.device.inject(innerPacket(1))
        #expect(b.device.delivered() == innerPacket(1))
        b.link.source.withLock { $0 = addressMoved }
        a.device.inject(innerPacket(2))
        #expect(b.device.delivered() == innerPacket(2))
        #expect(b.waitForEvent { if case .peerAuthenticated(addressMoved) = $0 { true } else { false } })
        #expect(b.plane.peer.current == addressMoved)

        let (c, d, wire2) = try datagramPair(pinB: true)
        defer {
            stop(c, d)
            _ = wire2
        }
        d.link.source.withLock { $0 = addressMoved }
        c.device.inject(innerPacket(3))
        #expect(d.device.delivered(timeout: 300) == nil)
        #expect(d.plane.counters.dropped(.wrongSource) == 1)
        #expect(d.plane.peer.current == addressA)
    }

    @Test func restartStartsFreshSessionsOnBothSides() throws {
        let (a, b, wire) = try datagramPair()
        defer {
            stop(a, b)
            _ = wire
        }
        a.device.inject(innerPacket(1))
        #expect(b.device.delivered() == innerPacket(1))
        for round in 0..<3 {
            a.plane.stop()
            b.plane.stop()
            a.plane.resetSession()
            b.plane.resetSession()
            a.plane.start()
            b.plane.start()
            a.device.inject(innerPacket(10 + round))
            #expect(b.device.delivered() == innerPacket(10 + round), "after restart \(round)")
            b.device.inject(innerPacket(20 + round))
            #expect(a.device.delivered() == innerPacket(20 + round), "after restart \(round)")
        }
        #expect(b.plane.counters.dropped(.replayed) == 0)
    }

    @Test func garbageDatagramsAreDroppedBetweenGoodOnes() throws {
        let (a, b, wire) = try datagramPair()
        defer { stop(a, b) }
        var rng = SystemRandomNumberGenerator()
        for i in 0..<30 {
            // Straight onto A's end of the wire, as an attacker on the path would.
            writeAll(
                wire.inner,
                (0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            a.device.inject(innerPacket(i))
            #expect(b.device.delivered() == innerPacket(i))
        }
        #expect(b.plane.counters.dropped(.badHMAC) == 30)
    }

    @Test func controlPlaneInjectsAndInterceptsInnerPackets() throws {
        let (a, b, wire) = try datagramPair()
        defer {
            stop(a, b)
            _ = wire
        }
        a.device.inject(innerPacket(1))
        #expect(b.device.delivered() == innerPacket(1))
        let probe = innerPacket(42)
        b.plane.setInboundIntercept { $0.count == probe.count && $0[20] == UInt8(truncatingIfNeeded: 42 + 20) }
        // A probe injected on B's side reaches A's device; A's reply-like packet is claimed at B.
        b.plane.sendControl(
            .innerPacket(write: { room in
                room.copyBytes(from: probe)
                return probe.count
            }))
        #expect(a.device.delivered() == probe)
        a.device.inject(probe)
        a.device.inject(innerPacket(2))
        #expect(b.device.delivered() == innerPacket(2), "the claimed packet never reached the device")
    }
}
