/// One entry of the management interface's state history, printed as openvpn 2.6 prints it:
/// `time,STATE,detail,tun-ip,remote-ip,remote-port,local-ip,local-port` (8 fields, empty when
/// unknown); as a real-time notification it is prefixed `>STATE:`.
public struct ManagementStateEntry: Sendable, Equatable {
    public var unixTime: Int64
    /// openvpn's names: CONNECTING, WAIT, ASSIGN_IP, CONNECTED, RECONNECTING, EXITING...
    public var name: String
    public var detail: String
    public var tunnelAddress: String
    public var remoteAddress: String
    public var remotePort: String
    public var localAddress: String
    public var localPort: String

    public init(
        unixTime: Int64, name: String, detail: String = "", tunnelAddress: String = "",
        remoteAddress: String = "", remotePort: String = "", localAddress: String = "", localPort: String = ""
    ) {
        self.unixTime = unixTime
        self.name = name
        self.detail = detail
        self.tunnelAddress = tunnelAddress
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.localAddress = localAddress
        self.localPort = localPort
    }

    public var line: String {
        [String(unixTime), name, detail, tunnelAddress, remoteAddress, remotePort, localAddress, localPort]
            .map(ManagementSession.oneLine).joined(separator: ",")
    }
}

/// One log line kept for `log all`: `time,flags,message` (flags I, W, N, F, D as openvpn prints them).
public struct ManagementLogEntry: Sendable, Equatable {
    public var unixTime: Int64
    public var flags: String
    public var message: String

    public init(unixTime: Int64, flags: String, message: String) {
        self.unixTime = unixTime
        self.flags = flags
        self.message = message
    }

    public var line: String { "\(unixTime),\(flags),\(ManagementSession.oneLine(message))" }
}

/// A bounded history (openvpn keeps the last 100 of each by default).
public struct BoundedHistory<Entry: Sendable>: Sendable {
    public let capacity: Int
    public private(set) var entries: [Entry] = []

    public init(capacity: Int = 100) { self.capacity = capacity }

    public mutating func append(_ e: Entry) {
        entries.append(e)
        if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
    }

    /// The last `n` (all when nil), oldest first.
    public func last(_ n: Int?) -> ArraySlice<Entry> {
        guard let n else { return entries[...] }
        return entries.suffix(n)
    }
}

extension TunnelSnapshot {
    /// `1.2.3.4:1194` → ("1.2.3.4", "1194"); `[2001:db8::1]:1194` → ("2001:db8::1", "1194").
    static func splitHostPort(_ text: String?) -> (String, String) {
        guard let text, let colon = text.lastIndex(of: ":") else { return ("", "") }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        // openvpn prints an unbound wildcard address as two empty fields.
        if host == "0.0.0.0" || host == "::" { return ("", "") }
        return (host, String(text[text.index(after: colon)...]))
    }
}
