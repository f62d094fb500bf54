/// Software TSO: cuts a TCP "super-packet" handed over by a TUN device with `IFF_VNET_HDR` and
/// `TUNSETOFFLOAD` into MSS-sized IP packets, exactly as the kernel's `tcp_gso_segment` would, so
/// every packet on the tunnel is an ordinary IP packet a 2.6 openvpn peer (or any TCP stack) takes.
///
/// Per segment: IPv4 total length, id (+i) and header checksum, or the IPv6 payload length; TCP
/// sequence number (+i×MSS); FIN and PSH only on the last segment, CWR only on the first; full TCP
/// checksum (the super-packet's is only a pseudo-header partial sum).
public enum TCPSegmenter {
    /// How one super-packet splits. All segments but the last are `segmentLength(0)` bytes.
    public struct Plan: Sendable, Hashable {
        public let isIPv6: Bool
        public let ipHeaderLength: Int
        /// IP + TCP headers, copied in front of every segment.
        public let headerLength: Int
        public let mss: Int
        public let count: Int
        public let totalLength: Int

        public func segmentLength(_ i: Int) -> Int {
            i < count - 1 ? headerLength + mss : totalLength - (count - 1) * mss
        }
    }

    /// Validates `packet` (an IPv4 or IPv6 TCP packet without extension headers) and plans its
    /// segmentation into `mss`-byte payloads; nil if it is not one we can cut, including one whose
    /// segments' IP length fields could not hold their size (the caller drops it).
    public static func plan(_ packet: UnsafeRawBufferPointer, mss: Int) -> Plan? {
        guard mss > 0, packet.count >= 20 else { return nil }
        let version = packet[0] >> 4
        let isIPv6 = version == 6
        let ipHeaderLength: Int
        if isIPv6 {
            guard packet.count >= 40, packet[6] == 6 else { return nil }  // next header must be TCP
            ipHeaderLength = 40
        } else {
            guard version == 4, packet[9] == 6 else { return nil }
            ipHeaderLength = Int(packet[0] & 0x0f) * 4
            guard ipHeaderLength >= 20 else { return nil }
        }
        guard packet.count >= ipHeaderLength + 20,
            packet.count - (isIPv6 ? 40 : 0) <= Int(UInt16.max)
        else { return nil }
        let tcpHeaderLength = Int(packet[ipHeaderLength + 12] >> 4) * 4
        let headerLength = ipHeaderLength + tcpHeaderLength
        guard tcpHeaderLength >= 20, packet.count > headerLength else { return nil }
        let payload = packet.count - headerLength
        let count = (payload + mss - 1) / mss
        return Plan(
            isIPv6: isIPv6, ipHeaderLength: ipHeaderLength, headerLength: headerLength, mss: mss,
            count: count, totalLength: packet.count)
    }

    /// Writes segment `i` of `packet` to `destination` (room for `plan.segmentLength(i)` bytes) and
    /// returns its length. `destination` must not overlap `packet`.
    @inline(__always)
    public static func writeSegment(
        _ i: Int, of packet: UnsafeRawPointer, plan: Plan,
        to destination: UnsafeMutableRawPointer
    ) -> Int {
        let h = plan.headerLength
        let start = h + i * plan.mss
        let chunk = min(plan.mss, plan.totalLength - start)
        let length = h + chunk
        destination.copyMemory(from: packet, byteCount: h)
        (destination + h).copyMemory(from: packet + start, byteCount: chunk)

        let ip = destination
        if plan.isIPv6 {
            ip.storeBytes(of: UInt16(length - 40).bigEndian, toByteOffset: 4, as: UInt16.self)
        } else {
            ip.storeBytes(of: UInt16(length).bigEndian, toByteOffset: 2, as: UInt16.self)
            let id = UInt16(bigEndian: packet.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
            ip.storeBytes(of: (id &+ UInt16(truncatingIfNeeded: i)).bigEndian, toByteOffset: 4, as: UInt16.self)
            ip.storeBytes(of: 0, toByteOffset: 10, as: UInt16.self)
            let sum = InternetChecksum.finish(InternetChecksum.add(ip, plan.ipHeaderLength))
            ip.storeBytes(of: sum, toByteOffset: 10, as: UInt16.self)
        }
        let tcp = destination + plan.ipHeaderLength
        let seq = UInt32(bigEndian: packet.loadUnaligned(fromByteOffset: plan.ipHeaderLength + 4, as: UInt32.self))
        tcp.storeBytes(
            of: (seq &+ UInt32(truncatingIfNeeded: i * plan.mss)).bigEndian, toByteOffset: 4, as: UInt32.self)
        var flags = tcp.load(fromByteOffset: 13, as: UInt8.self)
        if i < plan.count - 1 { flags &= ~0x09 }  // FIN, PSH only on the last segment
        if i > 0 { flags &= ~0x80 }  // CWR only on the first
        tcp.storeBytes(of: flags, toByteOffset: 13, as: UInt8.self)
        let tcpLength = length - plan.ipHeaderLength
        tcp.storeBytes(of: 0, toByteOffset: 16, as: UInt16.self)
        var sum = InternetChecksum.pseudoHeader(ip, isIPv6: plan.isIPv6, protocolNumber: 6, length: tcpLength)
        sum = InternetChecksum.add(tcp, tcpLength, to: sum)
        tcp.storeBytes(of: InternetChecksum.finish(sum), toByteOffset: 16, as: UInt16.self)
        return length
    }

    /// Completes a `NEEDS_CSUM` packet in place: the field at `start + offset` holds the
    /// pseudo-header sum; the final checksum covers everything from `start` to the end.
    @inline(__always)
    public static func completeChecksum(_ packet: UnsafeMutableRawBufferPointer, start: Int, offset: Int) -> Bool {
        guard start + offset + 2 <= packet.count, let base = packet.baseAddress else { return false }
        let sum = InternetChecksum.add(base + start, packet.count - start)
        var value = InternetChecksum.finish(sum)
        // A UDP checksum of 0 means "none"; the computed 0 is sent as all-ones (RFC 768).
        if value == 0 { value = 0xffff }
        (base + start + offset).storeBytes(of: value, as: UInt16.self)
        return true
    }
}
