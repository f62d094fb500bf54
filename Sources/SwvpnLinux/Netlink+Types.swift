import CSwvpnLinux
import Glibc

// The values `Netlink` takes and returns: errors, routes, addresses, links.

/// A failed rtnetlink request, phrased like `ip`: `route 172.16.0.0/16 via 169.254.255.2 dev tun0: File exists`.
package struct NetlinkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was asked, e.g. `route 172.16.0.0/16 via 169.254.255.2 dev tun0`.
    package let operation: String
    package let errno: Int32
    /// The kernel's extended-ack text, when it sent one.
    package let kernelMessage: String?

    package var description: String {
        let base = "\(operation): \(SystemError.text(for: errno))"
        guard let kernelMessage, !kernelMessage.isEmpty else { return base }
        return "\(base) (\(kernelMessage))"
    }
}

/// An IPv4 or IPv6 route in the main table.
package struct Route: Sendable, Equatable, CustomStringConvertible {
    /// Network address (port ignored).
    package var destination: SocketAddress
    package var prefixLength: Int
    package var gateway: SocketAddress?
    package var ifindex: Int32
    /// OpenVPN `route ... metric` / `route-metric`; nil leaves the kernel default (0 for IPv4, 1024 for IPv6).
    package var metric: UInt32?

    package init(
        destination: SocketAddress, prefixLength: Int, gateway: SocketAddress? = nil, ifindex: Int32,
        metric: UInt32? = nil
    ) {
        self.destination = destination
        self.prefixLength = prefixLength
        self.gateway = gateway
        self.ifindex = ifindex
        self.metric = metric
    }

    package var description: String {
        var text = "\(destination.ipString)/\(prefixLength)"
        if let gateway { text += " via \(gateway.ipString)" }
        text += " dev \(Netlink.interfaceName(ifindex))"
        if let metric { text += " metric \(metric)" }
        return text
    }
}

/// An address assigned to an interface, as listed by `Netlink.addresses(family:)`.
package struct InterfaceAddress: Sendable, Equatable {
    package var ifindex: Int32
    /// `IFA_LOCAL` (our address).
    package var local: SocketAddress
    /// `IFA_ADDRESS`: the peer on point-to-point links; equal to `local` otherwise.
    package var address: SocketAddress
    package var prefixLength: Int

    package init(ifindex: Int32, local: SocketAddress, address: SocketAddress, prefixLength: Int) {
        self.ifindex = ifindex
        self.local = local
        self.address = address
        self.prefixLength = prefixLength
    }
}

/// Link state from `RTM_GETLINK`.
package struct LinkInfo: Sendable, Equatable {
    package var ifindex: Int32
    package var name: String
    package var mtu: UInt32
    package var isUp: Bool
    package var isPointToPoint: Bool
}
