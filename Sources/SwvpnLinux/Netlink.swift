import CSwvpnLinux
import Glibc

/// rtnetlink client for interface setup (what OpenVPN's `ifconfig`/`route` do through `networking_sitnl.c`).
/// Blocking request/acknowledge on a private `NETLINK_ROUTE` socket; for setup paths only.
package final class Netlink {
    let fd: Int32
    private var sequence: UInt32 = 0
    private static let receiveBufferSize = 64 * 1024

    package init() throws(SystemError) {
        let fd = try syscallNoWait("socket(AF_NETLINK)") {
            negErrno(socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_ROUTE))
        }
        self.fd = Int32(fd)
        // Extended acks give the kernel's own reason ("Nexthop has invalid gateway") in error replies.
        _ = swvpn_setsockopt_int(self.fd, SOL_NETLINK, NETLINK_EXT_ACK, 1)
        var local = sockaddr_nl()
        local.nl_family = sa_family_t(AF_NETLINK)
        do {
            _ = try withUnsafePointer(to: &local) { (pointer) throws(SystemError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (sa) throws(SystemError) in
                    try syscallNoWait("bind(AF_NETLINK)") {
                        negErrno(bind(self.fd, sa, socklen_t(MemoryLayout<sockaddr_nl>.size)))
                    }
                }
            }
        } catch {
            closeIgnoringErrors(self.fd)
            throw error
        }
    }

    deinit { closeIgnoringErrors(fd) }

    static func interfaceName(_ ifindex: Int32) -> String {
        var name = [CChar](repeating: 0, count: Int(SWVPN_IFNAMSIZ))
        return swvpn_ifname(UInt32(bitPattern: ifindex), &name) == 0 ? string(fromCBuffer: name) : "if\(ifindex)"
    }

    // MARK: links

    /// `ip link set dev X up|down`.
    package func setLink(ifindex: Int32, up: Bool) throws(NetlinkError) {
        let iffUp: UInt32 = 0x1  // IFF_UP
        var message = Message(type: UInt16(RTM_NEWLINK), flags: NLM_F_REQUEST | NLM_F_ACK)
        message.append(
            ifinfomsg(
                ifi_family: UInt8(AF_UNSPEC), __ifi_pad: 0, ifi_type: 0, ifi_index: ifindex,
                ifi_flags: up ? iffUp : 0, ifi_change: iffUp))
        try request(message, "link \(Netlink.interfaceName(ifindex)) \(up ? "up" : "down")")
    }

    /// `ip link set dev X mtu N` (OpenVPN `tun-mtu`).
    package func setMTU(ifindex: Int32, mtu: UInt32) throws(NetlinkError) {
        var message = Message(type: UInt16(RTM_NEWLINK), flags: NLM_F_REQUEST | NLM_F_ACK)
        message.append(
            ifinfomsg(
                ifi_family: UInt8(AF_UNSPEC), __ifi_pad: 0, ifi_type: 0, ifi_index: ifindex,
                ifi_flags: 0, ifi_change: 0))
        message.appendAttribute(UInt16(IFLA_MTU), value: mtu)
        try request(message, "link \(Netlink.interfaceName(ifindex)) mtu \(mtu)")
    }

    /// `ip link del X`: cleanup of persistent or leftover devices.
    package func deleteLink(ifindex: Int32) throws(NetlinkError) {
        var message = Message(type: UInt16(RTM_DELLINK), flags: NLM_F_REQUEST | NLM_F_ACK)
        message.append(
            ifinfomsg(
                ifi_family: UInt8(AF_UNSPEC), __ifi_pad: 0, ifi_type: 0, ifi_index: ifindex,
                ifi_flags: 0, ifi_change: 0))
        try request(message, "delete link \(Netlink.interfaceName(ifindex))")
    }

    /// Name, MTU and flags of one link.
    package func link(ifindex: Int32) throws(NetlinkError) -> LinkInfo {
        var message = Message(type: UInt16(RTM_GETLINK), flags: NLM_F_REQUEST)
        message.append(
            ifinfomsg(
                ifi_family: UInt8(AF_UNSPEC), __ifi_pad: 0, ifi_type: 0, ifi_index: ifindex,
                ifi_flags: 0, ifi_change: 0))
        var info: LinkInfo?
        try exchange(message, "get link \(ifindex)") { type, payload in
            guard type == UInt16(RTM_NEWLINK), payload.count >= MemoryLayout<ifinfomsg>.size else { return }
            let header = payload.loadUnaligned(as: ifinfomsg.self)
            var result = LinkInfo(
                ifindex: header.ifi_index, name: "", mtu: 0, isUp: header.ifi_flags & 0x1 != 0,
                isPointToPoint: header.ifi_flags & 0x10 != 0)  // IFF_UP, IFF_POINTOPOINT
            forEachAttribute(payload, from: align(MemoryLayout<ifinfomsg>.size)) { kind, value in
                switch Int(kind) {
                case Int(IFLA_MTU) where value.count >= 4: result.mtu = value.loadUnaligned(as: UInt32.self)
                case Int(IFLA_IFNAME): result.name = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
                default: break
                }
            }
            info = result
        }
        guard let info else { throw NetlinkError(operation: "get link \(ifindex)", errno: ENODEV, kernelMessage: nil) }
        return info
    }

    // MARK: addresses

    /// Adds an address: IPv4 point-to-point `local peer peer/32` (OpenVPN `ifconfig` on a tun device) when `peer`
    /// is given, otherwise `local/prefixLength` (e.g. `ifconfig-ipv6 fd00::1/64`).
    package func addAddress(
        ifindex: Int32, local: SocketAddress, peer: SocketAddress? = nil,
        prefixLength: Int
    ) throws(NetlinkError) {
        try changeAddress(add: true, ifindex: ifindex, local: local, peer: peer, prefixLength: prefixLength)
    }

    package func deleteAddress(
        ifindex: Int32, local: SocketAddress, peer: SocketAddress? = nil,
        prefixLength: Int
    ) throws(NetlinkError) {
        try changeAddress(add: false, ifindex: ifindex, local: local, peer: peer, prefixLength: prefixLength)
    }

    private func changeAddress(
        add: Bool, ifindex: Int32, local: SocketAddress, peer: SocketAddress?,
        prefixLength: Int
    ) throws(NetlinkError) {
        var operation = "address \(local.ipString)"
        if let peer { operation += " peer \(peer.ipString)" }
        operation += "/\(prefixLength) dev \(Netlink.interfaceName(ifindex))"
        if !add { operation = "delete " + operation }
        var message = Message(
            type: UInt16(add ? RTM_NEWADDR : RTM_DELADDR),
            flags: NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0))
        message.append(
            ifaddrmsg(
                ifa_family: UInt8(local.family.rawValue), ifa_prefixlen: UInt8(prefixLength),
                ifa_flags: 0, ifa_scope: UInt8(RT_SCOPE_UNIVERSE.rawValue), ifa_index: UInt32(ifindex)))
        message.appendAttribute(UInt16(IFA_LOCAL), bytes: local.addressBytes)
        message.appendAttribute(UInt16(IFA_ADDRESS), bytes: (peer ?? local).addressBytes)
        try request(message, operation)
    }

    /// All addresses of a family, for checks and cleanup.
    package func addresses(family: SocketAddress.Family) throws(NetlinkError) -> [InterfaceAddress] {
        var message = Message(type: UInt16(RTM_GETADDR), flags: NLM_F_REQUEST | NLM_F_DUMP)
        message.append(
            ifaddrmsg(
                ifa_family: UInt8(family.rawValue), ifa_prefixlen: 0, ifa_flags: 0, ifa_scope: 0,
                ifa_index: 0))
        var result: [InterfaceAddress] = []
        try exchange(message, "list addresses") { type, payload in
            guard type == UInt16(RTM_NEWADDR), payload.count >= MemoryLayout<ifaddrmsg>.size else { return }
            let header = payload.loadUnaligned(as: ifaddrmsg.self)
            var local: SocketAddress?
            var address: SocketAddress?
            forEachAttribute(payload, from: align(MemoryLayout<ifaddrmsg>.size)) { kind, value in
                if kind == UInt16(IFA_LOCAL) { local = Netlink.address(Int32(header.ifa_family), value) }
                if kind == UInt16(IFA_ADDRESS) { address = Netlink.address(Int32(header.ifa_family), value) }
            }
            guard let any = local ?? address else { return }
            result.append(
                InterfaceAddress(
                    ifindex: Int32(header.ifa_index), local: any, address: address ?? any,
                    prefixLength: Int(header.ifa_prefixlen)))
        }
        return result
    }

    // MARK: routes

    /// `ip route add DEST/LEN [via GW] dev IF [metric M]` in the main table.
    package func addRoute(_ route: Route) throws(NetlinkError) {
        try changeRoute(add: true, route)
    }

    package func deleteRoute(_ route: Route) throws(NetlinkError) {
        try changeRoute(add: false, route)
    }

    private func changeRoute(add: Bool, _ route: Route) throws(NetlinkError) {
        var message = Message(
            type: UInt16(add ? RTM_NEWROUTE : RTM_DELROUTE),
            flags: NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0))
        message.append(
            rtmsg(
                rtm_family: UInt8(route.destination.family.rawValue), rtm_dst_len: UInt8(route.prefixLength),
                rtm_src_len: 0, rtm_tos: 0, rtm_table: UInt8(RT_TABLE_MAIN.rawValue),
                rtm_protocol: UInt8(add ? RTPROT_BOOT : 0),
                rtm_scope: UInt8(add && route.gateway == nil ? RT_SCOPE_LINK.rawValue : RT_SCOPE_UNIVERSE.rawValue),
                rtm_type: UInt8(add ? RTN_UNICAST : 0), rtm_flags: 0))
        if route.prefixLength > 0 {
            message.appendAttribute(UInt16(RTA_DST.rawValue), bytes: route.destination.addressBytes)
        }
        if let gateway = route.gateway {
            message.appendAttribute(UInt16(RTA_GATEWAY.rawValue), bytes: gateway.addressBytes)
        }
        message.appendAttribute(UInt16(RTA_OIF.rawValue), value: UInt32(bitPattern: route.ifindex))
        if let metric = route.metric {
            message.appendAttribute(UInt16(RTA_PRIORITY.rawValue), value: metric)
        }
        try request(message, (add ? "route " : "delete route ") + route.description)
    }

    /// Routes of a family in the main table.
    package func routes(family: SocketAddress.Family) throws(NetlinkError) -> [Route] {
        var message = Message(type: UInt16(RTM_GETROUTE), flags: NLM_F_REQUEST | NLM_F_DUMP)
        message.append(
            rtmsg(
                rtm_family: UInt8(family.rawValue), rtm_dst_len: 0, rtm_src_len: 0, rtm_tos: 0,
                rtm_table: 0, rtm_protocol: 0, rtm_scope: 0, rtm_type: 0, rtm_flags: 0))
        var result: [Route] = []
        try exchange(message, "list routes") { type, payload in
            guard type == UInt16(RTM_NEWROUTE), let (route, table) = Self.route(payload, family: family) else { return }
            if table == UInt32(RT_TABLE_MAIN.rawValue) { result.append(route) }
        }
        return result
    }

    /// The kernel's route for one address, as `ip route get ADDRESS` (rules and all tables); the error
    /// when there is none (ENETUNREACH).
    package func route(to destination: SocketAddress) throws(NetlinkError) -> Route {
        let family = destination.family
        let bytes = destination.addressBytes
        var message = Message(type: UInt16(RTM_GETROUTE), flags: NLM_F_REQUEST)
        message.append(
            rtmsg(
                rtm_family: UInt8(family.rawValue), rtm_dst_len: UInt8(bytes.count * 8), rtm_src_len: 0, rtm_tos: 0,
                rtm_table: 0, rtm_protocol: 0, rtm_scope: 0, rtm_type: 0, rtm_flags: 0))
        message.appendAttribute(UInt16(RTA_DST.rawValue), bytes: bytes)
        var result: Route?
        try exchange(message, "route get \(destination.ipString)") { type, payload in
            if type == UInt16(RTM_NEWROUTE) { result = Self.route(payload, family: family)?.route }
        }
        guard let result else {
            throw NetlinkError(operation: "route get \(destination.ipString)", errno: ENETUNREACH, kernelMessage: nil)
        }
        return result
    }

    /// An RTM_NEWROUTE payload: the route and its table.
    private static func route(_ payload: UnsafeRawBufferPointer, family: SocketAddress.Family) -> (
        route: Route, table: UInt32
    )? {
        guard payload.count >= MemoryLayout<rtmsg>.size else { return nil }
        let header = payload.loadUnaligned(as: rtmsg.self)
        var table = UInt32(header.rtm_table)
        var route = Route(destination: .any(family), prefixLength: Int(header.rtm_dst_len), ifindex: 0)
        forEachAttribute(payload, from: align(MemoryLayout<rtmsg>.size)) { kind, value in
            switch Int32(kind) {
            case Int32(RTA_DST.rawValue):
                if let address = Netlink.address(Int32(header.rtm_family), value) { route.destination = address }
            case Int32(RTA_GATEWAY.rawValue):
                route.gateway = Netlink.address(Int32(header.rtm_family), value)
            case Int32(RTA_OIF.rawValue) where value.count >= 4:
                route.ifindex = value.loadUnaligned(as: Int32.self)
            case Int32(RTA_PRIORITY.rawValue) where value.count >= 4:
                route.metric = value.loadUnaligned(as: UInt32.self)
            case Int32(RTA_TABLE.rawValue) where value.count >= 4:
                table = value.loadUnaligned(as: UInt32.self)
            default: break
            }
        }
        return (route, table)
    }

    // MARK: wire

    static func address(_ family: Int32, _ bytes: UnsafeRawBufferPointer) -> SocketAddress? {
        if family == AF_INET, bytes.count == 4 {
            return SocketAddress(ipv4: UInt32(bigEndian: bytes.loadUnaligned(as: UInt32.self)), port: 0)
        }
        if family == AF_INET6, bytes.count == 16 {
            return SocketAddress(ipv6: Array(bytes), port: 0)
        }
        return nil
    }

    struct Message {
        var bytes: [UInt8]
        /// Known from the request, not re-derived from flags: NLM_F_CREATE|NLM_F_EXCL reuse the bits of NLM_F_DUMP.
        let isDump: Bool

        init(type: UInt16, flags: Int32) {
            bytes = []
            isDump = flags & NLM_F_DUMP == NLM_F_DUMP && type % 4 == 2  // RTM_GET* are type ≡ 2 (mod 4)
            append(nlmsghdr(nlmsg_len: 0, nlmsg_type: type, nlmsg_flags: UInt16(flags), nlmsg_seq: 0, nlmsg_pid: 0))
        }

        mutating func append<T>(_ value: T) {
            withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
            pad()
        }

        mutating func appendAttribute(_ type: UInt16, bytes data: [UInt8]) {
            append(rtattr(rta_len: UInt16(MemoryLayout<rtattr>.size + data.count), rta_type: type))
            bytes.append(contentsOf: data)
            pad()
        }

        mutating func appendAttribute(_ type: UInt16, value: UInt32) {
            appendAttribute(type, bytes: withUnsafeBytes(of: value) { Array($0) })
        }

        mutating func pad() {
            while bytes.count % 4 != 0 { bytes.append(0) }
        }

        mutating func finish(sequence: UInt32) {
            bytes.withUnsafeMutableBytes { raw in
                raw.storeBytes(of: UInt32(raw.count), toByteOffset: 0, as: UInt32.self)
                raw.storeBytes(of: sequence, toByteOffset: 8, as: UInt32.self)
            }
        }
    }

    /// Sends a request that expects only an acknowledgement.
    private func request(_ message: Message, _ operation: String) throws(NetlinkError) {
        try exchange(message, operation) { _, _ in }
    }

    /// Sends `message` and feeds every reply (type, payload after nlmsghdr) to `handle` until the ack,
    /// the end of a dump, or an error.
    private func exchange(
        _ message: Message, _ operation: String,
        _ handle: (UInt16, UnsafeRawBufferPointer) -> Void
    ) throws(NetlinkError) {
        sequence &+= 1
        let sequence = self.sequence
        var message = message
        message.finish(sequence: sequence)
        let isDump = message.isDump
        let sent = message.bytes.withUnsafeBytes { raw in
            negErrno(Glibc.send(fd, raw.baseAddress, raw.count, 0))
        }
        if sent < 0 { throw NetlinkError(operation: operation, errno: Int32(-sent), kernelMessage: nil) }

        var buffer = [UInt8](repeating: 0, count: Netlink.receiveBufferSize)
        while true {
            let received = buffer.withUnsafeMutableBytes { raw in
                negErrno(Glibc.recv(fd, raw.baseAddress, raw.count, 0))
            }
            if received == -Int(EINTR) { continue }
            if received < 0 { throw NetlinkError(operation: operation, errno: Int32(-received), kernelMessage: nil) }
            var outcome: NetlinkError?? = nil  // nil: keep reading; .some(nil): done; .some(error): failed
            buffer.withUnsafeBytes { whole in
                let raw = UnsafeRawBufferPointer(rebasing: whole[0..<received])
                var offset = 0
                while offset + MemoryLayout<nlmsghdr>.size <= raw.count {
                    let header = raw.loadUnaligned(fromByteOffset: offset, as: nlmsghdr.self)
                    let length = Int(header.nlmsg_len)
                    guard length >= MemoryLayout<nlmsghdr>.size, offset + length <= raw.count else { break }
                    let payload = UnsafeRawBufferPointer(
                        rebasing: raw[(offset + MemoryLayout<nlmsghdr>.size)..<(offset + length)])
                    defer { offset += align(length) }
                    guard header.nlmsg_seq == sequence else { continue }
                    switch Int32(header.nlmsg_type) {
                    case NLMSG_DONE:
                        outcome = .some(nil)
                    case NLMSG_ERROR:
                        let code = payload.count >= 4 ? payload.loadUnaligned(as: Int32.self) : -EPROTO
                        if code == 0 {
                            if !isDump { outcome = .some(nil) }
                        } else {
                            outcome = .some(
                                NetlinkError(
                                    operation: operation, errno: -code,
                                    kernelMessage: Netlink.extendedAckMessage(header, payload)))
                        }
                    default:
                        handle(header.nlmsg_type, payload)
                        if !isDump { outcome = .some(nil) }
                    }
                }
            }
            if let outcome {
                if let error = outcome { throw error }
                return
            }
        }
    }

    /// NLMSGERR_ATTR_MSG from an extended ack, if present.
    private static func extendedAckMessage(_ header: nlmsghdr, _ payload: UnsafeRawBufferPointer) -> String? {
        guard header.nlmsg_flags & UInt16(NLM_F_ACK_TLVS) != 0 else { return nil }
        // nlmsgerr = error code + the original request header (its payload is capped, NLM_F_CAPPED).
        var start = MemoryLayout<Int32>.size + MemoryLayout<nlmsghdr>.size
        if header.nlmsg_flags & UInt16(NLM_F_CAPPED) == 0, payload.count >= start {
            let request = payload.loadUnaligned(fromByteOffset: 4, as: nlmsghdr.self)
            start = MemoryLayout<Int32>.size + align(Int(request.nlmsg_len))
        }
        var text: String?
        forEachAttribute(payload, from: start) { kind, value in
            if kind == UInt16(NLMSGERR_ATTR_MSG.rawValue) {
                text = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return text
    }
}

@inline(__always)
private func align(_ length: Int) -> Int { (length + 3) & ~3 }

/// Walks rtattr TLVs in `payload` from `start`, stopping at the first malformed one.
private func forEachAttribute(
    _ payload: UnsafeRawBufferPointer, from start: Int,
    _ body: (UInt16, UnsafeRawBufferPointer) -> Void
) {
    var offset = start
    while offset + MemoryLayout<rtattr>.size <= payload.count {
        let attribute = payload.loadUnaligned(fromByteOffset: offset, as: rtattr.self)
        let length = Int(attribute.rta_len)
        guard length >= MemoryLayout<rtattr>.size, offset + length <= payload.count else { return }
        body(
            attribute.rta_type & 0x3fff,  // strip NLA_F_NESTED / NLA_F_NET_BYTEORDER
            UnsafeRawBufferPointer(rebasing: payload[(offset + MemoryLayout<rtattr>.size)..<(offset + length)]))
        offset += align(length)
    }
}
