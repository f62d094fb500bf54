/// Software GRO for the TUN write side: consecutive in-order segments of one TCP flow, decrypted
/// from consecutive tunnel packets, are joined into one super-packet that is written to a TUN
/// device with `IFF_VNET_HDR` as a GSO packet. The receiving kernel then runs its TCP stack once
/// per ~64 KB instead of once per segment, as it does for a NIC with LRO/GRO.
///
/// Joining follows the kernel's own GRO rules (`tcp_gro_receive`): same addresses, ports, IP
/// TOS/TTL, TCP header length and options, ack number, window and flags; ACK (PSH allowed on the
/// last one) and nothing else; sequence numbers contiguous; every segment the size of the first,
/// the last one possibly shorter; IP length matching the packet; and, as the kernel and wireguard-go
/// verify before they coalesce, valid IPv4 header and TCP checksums: the super-packet leaves as
/// CHECKSUM_PARTIAL, so a segment damaged behind the peer would otherwise get a fresh valid
/// checksum. Anything else is written on its own (and the kernel drops it if it is damaged).
///
/// Not thread-safe: owned by the RX queue. Storage is allocated once.
public final class TCPCoalescer: @unchecked Sendable {
    /// Room for the virtio header in front of the super-packet.
    public static let headroom = VirtioNetHeader.size
    public static let capacity = 65_535

    private let storage: UnsafeMutableRawPointer
    private var length = 0  // bytes of the super-packet (headers + payload) after `headroom`
    private var count = 0
    private var isIPv6 = false
    private var ipHeaderLength = 0
    private var headerLength = 0
    private var segmentSize = 0
    private var nextSequence: UInt32 = 0
    private var closed = false  // a short or PSH segment ended the run

    public init() {
        storage = .allocate(byteCount: Self.headroom + Self.capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    public var isEmpty: Bool { count == 0 }

    /// Takes `packet` into the pending super-packet if it continues it, or starts a new one if
    /// nothing is pending and the packet is eligible. Returns false if the caller must first
    /// `flush()` (when something is pending) and then write `packet` itself or offer it again.
    @inline(__always)
    public func offer(_ packet: UnsafeRawBufferPointer) -> Bool {
        if count == 0 { return start(packet) }
        return append(packet)
    }

    /// The pending packet ready for a TUN write, virtio header included (a GSO packet if more than
    /// one segment was joined); empty afterwards. Valid until the next `offer`.
    public func flush() -> UnsafeRawBufferPointer? {
        guard count > 0 else { return nil }
        defer {
            count = 0
            length = 0
            closed = false
        }
        let ip = storage + Self.headroom
        guard count > 1 else {
            VirtioNetHeader.plain.write(to: storage)
            return UnsafeRawBufferPointer(start: storage, count: Self.headroom + length)
        }
        if isIPv6 {
            ip.storeBytes(of: UInt16(length - 40).bigEndian, toByteOffset: 4, as: UInt16.self)
        } else {
            ip.storeBytes(of: UInt16(length).bigEndian, toByteOffset: 2, as: UInt16.self)
            ip.storeBytes(of: 0, toByteOffset: 10, as: UInt16.self)
            ip.storeBytes(
                of: InternetChecksum.finish(InternetChecksum.add(ip, ipHeaderLength)), toByteOffset: 10,
                as: UInt16.self)
        }
        // CHECKSUM_PARTIAL, as a NIC would deliver it: the field holds the pseudo-header sum.
        let tcpLength = length - ipHeaderLength
        let pseudo = InternetChecksum.pseudoHeader(ip, isIPv6: isIPv6, protocolNumber: 6, length: tcpLength)
        ip.storeBytes(of: ~InternetChecksum.finish(pseudo), toByteOffset: ipHeaderLength + 16, as: UInt16.self)
        VirtioNetHeader(
            flags: VirtioNetHeader.needsChecksum, gsoType: isIPv6 ? .tcpv6 : .tcpv4,
            headerLength: UInt16(headerLength), gsoSize: UInt16(segmentSize),
            checksumStart: UInt16(ipHeaderLength), checksumOffset: 16
        ).write(to: storage)
        return UnsafeRawBufferPointer(start: storage, count: Self.headroom + length)
    }

    /// IP and TCP header lengths if `p` is a TCP data segment that GRO may join (ACK, maybe PSH).
    @inline(__always)
    private static func classify(_ p: UnsafeRawBufferPointer) -> (isIPv6: Bool, ip: Int, tcp: Int)? {
        guard p.count >= 40 else { return nil }
        let version = p[0] >> 4
        let ip: Int
        if version == 4 {
            // No IP options, not a fragment (MF clear, offset 0), protocol TCP.
            guard p[0] == 0x45, p[9] == 6, p[6] & 0x3f == 0, p[7] == 0,
                Int(p[2]) << 8 | Int(p[3]) == p.count
            else { return nil }
            ip = 20
        } else if version == 6 {
            guard p.count >= 60, p[6] == 6, Int(p[4]) << 8 | Int(p[5]) == p.count - 40 else { return nil }
            ip = 40
        } else {
            return nil
        }
        let tcp = Int(p[ip + 12] >> 4) * 4
        let flags = p[ip + 13]
        guard tcp >= 20, p.count > ip + tcp, flags & ~0x08 == 0x10 else { return nil }
        return (version == 6, ip, tcp)
    }

    /// Whether the IPv4 header checksum and the TCP checksum of a classified packet verify.
    @inline(__always)
    private static func checksumsVerify(_ p: UnsafeRawBufferPointer, isIPv6: Bool, ip: Int) -> Bool {
        let base = p.baseAddress!
        if !isIPv6 && InternetChecksum.finish(InternetChecksum.add(base, 20)) != 0 { return false }
        let tcpLength = p.count - ip
        let pseudo = InternetChecksum.pseudoHeader(base, isIPv6: isIPv6, protocolNumber: 6, length: tcpLength)
        return InternetChecksum.finish(InternetChecksum.add(base + ip, tcpLength, to: pseudo)) == 0
    }

    private func start(_ packet: UnsafeRawBufferPointer) -> Bool {
        guard packet.count <= Self.capacity, let c = Self.classify(packet),
            Self.checksumsVerify(packet, isIPv6: c.isIPv6, ip: c.ip)
        else { return false }
        (storage + Self.headroom).copyMemory(from: packet.baseAddress!, byteCount: packet.count)
        isIPv6 = c.isIPv6
        ipHeaderLength = c.ip
        headerLength = c.ip + c.tcp
        segmentSize = packet.count - headerLength
        length = packet.count
        count = 1
        let ip = UnsafeRawPointer(storage + Self.headroom)
        nextSequence =
            UInt32(bigEndian: ip.loadUnaligned(fromByteOffset: c.ip + 4, as: UInt32.self))
            &+ UInt32(segmentSize)
        closed = packet[c.ip + 13] & 0x08 != 0
        return true
    }

    private func append(_ packet: UnsafeRawBufferPointer) -> Bool {
        guard !closed, let c = Self.classify(packet), c.isIPv6 == isIPv6, c.ip + c.tcp == headerLength else {
            return false
        }
        let payload = packet.count - headerLength
        guard payload <= segmentSize, length + payload <= Self.capacity else { return false }
        let held = UnsafeRawPointer(storage + Self.headroom)
        let p = packet.baseAddress!
        if isIPv6 {
            // Version/traffic class/flow label and both addresses.
            guard memoryEqual(held, p, 4), memoryEqual(held + 7, p + 7, 33) else { return false }
        } else {
            // TOS, DF, TTL, protocol, addresses; total length, id and checksum differ.
            guard held.load(fromByteOffset: 1, as: UInt8.self) == packet[1],
                held.load(fromByteOffset: 6, as: UInt8.self) == packet[6],
                held.load(fromByteOffset: 8, as: UInt8.self) == packet[8],
                memoryEqual(held + 12, p + 12, 8)
            else { return false }
        }
        let t = ipHeaderLength
        // Ports; then ack, data offset, flags and window; then options.
        guard memoryEqual(held + t, p + t, 4), memoryEqual(held + t + 8, p + t + 8, 8),
            memoryEqual(held + t + 20, p + t + 20, headerLength - t - 20),
            UInt32(bigEndian: p.loadUnaligned(fromByteOffset: t + 4, as: UInt32.self)) == nextSequence
        else {
            // PSH on the new one (held has none, since `closed` is false) differs only in flags:
            // the kernel still joins it as the last segment.
            return appendEndingWithPush(packet, payload: payload)
        }
        guard Self.checksumsVerify(packet, isIPv6: isIPv6, ip: t) else { return false }
        copyPayload(packet, payload: payload)
        if payload < segmentSize { closed = true }
        return true
    }

    /// The one allowed difference: the new segment has PSH set and ends the run.
    private func appendEndingWithPush(_ packet: UnsafeRawBufferPointer, payload: Int) -> Bool {
        let held = UnsafeRawPointer(storage + Self.headroom)
        let p = packet.baseAddress!
        let t = ipHeaderLength
        guard packet[t + 13] == 0x18,
            memoryEqual(held + t, p + t, 4), memoryEqual(held + t + 8, p + t + 8, 5),
            memoryEqual(held + t + 14, p + t + 14, 2),
            memoryEqual(held + t + 20, p + t + 20, headerLength - t - 20),
            UInt32(bigEndian: p.loadUnaligned(fromByteOffset: t + 4, as: UInt32.self)) == nextSequence,
            Self.checksumsVerify(packet, isIPv6: isIPv6, ip: t)
        else { return false }
        copyPayload(packet, payload: payload)
        (storage + Self.headroom).storeBytes(of: UInt8(0x18), toByteOffset: t + 13, as: UInt8.self)
        closed = true
        return true
    }

    @inline(__always)
    private func copyPayload(_ packet: UnsafeRawBufferPointer, payload: Int) {
        (storage + Self.headroom + length).copyMemory(from: packet.baseAddress! + headerLength, byteCount: payload)
        length += payload
        count += 1
        nextSequence &+= UInt32(payload)
    }

    @inline(__always)
    private func memoryEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
        var i = 0
        while i + 8 <= n {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                != b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            {
                return false
            }
            i += 8
        }
        while i < n {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i += 1
        }
        return true
    }
}
