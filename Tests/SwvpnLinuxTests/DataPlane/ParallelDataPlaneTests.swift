import Glibc
import SwvpnLinux
import SwvpnProtocol
import Testing

/// Crypto workers (`SWVPND_WORKERS=2`): whole batches are sealed and opened half on the loop thread,
/// half on a helper, and still leave in order with exact replay protection. A loop is stopped while
/// a burst queues up, so its first wake-up reads one big batch and must share it.
@Suite(.serialized)
struct ParallelDataPlaneTests {
    @Test func burstsKeepTheirOrderBothWays() throws {
        let (a, b, wire) = try DataPlaneTests().datagramPair(pinB: true, workers: 2)
        defer {
            DataPlaneTests().stop(a, b)
            _ = wire
        }
        for (from, to) in [(a, b), (b, a)] {
            let base = from === a ? 0 : 1000
            to.plane.stop()
            from.plane.stop()
            for i in 0..<100 { from.device.inject(innerPacket(base + i, size: 200 + i)) }
            from.plane.start()
            // Sealed, in order, waiting in the link for the stopped receiver.
            usleep(200_000)
            to.plane.start()
            for i in 0..<100 {
                #expect(to.device.delivered() == innerPacket(base + i, size: 200 + i), "packet \(i)")
            }
            #expect(from.plane.parallelBatches().tx >= 1, "the sender shared a batch")
            #expect(to.plane.parallelBatches().rx >= 1, "the receiver shared a batch")
        }
        #expect(a.plane.counters.snapshot().drops == DropCounts())
        #expect(b.plane.counters.snapshot().drops == DropCounts())
    }

    /// The replay window stays on the loop thread, in arrival order: every copy of a packet opened in
    /// the same parallel batch as its original is dropped, and only those.
    @Test func copiesInOneSharedBatchAreDroppedAsReplays() throws {
        let (a, b, wire) = try DataPlaneTests().datagramPair(pinB: true, workers: 2)
        defer {
            DataPlaneTests().stop(a, b)
            _ = wire
        }
        b.plane.stop()
        for i in 0..<20 { a.device.inject(innerPacket(i)) }
        // Take A's sealed packets off the wire, then hand B each one twice (all, then all again).
        var sealed: [[UInt8]] = []
        for _ in 0..<20 {
            guard let packet = readOne(wire.outer) else { break }
            sealed.append(packet)
        }
        try #require(sealed.count == 20)
        for packet in sealed + sealed { writeAll(wire.inner, packet) }
        b.plane.start()
        for i in 0..<20 { #expect(b.device.delivered() == innerPacket(i), "packet \(i)") }
        #expect(b.device.delivered(timeout: 300) == nil, "no copy delivered")
        var drops = DropCounts()
        for _ in 0..<100 {
            drops = b.plane.counters.snapshot().drops
            if drops[.replayed] >= 20 { break }
            usleep(10_000)
        }
        var expected = DropCounts()
        expected[.replayed] = 20
        #expect(drops == expected)
        #expect(b.plane.parallelBatches().rx >= 1, "the copies were opened in a shared batch")
    }
}
