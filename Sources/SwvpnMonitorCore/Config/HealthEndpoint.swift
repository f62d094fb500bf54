import SwvpnConfig

/// A swvpnd health URL, `http://IPv4[:PORT]/PATH`: plain HTTP to an instance's private address (what
/// `health-listen` serves), so the monitor needs no DNS and no TLS to decide.
public struct HealthEndpoint: Sendable, Hashable {
    public var address: IPv4Address
    public var port: UInt16
    /// Starts with `/`; query included.
    public var path: String

    public static func parse(_ url: String) -> HealthEndpoint? {
        guard url.hasPrefix("http://"), url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPv4Address(String(parts[0])) else { return nil }
        var port: UInt16 = 80
        if parts.count == 2 {
            guard parts[1].count <= 5, parts[1].utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                let p = UInt16(parts[1]), p > 0
            else { return nil }
            port = p
        }
        return HealthEndpoint(address: address, port: port, path: path)
    }
}
