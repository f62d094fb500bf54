/// openvpn's `passtos`: the TOS byte of the IPv4 packet a tunnel packet carries, which the outer
/// packet then gets too (openvpn sets IP_TOS on its socket before each write).
public enum TypeOfService {
    /// The TOS of an IPv4 packet (tun), or of the IPv4 packet in an Ethernet frame (tap, also behind one
    /// 802.1Q tag), as openvpn's is_ipv4 finds it: at least a 20-byte header and version 4. nil otherwise.
    @inline(__always)
    public static func ipv4(_ packet: UnsafeRawBufferPointer, ethernet: Bool) -> UInt8? {
        var offset = 0
        if ethernet {
            guard packet.count >= 14 + 20 else { return nil }
            offset = 14
            var type = UInt16(packet[12]) << 8 | UInt16(packet[13])
            if type == 0x8100 {
                guard packet.count >= 18 + 20 else { return nil }
                offset = 18
                type = UInt16(packet[16]) << 8 | UInt16(packet[17])
            }
            guard type == 0x0800 else { return nil }
        }
        guard packet.count >= offset + 20, packet[offset] >> 4 == 4 else { return nil }
        return packet[offset + 1]
    }
}
