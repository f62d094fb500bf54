/// TCP MSS clamping (PROTOCOL.md §9.3) and the MTU maths it shares with `--fragment`.

/// Outer transport of the tunnel. Corresponds to OpenVPN `--proto`.
public enum LinkTransport: Sendable, Hashable { case udp, tcp }

/// Address family of the outer (underlay) packets; `.unknown` before the peer is known.
public enum UnderlayFamily: Sendable, Hashable {
    case ipv4, ipv6, unknown

    /// Outer IP + UDP/TCP header bytes. Unknown counts as IPv6, as openvpn does when listening.
    public func datagramOverhead(_ transport: LinkTransport) -> Int {
        let ip = self == .ipv4 ? 20 : 40
        return ip + (transport == .udp ? 8 : 20)
    }
}

/// Corresponds to OpenVPN `--mssfix [n [mtu|fixed]]`.
public enum MSSFixSetting: Sendable, Hashable {
    /// No `mssfix` line: 1492 "mtu" when tun-mtu is 1500, the fragment size with `--fragment`,
    /// otherwise tun-mtu "fixed".
    case `default`
    /// `mssfix 0`.
    case disabled
    /// `mssfix n`: n counts the encrypted packet without outer IP/UDP headers.
    case plain(Int)
    /// `mssfix n mtu`: n counts the whole outer packet.
    case mtu(Int)
    /// `mssfix n fixed`: clamp to n - 40.
    case fixed(Int)
}

extension FrameLayout {
    /// Crypto + TCP-length bytes outside the CBC payload (openvpn's protocol header size, non-OCC).
    func protocolHeaderSize(transport: LinkTransport) -> Int {
        var size = digest.length + cipher.ivLength
        if cipher.isNone && replayProtection { size += WireFormat.packetIDLength }
        if transport == .tcp { size += WireFormat.tcpLengthPrefix }
        return size
    }

    /// Largest plaintext whose CBC ciphertext still fits in `target` (padding needs one byte).
    func payloadMaxCBC(target: Int) -> Int {
        guard !cipher.isNone else { return target }
        return target / cipher.blockSize * cipher.blockSize - 1
    }
}

public enum MSSClamp {
    /// The IPv4 MSS limit openvpn computes for these settings; nil when clamping is off. IPv6
    /// packets are clamped to this minus 20 (done by `clamp`).
    ///
    /// Verified: AES-256-CBC/SHA256 1359, BF-CBC/SHA1 1383, AES-128-CBC/SHA512 + comp-lzo 1326.
    public static func limit(
        layout: FrameLayout, transport: LinkTransport = .udp, underlay: UnderlayFamily = .ipv4,
        compression: CompressionFraming = .none, fragment: Int? = nil, tunMTU: Int = 1500,
        tunMTUExtra: Int = 0, mssfix: MSSFixSetting = .default
    ) -> Int? {
        let value: Int
        let encapsulation: Bool
        switch mssfix {
        case .disabled: return nil
        case .fixed(let n): return n > 0 ? n - 40 : nil
        case .plain(let n): (value, encapsulation) = (n, false)
        case .mtu(let n): (value, encapsulation) = (n, true)
        case .default:
            if let fragment, fragment > 0 {
                (value, encapsulation) = (fragment, true)
            } else if tunMTU == 1500 {
                (value, encapsulation) = (1492, true)
            } else {
                return tunMTU - 40
            }
        }
        guard value > 0 else { return nil }
        var overhead = layout.protocolHeaderSize(transport: transport)
        if encapsulation { overhead += underlay.datagramOverhead(transport) }
        var payloadOverhead = tunMTUExtra + 40
        if compression.isV1 { payloadOverhead += 1 }
        if fragment != nil { payloadOverhead += FragmentHeader.length }
        if !layout.cipher.isNone && layout.replayProtection { payloadOverhead += WireFormat.packetIDLength }
        return layout.payloadMaxCBC(target: value - overhead) - payloadOverhead
    }

    /// Lowers the MSS option of a TCP SYN / SYN-ACK in an IPv4 or IPv6 packet to `maxMSS` (IPv6:
    /// `maxMSS - 20`) and patches the TCP checksum incrementally. Anything else is left untouched.
    /// Returns true when the packet was changed.
    @discardableResult
    public static func clamp(ipPacket p: UnsafeMutableRawBufferPointer, maxMSS: Int) -> Bool {
        guard p.count >= 20 else { return false }
        switch p[0] >> 4 {
        case 4:
            let ihl = Int(p[0] & 0x0f) * 4
            let totalLength = Int(p[2]) << 8 | Int(p[3])
            let fragmentOffset = (Int(p[6]) << 8 | Int(p[7])) & 0x1fff
            // Only complete, unfragmented packets (a later fragment has no TCP header).
            guard p[9] == 6, totalLength == p.count, fragmentOffset == 0, ihl >= 20, ihl <= p.count,
                p.count - ihl >= 20
            else { return false }
            return clampTCP(p, at: ihl, maxMSS: maxMSS)
        case 6:
            guard p.count >= 60, (Int(p[4]) << 8 | Int(p[5])) + 40 == p.count, p[6] == 6 else { return false }
            return clampTCP(p, at: 40, maxMSS: maxMSS - 20)
        default:
            return false
        }
    }

    /// `clamp(ipPacket:)` for a tap device's Ethernet frame, as openvpn 2.6 does on tap: the IPv4 or
    /// IPv6 packet after the 14-byte header, or after an 802.1Q tag (18 bytes). Like openvpn, a
    /// frame padded beyond its IP packet is left alone (the IP length must match exactly).
    @discardableResult
    public static func clamp(ethernetFrame f: UnsafeMutableRawBufferPointer, maxMSS: Int) -> Bool {
        guard f.count >= 14 + 20 else { return false }
        var offset = 14
        var type = Int(f[12]) << 8 | Int(f[13])
        if type == 0x8100 {
            guard f.count >= 18 + 20 else { return false }
            offset = 18
            type = Int(f[16]) << 8 | Int(f[17])
        }
        guard type == 0x0800 || type == 0x86DD else { return false }
        return clamp(ipPacket: UnsafeMutableRawBufferPointer(rebasing: f[offset...]), maxMSS: maxMSS)
    }

    /// Clamps a tunnel packet: an Ethernet frame (`ethernet`, tap) or an IP packet (tun).
    @inline(__always) @discardableResult
    public static func clamp(_ packet: UnsafeMutableRawBufferPointer, ethernet: Bool, maxMSS: Int) -> Bool {
        ethernet ? clamp(ethernetFrame: packet, maxMSS: maxMSS) : clamp(ipPacket: packet, maxMSS: maxMSS)
    }

    private static func clampTCP(_ p: UnsafeMutableRawBufferPointer, at tcp: Int, maxMSS: Int) -> Bool {
        guard maxMSS > 0, p[tcp + 13] & 0x02 != 0 else { return false }
        let headerLength = Int(p[tcp + 12] >> 4) * 4
        guard headerLength > 20, tcp + headerLength <= p.count else { return false }
        var o = tcp + 20
        let end = tcp + headerLength
        while end - o > 1 {
            let kind = p[o]
            if kind == 0 { break }  // end of options
            if kind == 1 {
                o += 1
                continue
            }  // NOP
            let optionLength = Int(p[o + 1])
            if optionLength <= 0 || optionLength > end - o { break }
            if kind == 2 && optionLength == 4 {
                let mss = Int(p[o + 2]) << 8 | Int(p[o + 3])
                guard mss > maxMSS else { return false }
                p[o + 2] = UInt8(truncatingIfNeeded: maxMSS >> 8)
                p[o + 3] = UInt8(truncatingIfNeeded: maxMSS)
                updateChecksum(p, at: tcp + 16, old: UInt16(mss), new: UInt16(maxMSS))
                return true
            }
            o += optionLength
        }
        return false
    }

    /// RFC 1624 incremental update: HC' = ~(~HC + ~m + m').
    @inline(__always)
    private static func updateChecksum(_ p: UnsafeMutableRawBufferPointer, at i: Int, old: UInt16, new: UInt16) {
        let checksum = UInt32(p[i]) << 8 | UInt32(p[i + 1])
        var sum = UInt32(~UInt16(checksum)) + UInt32(~old) + UInt32(new)
        sum = (sum & 0xffff) + (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16)
        let result = ~UInt16(sum)
        p[i] = UInt8(result >> 8)
        p[i + 1] = UInt8(result & 0xff)
    }
}
