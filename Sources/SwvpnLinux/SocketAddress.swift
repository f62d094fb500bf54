import CSwvpnLinux
import Glibc

/// An IPv4 or IPv6 address with a port, as a plain value (no allocation, `Hashable`, equality includes the port).
///
/// Parses and formats `1.2.3.4`, `1.2.3.4:1194`, `::1`, `[::1]:1194` (and `fe80::1%eth0` scope IDs by index).
package struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    package enum Family: Sendable, Hashable {
        case inet
        case inet6

        var rawValue: Int32 { self == .inet ? AF_INET : AF_INET6 }
    }

    @usableFromInline
    enum Storage: Hashable, Sendable {
        /// Address and port in host byte order.
        case v4(address: UInt32, port: UInt16)
        /// Address as two big-endian halves (host order numbers of the network bytes), port in host order.
        case v6(high: UInt64, low: UInt64, port: UInt16, scopeID: UInt32)
    }

    @usableFromInline
    var storage: Storage

    package var family: Family {
        if case .v4 = storage { return .inet }
        return .inet6
    }

    package var port: UInt16 {
        get {
            switch storage {
            case .v4(_, let port), .v6(_, _, let port, _): return port
            }
        }
        set {
            switch storage {
            case .v4(let address, _): storage = .v4(address: address, port: newValue)
            case .v6(let high, let low, _, let scope):
                storage = .v6(high: high, low: low, port: newValue, scopeID: scope)
            }
        }
    }

    /// IPv4 address from host-order value, e.g. `0x7f00_0001` for 127.0.0.1.
    package init(ipv4 address: UInt32, port: UInt16) {
        storage = .v4(address: address, port: port)
    }

    /// IPv6 address from its 16 network-order bytes.
    package init(ipv6 bytes: [UInt8], port: UInt16, scopeID: UInt32 = 0) {
        precondition(bytes.count == 16, "IPv6 address needs 16 bytes")
        var high: UInt64 = 0
        var low: UInt64 = 0
        for i in 0..<8 { high = high << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { low = low << 8 | UInt64(bytes[i]) }
        storage = .v6(high: high, low: low, port: port, scopeID: scopeID)
    }

    /// Parses a numeric IP address (no port); nil if it is not one.
    package init?(ip text: String, port: UInt16 = 0) {
        var scopeID: UInt32 = 0
        var addressText = Substring(text)
        if let percent = text.firstIndex(of: "%") {
            addressText = text[..<percent]
            let scope = String(text[text.index(after: percent)...])
            if let number = UInt32(scope) {
                scopeID = number
            } else {
                let index = if_nametoindex(scope)
                guard index != 0 else { return nil }
                scopeID = index
            }
        }
        var v4 = in_addr()
        if scopeID == 0, inet_pton(AF_INET, String(addressText), &v4) == 1 {
            storage = .v4(address: UInt32(bigEndian: v4.s_addr), port: port)
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, String(addressText), &v6) == 1 else { return nil }
        let (high, low) = withUnsafeBytes(of: &v6) { bytes in
            (
                UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            )
        }
        storage = .v6(high: high, low: low, port: port, scopeID: scopeID)
    }

    /// Parses `host:port` where host is numeric: `1.2.3.4:1194`, `[::1]:1194`. nil if malformed.
    package init?(parsing text: String) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { return nil }
            guard let address = SocketAddress(ip: host, port: port), address.family == .inet6 else { return nil }
            self = address
            return
        }
        guard let colon = text.lastIndex(of: ":"),
            let port = UInt16(text[text.index(after: colon)...])
        else { return nil }
        guard let address = SocketAddress(ip: String(text[..<colon]), port: port), address.family == .inet
        else { return nil }
        self = address
    }

    /// The address without port, e.g. `169.254.255.2` or `fd00::1`.
    package var ipString: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch storage {
        case .v4(let address, _):
            var raw = in_addr(s_addr: address.bigEndian)
            _ = inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count))
            return string(fromCBuffer: buffer)
        case .v6(_, _, _, let scopeID):
            var raw = in6Address
            _ = inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count))
            let text = string(fromCBuffer: buffer)
            return scopeID == 0 ? text : "\(text)%\(scopeID)"
        }
    }

    /// `1.2.3.4:1194` or `[::1]:1194`.
    package var description: String {
        family == .inet ? "\(ipString):\(port)" : "[\(ipString)]:\(port)"
    }

    /// The address bytes in network order (4 or 16 bytes).
    package var addressBytes: [UInt8] {
        switch storage {
        case .v4(let address, _):
            return withUnsafeBytes(of: address.bigEndian) { Array($0) }
        case .v6(let high, let low, _, _):
            return withUnsafeBytes(of: high.bigEndian) { Array($0) } + withUnsafeBytes(of: low.bigEndian) { Array($0) }
        }
    }

    var in6Address: in6_addr {
        guard case .v6(let high, let low, _, _) = storage else { return in6_addr() }
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) { bytes in
            bytes.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
            bytes.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        return raw
    }

    /// The wildcard address of a family (0.0.0.0 / ::) with a port; port 0 means ephemeral.
    package static func any(_ family: Family, port: UInt16 = 0) -> SocketAddress {
        family == .inet
            ? SocketAddress(ipv4: 0, port: port) : SocketAddress(ipv6: [UInt8](repeating: 0, count: 16), port: port)
    }

    package static func loopback(_ family: Family, port: UInt16 = 0) -> SocketAddress {
        family == .inet
            ? SocketAddress(ipv4: 0x7f00_0001, port: port)
            : SocketAddress(ipv6: [UInt8](repeating: 0, count: 15) + [1], port: port)
    }

    // MARK: sockaddr conversion (allocation-free; used per packet)

    /// Writes this address into `storage` and returns its length.
    @inlinable
    package func write(to raw: UnsafeMutablePointer<sockaddr_storage>) -> socklen_t {
        switch storage {
        case .v4(let address, let port):
            return raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                sin.pointee = sockaddr_in()
                sin.pointee.sin_family = sa_family_t(AF_INET)
                sin.pointee.sin_port = port.bigEndian
                sin.pointee.sin_addr.s_addr = address.bigEndian
                return socklen_t(MemoryLayout<sockaddr_in>.size)
            }
        case .v6(let high, let low, let port, let scopeID):
            return raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                sin6.pointee = sockaddr_in6()
                sin6.pointee.sin6_family = sa_family_t(AF_INET6)
                sin6.pointee.sin6_port = port.bigEndian
                sin6.pointee.sin6_scope_id = scopeID
                withUnsafeMutableBytes(of: &sin6.pointee.sin6_addr) { bytes in
                    bytes.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
                    bytes.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
                }
                return socklen_t(MemoryLayout<sockaddr_in6>.size)
            }
        }
    }

    /// Reads an AF_INET/AF_INET6 sockaddr; nil for other families.
    @inlinable
    package init?(_ raw: UnsafePointer<sockaddr_storage>) {
        switch Int32(raw.pointee.ss_family) {
        case AF_INET:
            let sin = UnsafeRawPointer(raw).load(as: sockaddr_in.self)
            storage = .v4(address: UInt32(bigEndian: sin.sin_addr.s_addr), port: UInt16(bigEndian: sin.sin_port))
        case AF_INET6:
            let sin6 = UnsafeRawPointer(raw).load(as: sockaddr_in6.self)
            var addr = sin6.sin6_addr
            let (high, low) = withUnsafeBytes(of: &addr) { bytes in
                (
                    UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                    UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                )
            }
            storage = .v6(high: high, low: low, port: UInt16(bigEndian: sin6.sin6_port), scopeID: sin6.sin6_scope_id)
        default:
            return nil
        }
    }

    /// Calls `body` with a `sockaddr` pointer and length for this address.
    package func withSockAddr<R, E: Error>(
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R
    ) throws(E) -> R {
        var raw = sockaddr_storage()
        let length = write(to: &raw)
        return try withUnsafePointer(to: &raw) { (pointer) throws(E) -> R in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (sa) throws(E) -> R in
                try body(sa, length)
            }
        }
    }
}
