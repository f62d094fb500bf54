import SwvpnTestSupport
import Testing

@testable import SwvpnProtocol

/// Software TSO and checksums, checked against a plain 16-bit reference and by re-verifying every
/// segment the way a receiving stack would.
@Suite struct OffloadTests {
    /// RFC 1071 the slow way: big-endian 16-bit words, 32-bit accumulator.
    static func referenceSum(_ bytes: [UInt8]) -> UInt32 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count {
            sum &+= UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
            i += 2
        }
        if i < bytes.count { sum &+= UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return sum
    }

    /// Checksum over `bytes` is valid when the ones'-complement sum is 0xffff.
    static func verifies(_ bytes: [UInt8]) -> Bool { referenceSum(bytes) == 0xffff }

    @Test func checksumMatchesTheReferenceForEveryLength() {
        var rng = SeededGenerator(seed: 7)
        for length in 0..<300 {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let fast = data.withUnsafeBytes { InternetChecksum.finish(InternetChecksum.add($0.baseAddress!, length)) }
            let reference = ~UInt16(Self.referenceSum(data))
            // `finish` returns the value in network byte order as stored on a little-endian host.
            #expect(UInt16(bigEndian: fast) == reference, "length \(length)")
        }
    }

    /// An IPv4 TCP super-packet 10.0.1.10:40000 → 172.16.1.10:5201 with `payload` bytes.
    static func superPacketV4(payload: Int, flags: UInt8 = 0x18) -> [UInt8] {
        var p: [UInt8] = [0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 1, 10, 172, 16, 1, 10]
        let total = 20 + 32 + payload
        p[2] = UInt8(total >> 8)
        p[3] = UInt8(total & 0xff)
        // TCP header with 12 bytes of options (NOP NOP timestamps), as Linux sends.
        p += [0x9c, 0x40, 0x14, 0x51, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1, 0x80, flags, 0x01, 0xf6, 0, 0, 0, 0]
        p += [1, 1, 8, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0]
        p += (0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        return p
    }

    static func superPacketV6(payload: Int) -> [UInt8] {
        var p: [UInt8] = [0x60, 0, 0, 0, 0, 0, 6, 64]
        let tcpLength = 20 + payload
        p[4] = UInt8(tcpLength >> 8)
        p[5] = UInt8(tcpLength & 0xff)
        p += [0xfd, 0] + [UInt8](repeating: 0, count: 13) + [1]
        p += [0xfd, 0] + [UInt8](repeating: 0, count: 13) + [2]
        p += [0x9c, 0x40, 0x14, 0x51, 0, 0, 0x10, 0, 0, 0, 0, 1, 0x50, 0x19, 0x01, 0xf6, 0, 0, 0, 0]
        p += (0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        return p
    }

    static func segments(of packet: [UInt8], mss: Int) throws -> [[UInt8]] {
        try packet.withUnsafeBytes { raw in
            let plan = try #require(TCPSegmenter.plan(raw, mss: mss))
            return (0..<plan.count).map { i in
                var out = [UInt8](repeating: 0, count: plan.segmentLength(i))
                let n = out.withUnsafeMutableBytes {
                    TCPSegmenter.writeSegment(i, of: raw.baseAddress!, plan: plan, to: $0.baseAddress!)
                }
                #expect(n == out.count)
                return out
            }
        }
    }

    static func tcpVerifies(_ seg: [UInt8], ipHeader: Int, isIPv6: Bool) -> Bool {
        let tcp = Array(seg[ipHeader...])
        var pseudo: [UInt8] = isIPv6 ? Array(seg[8..<40]) : Array(seg[12..<20])
        pseudo +=
            isIPv6
            ? [0, 0, UInt8(tcp.count >> 8), UInt8(tcp.count & 0xff), 0, 0, 0, 6]
            : [0, 6, UInt8(tcp.count >> 8), UInt8(tcp.count & 0xff)]
        return verifies(pseudo + tcp)
    }

    @Test(arguments: [1, 1359, 1400, 4000, 65_000 - 52])
    func ipv4SuperPacketSplitsLikeTheKernel(payload: Int) throws {
        let packet = Self.superPacketV4(payload: payload, flags: 0x19 | 0x80)  // FIN PSH ACK CWR
        let segs = try Self.segments(of: packet, mss: 1359)
        #expect(segs.count == (payload + 1358) / 1359)
        var joined: [UInt8] = []
        for (i, seg) in segs.enumerated() {
            #expect(Int(seg[2]) << 8 | Int(seg[3]) == seg.count)
            #expect(Int(seg[4]) << 8 | Int(seg[5]) == 0x1234 + i)
            #expect(Self.verifies(Array(seg[0..<20])), "IPv4 header checksum of segment \(i)")
            #expect(Self.tcpVerifies(seg, ipHeader: 20, isIPv6: false), "TCP checksum of segment \(i)")
            let seq = UInt32(seg[24]) << 24 | UInt32(seg[25]) << 16 | UInt32(seg[26]) << 8 | UInt32(seg[27])
            #expect(seq == 0xdead_beef &+ UInt32(i * 1359))
            let last = i == segs.count - 1
            #expect(seg[33] & 0x09 == (last ? 0x09 : 0), "FIN/PSH only on the last segment")
            #expect(seg[33] & 0x80 == (i == 0 ? 0x80 : 0), "CWR only on the first segment")
            #expect(seg[33] & 0x10 == 0x10, "ACK on every segment")
            #expect(Array(seg[40..<52]) == Array(packet[40..<52]), "options copied")
            joined += seg[52...]
        }
        #expect(joined == Array(packet[52...]))
    }

    @Test func ipv6SuperPacketSplitsWithValidChecksums() throws {
        let packet = Self.superPacketV6(payload: 5000)
        let segs = try Self.segments(of: packet, mss: 1339)
        #expect(segs.count == 4)
        var joined: [UInt8] = []
        for seg in segs {
            #expect(Int(seg[4]) << 8 | Int(seg[5]) == seg.count - 40)
            #expect(Self.tcpVerifies(seg, ipHeader: 40, isIPv6: true))
            joined += seg[60...]
        }
        #expect(joined == Array(packet[60...]))
    }

    @Test func refusesWhatItCannotCut() {
        let udp: [UInt8] = [0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17] + [UInt8](repeating: 0, count: 18)
        udp.withUnsafeBytes { #expect(TCPSegmenter.plan($0, mss: 1000) == nil) }
        let short: [UInt8] = [0x45, 0, 0, 20]
        short.withUnsafeBytes { #expect(TCPSegmenter.plan($0, mss: 1000) == nil) }
        var rng = SeededGenerator(seed: 99)
        for _ in 0..<2000 {
            let junk = (0..<Int.random(in: 0...120, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            junk.withUnsafeBytes { raw in
                if let plan = TCPSegmenter.plan(raw, mss: Int.random(in: 1...200, using: &rng)) {
                    #expect(plan.headerLength < raw.count)
                    #expect(plan.count >= 1)
                }
            }
        }
    }

    @Test func refusesSuperPacketsWhoseSegmentsCannotStateTheirLength() {
        // 70,000 bytes cannot be written into a 16-bit IP length: a drop, not a trap.
        let v4 = Self.superPacketV4(payload: 1000) + [UInt8](repeating: 7, count: 70_000 - 1052)
        #expect(v4.withUnsafeBytes { TCPSegmenter.plan($0, mss: 65_000) } == nil)
        let v6 = Self.superPacketV6(payload: 1000) + [UInt8](repeating: 7, count: 65_600 - 1000)
        #expect(v6.withUnsafeBytes { TCPSegmenter.plan($0, mss: 65_000) } == nil)
        let fits = Self.superPacketV6(payload: 1000) + [UInt8](repeating: 7, count: 65_535 - 20 - 1000)
        #expect(fits.withUnsafeBytes { TCPSegmenter.plan($0, mss: 65_000) } != nil)
    }

    @Test func completesAPartialChecksumLikeTheNIC() throws {
        var packet = Self.superPacketV4(payload: 700)
        // Kernel's CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum.
        let tcpLength = packet.count - 20
        let pseudo = packet.withUnsafeBytes {
            InternetChecksum.pseudoHeader($0.baseAddress!, isIPv6: false, protocolNumber: 6, length: tcpLength)
        }
        let folded = ~InternetChecksum.finish(pseudo)
        withUnsafeBytes(of: folded) {
            packet[36] = $0[0]
            packet[37] = $0[1]
        }
        let ok = packet.withUnsafeMutableBytes { TCPSegmenter.completeChecksum($0, start: 20, offset: 16) }
        #expect(ok)
        #expect(Self.tcpVerifies(packet, ipHeader: 20, isIPv6: false))
    }

    @Test func virtioHeaderRoundTrips() {
        let h = VirtioNetHeader(
            flags: VirtioNetHeader.needsChecksum, gsoType: .tcpv4, headerLength: 52, gsoSize: 1359,
            checksumStart: 20, checksumOffset: 16)
        var raw = [UInt8](repeating: 0, count: VirtioNetHeader.size)
        raw.withUnsafeMutableBytes { h.write(to: $0.baseAddress!) }
        #expect(raw == [1, 1, 52, 0, 0x4f, 0x05, 20, 0, 16, 0])
        let back = raw.withUnsafeBytes { VirtioNetHeader(reading: $0.baseAddress!) }
        #expect(back == h)
        #expect(back.gsoType == .tcpv4)
    }
}

/// Software GRO: what the segmenter cut, the coalescer joins back into the same super-packet.
@Suite struct TCPCoalescerTests {
    static func join(_ segments: [[UInt8]]) -> (accepted: Int, packet: [UInt8], header: VirtioNetHeader)? {
        let c = TCPCoalescer()
        var accepted = 0
        for seg in segments {
            let ok = seg.withUnsafeBytes { c.offer($0) }
            if !ok { break }
            accepted += 1
        }
        guard let out = c.flush() else { return nil }
        let header = VirtioNetHeader(reading: out.baseAddress!)
        return (accepted, Array(out[VirtioNetHeader.size...]), header)
    }

    @Test(arguments: [2000, 1359 * 3, 40_000])
    func segmentsRejoinIntoTheOriginalSuperPacket(payload: Int) throws {
        let original = OffloadTests.superPacketV4(payload: payload, flags: 0x10)
        let segments = try OffloadTests.segments(of: original, mss: 1359)
        let joined = try #require(Self.join(segments))
        #expect(joined.accepted == segments.count)
        #expect(joined.header.gsoType == .tcpv4)
        #expect(Int(joined.header.gsoSize) == 1359)
        #expect(joined.header.flags == VirtioNetHeader.needsChecksum)
        #expect(Int(joined.header.checksumStart) == 20 && joined.header.checksumOffset == 16)
        var packet = joined.packet
        #expect(packet.count == original.count)
        #expect(Array(packet[52...]) == Array(original[52...]), "payload in order")
        #expect(OffloadTests.verifies(Array(packet[0..<20])), "IPv4 header checksum")
        // Finish the partial checksum as the kernel would, then verify it.
        _ = packet.withUnsafeMutableBytes { TCPSegmenter.completeChecksum($0, start: 20, offset: 16) }
        #expect(OffloadTests.tcpVerifies(packet, ipHeader: 20, isIPv6: false))
    }

    @Test func ipv6SegmentsRejoin() throws {
        let original = OffloadTests.superPacketV6(payload: 5000)
        // The v6 sample has FIN|PSH|ACK; strip FIN so GRO may join it.
        var plain = original
        plain[53] = 0x18
        let segments = try OffloadTests.segments(of: plain, mss: 1339)
        let joined = try #require(Self.join(segments))
        #expect(joined.accepted == segments.count)
        #expect(joined.header.gsoType == .tcpv6)
        #expect(Array(joined.packet[60...]) == Array(plain[60...]))
        #expect(Int(joined.packet[4]) << 8 | Int(joined.packet[5]) == joined.packet.count - 40)
    }

    @Test func stopsAtGapsFlagsAndOtherFlows() throws {
        let segments = try OffloadTests.segments(
            of: OffloadTests.superPacketV4(payload: 1359 * 4, flags: 0x10), mss: 1359)
        // A gap: segment 2 missing.
        let gap = try #require(Self.join([segments[0], segments[1], segments[3]]))
        #expect(gap.accepted == 2)
        // A SYN or a UDP packet never starts a run.
        var syn = segments[0]
        syn[33] = 0x02
        #expect(syn.withUnsafeBytes { TCPCoalescer().offer($0) } == false)
        let udp: [UInt8] = [0x45, 0, 0, 48, 0, 0, 0, 0, 64, 17] + [UInt8](repeating: 1, count: 38)
        #expect(udp.withUnsafeBytes { TCPCoalescer().offer($0) } == false)
        // Another destination port: a different flow.
        var other = segments[1]
        other[23] ^= 1
        let mixed = try #require(Self.join([segments[0], other]))
        #expect(mixed.accepted == 1)
        // A single segment comes back as a plain packet.
        let single = try #require(Self.join([segments[0]]))
        #expect(single.header == .plain)
        #expect(single.packet == segments[0])
    }

    @Test func damagedSegmentsPassThroughUnmerged() throws {
        // A payload bit flipped behind the peer, and an IPv4 header damaged where GRO compares
        // nothing (the id field): neither joins a run or starts one, so the kernel sees the bad
        // checksum and drops it instead of receiving it inside a CHECKSUM_PARTIAL super-packet.
        for original in [
            OffloadTests.superPacketV4(payload: 1359 * 3, flags: 0x10), OffloadTests.superPacketV6(payload: 1339 * 3),
        ] {
            var plain = original
            let isIPv6 = plain[0] >> 4 == 6
            if isIPv6 { plain[53] = 0x10 }
            let segments = try OffloadTests.segments(of: plain, mss: isIPv6 ? 1339 : 1359)
            var payloadFlip = segments[1]
            payloadFlip[payloadFlip.count - 7] ^= 0x04
            let joined = try #require(Self.join([segments[0], payloadFlip, segments[2]]))
            #expect(joined.accepted == 1, "IPv6 \(isIPv6): a damaged segment was merged")
            #expect(payloadFlip.withUnsafeBytes { TCPCoalescer().offer($0) } == false)
            #expect(OffloadTests.tcpVerifies(segments[1], ipHeader: isIPv6 ? 40 : 20, isIPv6: isIPv6))
        }
        let segments = try OffloadTests.segments(
            of: OffloadTests.superPacketV4(payload: 1359 * 3, flags: 0x10), mss: 1359)
        var headerFlip = segments[1]
        headerFlip[5] ^= 0x01
        let joined = try #require(Self.join([segments[0], headerFlip]))
        #expect(joined.accepted == 1, "IPv4 header checksum not verified")
        // A length field that disagrees with the datagram: not joined either.
        var long = segments[0] + [0]
        long[3] = segments[0][3]
        #expect(long.withUnsafeBytes { TCPCoalescer().offer($0) } == false)
    }

    @Test func pushEndsTheRun() throws {
        let segments = try OffloadTests.segments(
            of: OffloadTests.superPacketV4(payload: 1359 * 3, flags: 0x18), mss: 1359)
        // Only the last segment carries PSH: all three join, and nothing joins after it.
        let joined = try #require(Self.join(segments + [segments[0]]))
        #expect(joined.accepted == 3)
        #expect(joined.packet[33] == 0x18)
    }
}
