import Glibc
import SwvpnLinux
import SwvpnProtocol
import Synchronization
import Testing

/// A TCP peer that stops reading (a zero window; here a stream socketpair whose far end is never
/// read): the TX loop waits a bounded time and says since when, then drops the connection and runs on.
@Suite(.serialized)
struct TCPLinkStallTests {
    let settings = testSettings(tcp: true)

    @Test func aPeerThatStopsReadingIsDroppedAfterTheStallLimitAndTheTXLoopRunsOn() throws {
        var fds: [Int32] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
        let link = try TCPLink(maxRecordLength: settings.maxWirePacket, stallMilliseconds: 1500)
        link.attach(fd: OwnedFD(fds[0]), peer: addressA)
        let b = try Side(link: link, settings: settings, direction: .inverse, peer: addressA)
        b.plane.start()
        let peerEnd = fds[1]  // never read
        defer {
            // Before the fix this shutdown was the only way out of the sender's wait.
            shutdown(peerEnd, Int32(SHUT_RDWR))
            b.plane.stop()
            close(peerEnd)
        }
        // Fill the connection until the TX loop waits for room.
        let packet = innerPacket(1, size: 1400)
        var stalled = false
        for _ in 0..<300 where !stalled {
            for _ in 0..<64 {
                guard packet.withUnsafeBytes({ write(b.device.pair.outer, $0.baseAddress, $0.count) }) > 0 else {
                    break
                }
            }
            usleep(10_000)
            stalled = link.sendStalledSince > 0
        }
        #expect(stalled, "the TX loop never waited for room")
        #expect(
            b.waitForEvent {
                if case .linkFailed(let why) = $0 { why.contains("write stalled for 1500 ms") } else { false }
            }, "no connection failure after the stall limit")
        #expect(link.sendStalledSince == 0, "the wait is over")

        // The TX queue runs again: it records a heartbeat, and drops what it reads for the failed
        // connection without a second report (the control plane replaces the connection).
        b.log.clear()
        let dropped = b.plane.counters.dropped(.linkSend)
        b.plane.heartbeat()
        var beat = false
        for _ in 0..<200 where !beat {
            usleep(10_000)
            beat = b.plane.txHeartbeat.load(ordering: .relaxed) > 0
        }
        #expect(beat, "the TX queue is still blocked")
        for _ in 0..<200 where b.plane.counters.dropped(.linkSend) == dropped {
            _ = packet.withUnsafeBytes { write(b.device.pair.outer, $0.baseAddress, $0.count) }
            usleep(10_000)
        }
        #expect(b.plane.counters.dropped(.linkSend) > dropped)
        #expect(!b.log.contains { if case .linkFailed = $0 { true } else { false } }, "reported once")
    }

    @Test func attachSetsTheStallLimitAsTCPUserTimeout() throws {
        let listener = try TCPSocket.listen(on: try #require(SocketAddress(ip: "127.0.0.1")))
        let client = try TCPSocket.connect(to: try listener.localAddress())
        var accepted: (TCPSocket, SocketAddress)?
        for _ in 0..<500 where accepted == nil {
            if case .processed(let connection) = try listener.accept() { accepted = connection } else { usleep(10_000) }
        }
        let (server, peer) = try #require(accepted)
        let link = try TCPLink(maxRecordLength: 1600, stallMilliseconds: 7000)
        link.attach(fd: server.releaseFD(), peer: peer)
        defer { link.detach() }
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        #expect(getsockopt(link.readFD, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT, &value, &length) == 0)
        #expect(value == 7000)
        withExtendedLifetime(client) {}
    }
}
