import Dispatch
import Glibc
import SwvpnLinux
import SwvpnProtocol
import SwvpnTestSupport
import Testing

/// Zero heap allocations in the packet loops' steady state: two data planes on socketpair fakes,
/// 1000 packets each way after a warm-up, counted exactly on these planes' own Dispatch queues
/// (marked from the loops' public hooks), so neither the test thread's injecting and reading nor
/// other tests' data planes running in parallel are counted.
///
/// The TX loops are counted with a cipher too: the sealer draws its IVs from its own DRBG, not from
/// `RAND_bytes`, whose per-thread state OpenSSL builds on every new Dispatch worker
/// (`ZeroAllocationTests.sealingOnAFreshThreadAllocatesNothing`).
@Suite(.serialized)
struct DataPlaneAllocationTests {
    /// The queue counter's positive control: work on a watched queue is counted, on others not.
    @Test func queueCounterSeesOnlyWatchedQueues() throws {
        let watched = DispatchQueue(label: "swvpnd.probe")
        let other = DispatchQueue(label: "swvpnd.probe")
        func allocate(on queue: DispatchQueue) {
            queue.async { withExtendedLifetime([Int](repeating: 1, count: 64)) {} }
            queue.sync {}
        }
        #expect(watched.sync { AllocationCounter.watchCurrentQueue() })
        let counted = try #require(AllocationCounter.countOnWatchedQueues { allocate(on: watched) })
        #expect(counted >= 1)
        #expect(watched.sync { AllocationCounter.watchCurrentQueue() })
        let ignored = try #require(AllocationCounter.countOnWatchedQueues { allocate(on: other) })
        #expect(ignored == 0, "a queue with the same label text but not watched")
    }

    /// The crypto workers' positive control: they are plain threads, counted by their name.
    @Test func cryptoWorkerThreadsAreCountedByName() throws {
        let watched = DispatchQueue(label: "swvpnd.probe")
        #expect(watched.sync { AllocationCounter.watchCurrentQueue() })
        let counted = try #require(
            AllocationCounter.countOnWatchedQueues {
                _ = FreshThread.run {
                    let fd = open("/proc/thread-self/comm", O_WRONLY)
                    _ = write(fd, "swvpnd-cw-test", 14)
                    close(fd)
                    return withExtendedLifetime([Int](repeating: 1, count: 64)) { 1 }
                }
            })
        #expect(counted >= 1)
    }

    /// Two crypto workers: bursts of 64 packets, so batches are sealed and opened half by each loop
    /// thread and half by its helper; the loops and the helpers allocate nothing.
    @Test func sharedBatchesAllocateNothing() throws {
        try #require(AllocationCounter.isLive, "malloc interposer not in effect")
        let settings = PacketPathSettings(layout: FrameLayout(cipher: .aes256CBC, digest: .sha256))
        let (a, b, wire) = try DataPlaneTests().datagramPair(settings: settings, pinB: true, workers: 2)
        defer {
            DataPlaneTests().stop(a, b)
            _ = wire
        }
        let packets = (0..<64).map { innerPacket($0, size: 1000) }
        func burst() -> Int {
            for packet in packets { a.device.inject(packet) }
            return packets.filter { b.device.delivered() == $0 }.count
        }
        b.plane.setInboundIntercept { _ in
            AllocationCounter.watchCurrentQueue()
            return false
        }
        a.plane.sendControl(
            .innerPacket(write: { room in
                AllocationCounter.watchCurrentQueue()
                room.copyBytes(from: packets[0])
                return packets[0].count
            }))
        #expect(b.device.delivered() == packets[0])
        for _ in 0..<5 { #expect(burst() == 64, "warm-up") }
        b.plane.setInboundIntercept(nil)
        let before = (a.plane.parallelBatches().tx, b.plane.parallelBatches().rx)
        var delivered = 0
        let allocations = try #require(
            AllocationCounter.countOnWatchedQueues { for _ in 0..<20 { delivered += burst() } },
            "no loop queue watched")
        #expect(delivered == 20 * 64)
        #expect(allocations == 0, "\(allocations) allocations in the loops and workers for \(delivered) packets")
        let after = (a.plane.parallelBatches().tx, b.plane.parallelBatches().rx)
        #expect(after.0 > before.0, "A's TX loop shared batches while counted")
        #expect(after.1 > before.1, "B's RX loop shared batches while counted")
        #expect(a.plane.counters.snapshot().drops == DropCounts())
        #expect(b.plane.counters.snapshot().drops == DropCounts())
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let cipher: CipherSpec
        let digest: DigestSpec
        var testDescription: String { "\(cipher)/\(digest)" }
    }

    @Test(
        arguments: [
            Case(cipher: .none, digest: .none),
            Case(cipher: .aes256CBC, digest: .sha256),
        ], [64, 1400])
    func datagramRoundTripsAllocateNothingInTheLoops(c: Case, size: Int) throws {
        try #require(AllocationCounter.isLive, "malloc interposer not in effect")
        let settings = PacketPathSettings(layout: FrameLayout(cipher: c.cipher, digest: c.digest))
        let (a, b, wire) = try DataPlaneTests().datagramPair(settings: settings, pinB: true)
        defer {
            DataPlaneTests().stop(a, b)
            _ = wire
        }
        try Self.roundTripsAllocateNothing(a, b, size: size)
    }

    /// `multihome` on loopback UDP sockets (MultihomeDataPlaneTests): the arrival address on every
    /// receive and the pktinfo control message on every send cost no allocation either.
    @Test func multihomeRoundTripsAllocateNothingInTheLoops() throws {
        try #require(AllocationCounter.isLive, "malloc interposer not in effect")
        let settings = PacketPathSettings(layout: FrameLayout(cipher: .aes256CBC, digest: .sha256))
        let (a, b) = try MultihomeDataPlaneTests.loopbackPair(multihome: true, settings: settings)
        defer { DataPlaneTests().stop(a, b) }
        b.device.inject(innerPacket(99))  // A has no remote: it learns B (and the address to answer from) here
        #expect(a.device.delivered() == innerPacket(99))
        #expect(a.waitForEvent { if case .peerAuthenticated = $0 { true } else { false } })
        #expect(a.link.multihome?.current != nil)
        try Self.roundTripsAllocateNothing(a, b, size: 1400)
    }

    /// 1000 round trips between `a` and `b` after a warm-up, counted on the loops' own queues.
    static func roundTripsAllocateNothing<L>(_ a: Side<L>, _ b: Side<L>, size: Int) throws {
        let packets = (0..<8).map { innerPacket($0, size: size) }
        func exchange(_ rounds: Int) -> Int {
            var delivered = 0
            for i in 0..<rounds {
                a.device.inject(packets[i % 8])
                if b.device.delivered() == packets[i % 8] { delivered += 1 }
                b.device.inject(packets[(i + 4) % 8])
                if a.device.delivered() == packets[(i + 4) % 8] { delivered += 1 }
            }
            return delivered
        }
        // Mark the loops' queues from their hooks: the inbound intercept runs on RX, a control
        // message's writer on TX. Both hooks are gone before counting.
        for (side, other) in [(a, b), (b, a)] {
            side.plane.setInboundIntercept { _ in
                AllocationCounter.watchCurrentQueue()
                return false
            }
            let probe = packets[0]
            side.plane.sendControl(
                .innerPacket(write: { room in
                    AllocationCounter.watchCurrentQueue()
                    room.copyBytes(from: probe)
                    return probe.count
                }))
            #expect(other.device.delivered() == probe)
        }
        #expect(exchange(50) == 100, "warm-up")
        a.plane.setInboundIntercept(nil)
        b.plane.setInboundIntercept(nil)
        var delivered = 0
        let allocations = try #require(
            AllocationCounter.countOnWatchedQueues { delivered = exchange(1000) },
            "no loop queue watched")
        #expect(delivered == 2000)
        #expect(allocations == 0, "\(allocations) allocations in the loops for 2000 packets")
        #expect(a.plane.counters.snapshot().drops == DropCounts())
        #expect(b.plane.counters.snapshot().drops == DropCounts())
    }
}
