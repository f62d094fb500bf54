import Glibc
import SwvpnLinux
import SwvpnProtocol
import Testing

/// A `remote` whose name resolves only after start-up, on socketpair fakes: B has a configured remote
/// (pinned source) without an address until the control plane sets it at runtime.
@Suite(.serialized)
struct PinningDataPlaneTests {
    func pair(pinB: Bool) throws -> (Side<SocketPairLink>, Side<SocketPairLink>, SocketPair) {
        let wire = SocketPair(SOCK_SEQPACKET)
        let a = try Side(
            link: SocketPairLink(fd: wire.inner, source: addressB), settings: testSettings(), direction: .normal,
            peer: addressB, pinnedSource: true)
        let b = try Side(
            link: SocketPairLink(fd: wire.outer, source: addressA), settings: testSettings(), direction: .inverse,
            peer: nil, pinnedSource: pinB)
        a.plane.start()
        b.plane.start()
        return (a, b, wire)
    }

    static func heard(_ address: SocketAddress) -> (DataPlane.Event) -> Bool {
        { if case .peerAuthenticated(address) = $0 { true } else { false } }
    }

    @Test func unresolvedRemoteAcceptsNothingAndOnceResolvedAnotherSourceNeverMovesThePeer() throws {
        let (a, b, wire) = try pair(pinB: true)
        defer {
            a.plane.stop()
            b.plane.stop()
            _ = wire
        }
        // Not resolved yet: even an authenticated packet is dropped before any crypto.
        a.device.inject(innerPacket(1))
        #expect(b.device.delivered(timeout: 300) == nil, "accepted a packet before the remote resolved")
        #expect(b.plane.counters.dropped(.wrongSource) == 1)
        #expect(b.plane.peer.current == nil)
        #expect(!b.log.contains(Self.heard(addressA)))

        // The name resolves: the control plane pins the address at runtime.
        b.plane.peer.set(addressA)
        a.device.inject(innerPacket(2))
        #expect(b.device.delivered() == innerPacket(2))
        #expect(b.waitForEvent(Self.heard(addressA)))

        // A valid packet arriving from another address (replayed or reflected through another host)
        // is dropped as a wrong source, and the peer stays where it was pinned.
        b.link.source.withLock { $0 = addressMoved }
        a.device.inject(innerPacket(3))
        #expect(b.device.delivered(timeout: 300) == nil)
        #expect(b.plane.counters.dropped(.wrongSource) == 2)
        #expect(b.plane.peer.current == addressA)
        #expect(!b.log.contains(Self.heard(addressMoved)))
        #expect(b.plane.counters.snapshot().drops[.badHMAC] == 0, "the filter runs before the HMAC")

        // The pinned address is also where B sends.
        b.device.inject(innerPacket(4))
        #expect(a.device.delivered() == innerPacket(4))
    }

    @Test func floatFollowsAuthenticatedPacketsBeforeTheRemoteResolvesAndKeepsAPeerAlreadyHeard() throws {
        let (a, b, wire) = try pair(pinB: false)
        defer {
            a.plane.stop()
            b.plane.stop()
            _ = wire
        }
        a.device.inject(innerPacket(1))
        #expect(b.device.delivered() == innerPacket(1))
        #expect(b.waitForEvent(Self.heard(addressA)))
        #expect(b.plane.peer.current == addressA)
        // The name resolving later does not take the peer away from where it was heard.
        #expect(!b.plane.peer.set(addressMoved, ifCurrentIs: nil))
        #expect(b.plane.peer.current == addressA)
        b.link.source.withLock { $0 = addressMoved }
        a.device.inject(innerPacket(2))
        #expect(b.device.delivered() == innerPacket(2))
        #expect(b.waitForEvent(Self.heard(addressMoved)), "float: an authenticated packet still moves the peer")
    }
}
