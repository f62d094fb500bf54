import CSwvpnLinux
import Glibc

/// `multihome`: the local address and interface a datagram arrived on, from its IP_PKTINFO
/// (`ipi_spec_dst`, `ipi_ifindex`) or IPV6_PKTINFO (`ipi6_addr`, `ipi6_ifindex`) control message, kept
/// as the kernel's bytes so the reply's control message is built back from them without a conversion.
package struct ArrivalAddress: Equatable, Sendable, CustomStringConvertible {
    /// AF_INET or AF_INET6: which of the two control messages it came in.
    let family: Int32
    /// The address's network-order bytes (IPv4: the first 4).
    let bytes: (UInt64, UInt64)
    package let interfaceIndex: UInt32

    /// Reads the pktinfo of a received message; nil when it has none.
    init?(_ header: UnsafePointer<msghdr>) {
        var bytes: (UInt64, UInt64) = (0, 0)
        var index: UInt32 = 0
        let family = withUnsafeMutableBytes(of: &bytes) { raw in
            swvpn_pktinfo_parse(header, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), &index)
        }
        guard family == AF_INET || family == AF_INET6 else { return nil }
        self.family = family
        self.bytes = bytes
        interfaceIndex = index
    }

    package static func == (a: ArrivalAddress, b: ArrivalAddress) -> Bool {
        a.family == b.family && a.bytes == b.bytes && a.interfaceIndex == b.interfaceIndex
    }

    /// The local address (port 0).
    package var address: SocketAddress {
        withUnsafeBytes(of: bytes) { raw in
            if family == AF_INET {
                return SocketAddress(ipv4: UInt32(bigEndian: raw.loadUnaligned(as: UInt32.self)), port: 0)
            }
            return SocketAddress(ipv6: Array(raw), port: 0)
        }
    }

    /// openvpn's form: `[AF_INET]10.0.0.3%eth0`.
    package var description: String {
        let name = Netlink.interfaceName(Int32(bitPattern: interfaceIndex))
        return (family == AF_INET ? "[AF_INET]" : "[AF_INET6]") + "\(address.ipString)%\(name)"
    }

    /// Writes the control message that sends a reply from this address and interface on a socket of
    /// `socketFamily` (openvpn 2.6 copies both); returns its length, 0 if it does not fit.
    func writeControlMessage(to buffer: UnsafeMutableRawBufferPointer, socketFamily: Int32) -> Int {
        withUnsafeBytes(of: bytes) { raw in
            let n = swvpn_pktinfo_build(
                buffer.baseAddress, buffer.count, socketFamily, family,
                raw.baseAddress!.assumingMemoryBound(to: UInt8.self), interfaceIndex)
            return max(Int(n), 0)
        }
    }
}
