/// Comparing a received OCC_REPLY with the expected remote string, as openvpn does (PROTOCOL.md §7.5).
/// OpenVPN only logs these (at verb 7 in 2.6); the tunnel keeps running.

public enum OCCWarning: Sendable, Hashable, CustomStringConvertible {
    /// The `V4` version tags differ; the comparison may be skewed.
    case versionSkew
    /// Same option name, different value.
    case inconsistent(option: String, local: String, remote: String)
    case missingInRemote(option: String, local: String)
    case missingInLocal(option: String, remote: String)

    /// A log line; the peer's parts are sanitized (`OCCMessage.sanitized`).
    public var description: String {
        let clean = OCCMessage.sanitized
        return switch self {
        case .versionSkew:
            "NOTE: Options consistency check may be skewed by version differences"
        case .inconsistent(let o, let l, let r):
            "WARNING: '\(clean(o))' is used inconsistently, local='\(clean(l))', remote='\(clean(r))'"
        case .missingInRemote(let o, let l):
            "WARNING: '\(clean(o))' is present in local config but missing in remote config, local='\(clean(l))'"
        case .missingInLocal(let o, let r):
            "WARNING: '\(clean(o))' is present in remote config but missing in local config, remote='\(clean(r))'"
        }
    }
}

extension OCCOptions {
    /// Items openvpn never reports (they are going away from OCC).
    static func isIgnoredItem(_ item: String) -> Bool {
        item.hasPrefix("key-method ") || item.hasPrefix("keydir ") || item.hasPrefix("proto ")
            || item == "tls-auth" || item.hasPrefix("tun-ipv6") || item.hasPrefix("cipher ")
    }

    /// Warnings for a received options string against `expected` (normally `expectedRemoteString`);
    /// empty when they are equal.
    public static func compare(received: String, expected: String) -> [OCCWarning] {
        if received == expected { return [] }
        var warnings: [OCCWarning] = []
        if !received.utf8.prefix(2).elementsEqual(expected.utf8.prefix(2)) {
            warnings.append(.versionSkew)
        }
        // openvpn prefixes both with "version " so the tag becomes an item like any other.
        let local = ("version " + expected).split(separator: ",", omittingEmptySubsequences: true).map(String.init)
        let remote = ("version " + received).split(separator: ",", omittingEmptySubsequences: true).map(String.init)
        func name(_ item: String) -> String { String(item.prefix { $0 != " " }) }

        for item in local where !isIgnoredItem(item) {
            let n = name(item)
            var found = false
            for other in remote {
                if other == item {
                    found = true
                    break
                }
                if name(other) == n {
                    warnings.append(.inconsistent(option: n, local: item, remote: other))
                    found = true
                    break
                }
            }
            if !found { warnings.append(.missingInRemote(option: n, local: item)) }
        }
        for item in remote where !isIgnoredItem(item) {
            let n = name(item)
            if !local.contains(where: { $0 == item || name($0) == n }) {
                warnings.append(.missingInLocal(option: n, remote: item))
            }
        }
        return warnings
    }

    /// Warnings for a received reply against this peer's expectation.
    public func warnings(forReceived received: String) -> [OCCWarning] {
        Self.compare(received: received, expected: expectedRemoteString)
    }
}
