import SwvpnProtocol
import SwvpnTestSupport
import Testing

struct MSSClampTests {
    @Test func defaultLimitsMatchOpenVPN() {
        #expect(MSSClamp.limit(layout: FrameLayout(cipher: .aes256CBC, digest: .sha256)) == 1359)
        #expect(MSSClamp.limit(layout: FrameLayout(cipher: .bfCBC, digest: .sha1)) == 1383)
        #expect(
            MSSClamp.limit(layout: FrameLayout(cipher: .aes128CBC, digest: .sha512), compression: .lzoPrefix) == 1326)
        #expect(MSSClamp.limit(layout: FrameLayout(cipher: .aes256CBC, digest: .sha256), underlay: .unknown) == 1343)
        #expect(MSSClamp.limit(layout: FrameLayout(cipher: .aes128CBC, digest: .sha1)) == 1375)
        #expect(MSSClamp.limit(layout: FrameLayout(cipher: .none, digest: .none)) == 1416)
    }

    @Test func mssfixVariants() {
        let layout = FrameLayout(cipher: .aes256CBC, digest: .sha256)
        #expect(MSSClamp.limit(layout: layout, mssfix: .disabled) == nil)
        #expect(MSSClamp.limit(layout: layout, tunMTU: 1400) == 1360)
        #expect(MSSClamp.limit(layout: layout, mssfix: .fixed(1400)) == 1360)
        #expect(MSSClamp.limit(layout: layout, mssfix: .mtu(1492)) == 1359)
        #expect(MSSClamp.limit(layout: layout, mssfix: .plain(1450)) == 1343)  // 1450-48=1402 → 1391 - 48
        #expect(MSSClamp.limit(layout: layout, transport: .tcp) == 1343)  // 1492-90=1402 → 1391 - 48
        #expect(MSSClamp.limit(layout: layout, compression: .stubV2) == 1359)
    }

    static func checksumOK(_ packet: [UInt8]) -> Bool {
        let ihl = packet[0] >> 4 == 4 ? Int(packet[0] & 0x0f) * 4 : 40
        let tcp = Array(packet[ihl...])
        var sum: UInt32 = 0
        func add(_ hi: UInt8, _ lo: UInt8) { sum += UInt32(hi) << 8 | UInt32(lo) }
        if packet[0] >> 4 == 4 {
            for i in stride(from: 12, to: 20, by: 2) { add(packet[i], packet[i + 1]) }
            sum += 6 + UInt32(tcp.count)
        } else {
            for i in stride(from: 8, to: 40, by: 2) { add(packet[i], packet[i + 1]) }
            sum += 6 + UInt32(tcp.count)
        }
        var padded = tcp
        if padded.count % 2 == 1 { padded.append(0) }
        for i in stride(from: 0, to: padded.count, by: 2) { add(padded[i], padded[i + 1]) }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return sum == 0xffff
    }

    /// Rewrites the MSS option and recomputes the TCP checksum from scratch.
    static func withMSS(_ packet: [UInt8], mssOffset: Int, mss: UInt16) -> [UInt8] {
        var p = packet
        p[mssOffset] = UInt8(mss >> 8)
        p[mssOffset + 1] = UInt8(mss & 0xff)
        let ihl = p[0] >> 4 == 4 ? Int(p[0] & 0x0f) * 4 : 40
        p[ihl + 16] = 0
        p[ihl + 17] = 0
        var sum: UInt32 = 0
        func add(_ hi: UInt8, _ lo: UInt8) { sum += UInt32(hi) << 8 | UInt32(lo) }
        let range = p[0] >> 4 == 4 ? stride(from: 12, to: 20, by: 2) : stride(from: 8, to: 40, by: 2)
        for i in range { add(p[i], p[i + 1]) }
        sum += 6 + UInt32(p.count - ihl)
        var tcp = Array(p[ihl...])
        if tcp.count % 2 == 1 { tcp.append(0) }
        for i in stride(from: 0, to: tcp.count, by: 2) { add(tcp[i], tcp[i + 1]) }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        let c = ~UInt16(sum)
        p[ihl + 16] = UInt8(c >> 8)
        p[ihl + 17] = UInt8(c & 0xff)
        return p
    }

    func clamped(_ packet: [UInt8], _ mss: Int) -> (changed: Bool, packet: [UInt8]) {
        var p = packet
        let changed = p.withUnsafeMutableBytes { MSSClamp.clamp(ipPacket: $0, maxMSS: mss) }
        return (changed, p)
    }

    @Test func reproducesOpenVPNClampOfCapturedSYN() throws {
        let syn = try #require(
            try Vectors.packets("aes-256-cbc-sha256-keydir-udp").first { $0.frame == 18 }?.innerPacket)
        #expect(Self.checksumOK(syn))
        // A's openvpn already clamped the kernel's 1460 to 1359 (0x054f): redo that from 1460.
        let original = Self.withMSS(syn, mssOffset: 20 + 22, mss: 1460)
        #expect(Self.checksumOK(original))
        let result = clamped(original, 1359)
        #expect(result.changed)
        #expect(result.packet == syn)
        // Already at the limit: untouched.
        #expect(clamped(syn, 1359) == (false, syn))
        let lower = clamped(syn, 1200)
        #expect(lower.changed && Self.checksumOK(lower.packet))
        #expect(lower.packet[42] == 0x04 && lower.packet[43] == 0xb0)
        // The SYN-ACK (frame 19) is clamped too.
        let synAck = try #require(
            try Vectors.packets("aes-256-cbc-sha256-keydir-udp").first { $0.frame == 19 }?.innerPacket)
        let sa = clamped(synAck, 1000)
        #expect(sa.changed && Self.checksumOK(sa.packet))
    }

    static func ipv6SYN(mss: UInt16) -> [UInt8] {
        var p = [UInt8](repeating: 0, count: 40 + 24)
        p[0] = 0x60
        p[5] = 24  // payload length
        p[6] = 6
        p[7] = 64
        for i in 8..<40 { p[i] = UInt8(i * 7 & 0xff) }  // addresses
        p[40] = 0x1f
        p[41] = 0x90
        p[42] = 0xa0
        p[43] = 0xf8
        p[52] = 0x60  // data offset 6 words
        p[53] = 0x02  // SYN
        p[54] = 0xff
        p[55] = 0xff
        p[60] = 2
        p[61] = 4
        return withMSS(p, mssOffset: 62, mss: mss)
    }

    @Test func clampsIPv6To20Less() {
        let p = Self.ipv6SYN(mss: 1440)
        #expect(Self.checksumOK(p))
        let r = clamped(p, 1359)
        #expect(r.changed && Self.checksumOK(r.packet))
        #expect(Int(r.packet[62]) << 8 | Int(r.packet[63]) == 1339)
        #expect(!clamped(Self.ipv6SYN(mss: 1300), 1359).changed)
    }

    /// tap: the IP packet behind an Ethernet header, or behind an 802.1Q tag, is clamped as openvpn does;
    /// ARP and a frame padded past its IP packet are left alone.
    @Test func clampsBehindEthernetAndVLANHeaders() {
        let mac: [UInt8] = [0x02, 0, 0x5e, 0, 0, 1, 0x02, 0, 0x5e, 0, 0, 2]
        let ip6 = Self.ipv6SYN(mss: 1440)
        for header in [mac + [0x86, 0xdd], mac + [0x81, 0x00, 0x00, 0x07, 0x86, 0xdd]] {
            var frame = header + ip6
            let changed = frame.withUnsafeMutableBytes { MSSClamp.clamp($0, ethernet: true, maxMSS: 1359) }
            #expect(changed && Array(frame.prefix(header.count)) == header)
            let packet = Array(frame.dropFirst(header.count))
            #expect(Self.checksumOK(packet) && Int(packet[62]) << 8 | Int(packet[63]) == 1339)
        }
        for frame in [mac + [0x08, 0x06] + ip6, mac + [0x86, 0xdd] + ip6 + [0, 0], ip6] {
            var copy = frame
            #expect(!copy.withUnsafeMutableBytes { MSSClamp.clamp($0, ethernet: true, maxMSS: 1359) })
            #expect(copy == frame)
        }
    }

    @Test func leavesOtherPacketsAlone() throws {
        let packets = try Vectors.packets("aes-256-cbc-sha256-keydir-udp")
        for p in packets where !p.kind.contains("flags 0x02") && !p.kind.contains("flags 0x12") {
            guard let inner = p.innerPacket else { continue }
            #expect(clamped(inner, 500) == (false, inner), "frame \(p.frame)")
        }
        let syn = try #require(packets.first { $0.frame == 18 }?.innerPacket)
        var fragment = syn
        fragment[7] = 1  // fragment offset != 0
        #expect(!clamped(fragment, 500).changed)
        #expect(!clamped(Array(syn.dropLast()), 500).changed)  // incomplete
    }

    @Test func survivesRandomAndTruncatedPackets() throws {
        let syn = try #require(
            try Vectors.packets("aes-256-cbc-sha256-keydir-udp").first { $0.frame == 18 }?.innerPacket)
        for n in 0...syn.count { _ = clamped(Array(syn[..<n]), 500) }
        var rng = SeededGenerator(seed: 0x55)
        for _ in 0..<5000 {
            var p = rng.bytes(Int.random(in: 0...80, using: &rng))
            if p.count >= 40 {  // make many of them look like TCP SYNs with garbage options
                p[0] = Bool.random(using: &rng) ? 0x4f : 0x60
                p[2] = 0
                p[3] = UInt8(p.count)
                p[6] = 0
                p[7] = 0
                p[9] = 6
                p[4] = 0
                p[5] = UInt8(max(0, p.count - 40))
            }
            _ = clamped(p, Int.random(in: 0...1500, using: &rng))
        }
    }
}
