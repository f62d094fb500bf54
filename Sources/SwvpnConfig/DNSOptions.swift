/// openvpn 2.6's `dns` option: search domains and servers by priority. On Linux openvpn only hands
/// it to scripts: as `dns_*` variables and by rewriting the DNS entries of `foreign_option_N`.
public struct DNSOptions: Sendable, Hashable {
    public var searchDomains: [String] = []
    /// Sorted by priority (lowest first), one entry per priority, as openvpn keeps them.
    public var servers: [Server] = []

    public init() {}

    public struct Server: Sendable, Hashable {
        public var priority: Int
        public var addresses: [Address] = []
        public var resolveDomains: [String] = []
        /// "yes", "no" or "optional".
        public var dnssec: String?
        /// "plain", "DoH" or "DoT".
        public var transport: String?
        public var sni: String?

        public init(priority: Int) { self.priority = priority }
    }

    public struct Address: Sendable, Hashable {
        /// The address in the form inet_ntop prints it.
        public var host: String
        public var isIPv6: Bool
        public var port: UInt16?
    }

    public var isEmpty: Bool { searchDomains.isEmpty && servers.isEmpty }

    /// openvpn's `dns_search_domain_N`, `dns_server_N_address_M`, `dns_server_N_port_M`,
    /// `dns_server_N_resolve_domain_M`, `dns_server_N_dnssec`, `_transport`, `_sni` (N counts servers
    /// in priority order, from 1).
    public var environment: [(name: String, value: String)] {
        var env: [(String, String)] = []
        for (i, domain) in searchDomains.enumerated() { env.append(("dns_search_domain_\(i + 1)", domain)) }
        for (i, server) in servers.enumerated() {
            let n = i + 1
            for (j, address) in server.addresses.enumerated() {
                env.append(("dns_server_\(n)_address_\(j + 1)", address.host))
                if let port = address.port { env.append(("dns_server_\(n)_port_\(j + 1)", "\(port)")) }
            }
            for (j, domain) in server.resolveDomains.enumerated() {
                env.append(("dns_server_\(n)_resolve_domain_\(j + 1)", domain))
            }
            if let dnssec = server.dnssec { env.append(("dns_server_\(n)_dnssec", dnssec)) }
            if let transport = server.transport { env.append(("dns_server_\(n)_transport", transport)) }
            if let sni = server.sni { env.append(("dns_server_\(n)_sni", sni)) }
        }
        return env
    }

    /// The server entry of `priority`, made if new, keeping the list sorted.
    mutating func server(priority: Int) -> Int {
        if let index = servers.firstIndex(where: { $0.priority == priority }) { return index }
        let index = servers.firstIndex { $0.priority > priority } ?? servers.count
        servers.insert(Server(priority: priority), at: index)
        return index
    }

    /// `1.2.3.4`, `1.2.3.4:853`, `fd00::1`, `[fd00::1]:853`, as openvpn reads a `dns server` address.
    static func parseAddress(_ text: String) -> Address? {
        let colons = text.filter { $0 == ":" }.count
        if colons <= 1 {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard let ip = IPv4Address(String(parts[0])) else { return nil }
            var port: UInt16?
            if parts.count == 2 {
                guard let p = UInt16(parts[1]), p > 0 else { return nil }
                port = p
            }
            return Address(host: "\(ip)", isIPv6: false, port: port)
        }
        var host = Substring(text)
        var port: UInt16?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":"),
                let p = UInt16(text[text.index(close, offsetBy: 2)...]), p > 0
            else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            port = p
        }
        guard let canonical = IPv6Text.canonical(String(host)) else { return nil }
        return Address(host: canonical, isIPv6: true, port: port)
    }
}
