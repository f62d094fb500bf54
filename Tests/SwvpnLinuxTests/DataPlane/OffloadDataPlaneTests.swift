import Glibc
import SwvpnLinux
import SwvpnProtocol
import Testing

/// The offload paths without a kernel: the fake device carries virtio headers like a TUN device
/// opened with `IFF_VNET_HDR`, and the fake link splits UDP GSO trains as the kernel would.
@Suite(.serialized)
struct OffloadDataPlaneTests {
    let offload = Offload(tunVirtioHeader: true, segmentation: true, receiveCoalescing: false)

    func pair(workers: Int = 1) throws -> (Side<SocketPairLink>, Side<SocketPairLink>, SocketPair) {
        let wire = SocketPair(SOCK_SEQPACKET)
        let a = try Side(
            link: SocketPairLink(fd: wire.inner, source: addressB), settings: testSettings(),
            direction: .normal, peer: addressB, offload: offload, workers: workers)
        let b = try Side(
            link: SocketPairLink(fd: wire.outer, source: addressA), settings: testSettings(),
            direction: .inverse, peer: addressA, offload: offload, workers: workers)
        a.plane.start()
        b.plane.start()
        return (a, b, wire)
    }

    func header(_ h: VirtioNetHeader) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: VirtioNetHeader.size)
        bytes.withUnsafeMutableBytes { h.write(to: $0.baseAddress!) }
        return bytes
    }

    /// An IPv4 TCP ACK segment of `payload` bytes (checksums left for the stack to fill).
    func tcpPacket(payload: Int) -> [UInt8] {
        var p = [UInt8](repeating: 0, count: 40 + payload)
        p[0] = 0x45
        p[2] = UInt8((40 + payload) >> 8)
        p[3] = UInt8(truncatingIfNeeded: 40 + payload)
        p[8] = 64
        p[9] = 6
        p[12...15] = [10, 8, 0, 1]
        p[16...19] = [10, 8, 0, 2]
        p[20...23] = [0x9c, 0x40, 0x00, 0x50]  // ports 40000 → 80
        p[24...27] = [0, 0, 1, 0]  // seq
        p[28...31] = [0, 0, 0, 1]  // ack
        p[32] = 0x50
        p[33] = 0x10  // ACK
        p[34...35] = [0xff, 0xff]
        for i in 40..<p.count { p[i] = UInt8(truncatingIfNeeded: i &* 13) }
        return p
    }

    @Test func plainPacketsCarryVirtioHeadersBothWays() throws {
        let (a, b, wire) = try pair()
        defer {
            a.plane.stop()
            b.plane.stop()
            _ = wire
        }
        for i in 0..<10 {
            a.device.inject(header(.plain) + innerPacket(i))
            #expect(b.device.delivered() == header(.plain) + innerPacket(i))
            b.device.inject(header(.plain) + innerPacket(50 + i))
            #expect(a.device.delivered() == header(.plain) + innerPacket(50 + i))
        }
    }

    /// With 2 workers the 16-segment train is sealed half by the TX loop, half by its helper; the
    /// 16 datagrams are opened the same way on B (without GRO the fake link hands them over in one read).
    @Test(arguments: [(1, 4000), (2, 16000)])
    func superPacketIsCutSealedAndJoinedAgain(workers: Int, bytes: Int) throws {
        let (a, b, wire) = try pair(workers: workers)
        defer {
            a.plane.stop()
            b.plane.stop()
            _ = wire
        }
        let packet = tcpPacket(payload: bytes)
        let tso = VirtioNetHeader(
            flags: VirtioNetHeader.needsChecksum, gsoType: .tcpv4, headerLength: 40,
            gsoSize: 1000, checksumStart: 20, checksumOffset: 16)
        a.device.inject(header(tso) + packet)
        var payload: [UInt8] = []
        while payload.count < bytes, let got = b.device.delivered() {
            payload += got.dropFirst(VirtioNetHeader.size + 40)
        }
        #expect(payload == Array(packet[40...]))
        // One sealed packet per 1000 bytes crossed the link, one packet-id each.
        #expect(a.plane.counters.linkWritePackets.load(ordering: .relaxed) == 1, "one GSO train")
        // The RX loop adds its counters after the TUN write that delivered the payload: wait for them.
        var linkReads: UInt64 = 0
        for _ in 0..<500 {
            linkReads = b.plane.counters.linkReadPackets.load(ordering: .relaxed)
            if linkReads >= bytes / 1000 { break }
            usleep(10_000)
        }
        #expect(linkReads == UInt64(bytes / 1000))
        #expect(b.plane.counters.snapshot().drops == DropCounts())
        if workers > 1 { #expect(a.plane.parallelBatches().tx >= 1, "the train was shared with a helper") }
    }
}
