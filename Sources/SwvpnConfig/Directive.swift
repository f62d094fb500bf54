import SwvpnProtocol

/// One config directive: its syntax, its help text, and what it does to the configuration.
/// The `--help` output, the man page and the annotated reference config are generated from
/// `DirectiveTable.all`.
public struct Directive: Sendable {
    /// Name without dashes (`replay-window`); on the command line it is `--replay-window`.
    public let name: String
    /// How many arguments it takes (after the name).
    public let argumentCount: ClosedRange<Int>
    /// Usage line, e.g. `route network [netmask] [gateway] [metric]`.
    public let synopsis: String
    /// One-line help text.
    public let summary: String
    /// Whether swvpnd acts on it; `.rejected` ones exist so the error can say why.
    public let status: Status
    let apply: @Sendable (inout ConfigBuilder, Invocation) throws(ConfigError) -> Void

    public enum Status: Sendable, Hashable {
        /// Honoured by swvpnd.
        case supported
        /// Accepted for compatibility, recorded as a warning (no effect in static-key mode).
        case noEffect
        /// Always an error (TLS mode, server mode, tap...).
        case rejected
    }

    init(
        _ name: String, _ argumentCount: ClosedRange<Int>, _ synopsis: String, _ summary: String,
        status: Status = .supported,
        _ apply: @escaping @Sendable (inout ConfigBuilder, Invocation) throws(ConfigError) -> Void
    ) {
        self.name = name
        self.argumentCount = argumentCount
        self.synopsis = synopsis
        self.summary = summary
        self.status = status
        self.apply = apply
    }
}

/// One use of a directive, with helpers that turn bad arguments into located errors.
struct Invocation {
    let name: String
    let arguments: [String]
    let location: ConfigLocation
    let inline: InlineBlock?
    let inlineFirstLine: Int?

    func error(_ problem: String) -> ConfigError {
        ConfigError(location, directive: name, problem)
    }

    subscript(_ index: Int) -> String? { index < arguments.count ? arguments[index] : nil }

    /// A decimal integer in `range` (OpenVPN's `atoi_constrained`, but a non-number is an error).
    func integer(_ index: Int, _ range: ClosedRange<Int>, _ what: String) throws(ConfigError) -> Int {
        switch DecimalArgument.parse(arguments[index], in: range, what) {
        case .success(let value): return value
        case .failure(let problem): throw error(problem.text)
        }
    }

    func port(_ index: Int) throws(ConfigError) -> UInt16 {
        UInt16(try integer(index, 1...65535, "port"))
    }

    func ipv4(_ index: Int, _ what: String) throws(ConfigError) -> IPv4Address {
        guard let address = IPv4Address(arguments[index]) else {
            throw error("bad \(what) '\(arguments[index])' (not an IPv4 address)")
        }
        return address
    }

    func keyDirection(_ index: Int) throws(ConfigError) -> KeyDirection {
        switch arguments[index] {
        case "0": return .normal
        case "1": return .inverse
        default: throw error("bad key direction '\(arguments[index])' (must be 0 or 1)")
        }
    }

    func yesNo(_ index: Int) throws(ConfigError) -> Bool {
        switch arguments[index] {
        case "yes": return true
        case "no": return false
        default: throw error("bad value '\(arguments[index])' (must be yes or no)")
        }
    }
}

/// Parses `proto`-style names: udp, udp4, udp6, tcp-server, tcp4-server, tcp6-client...
func parseTransport(_ text: String, _ inv: Invocation) throws(ConfigError) -> (Transport, AddressFamily) {
    var family = AddressFamily.any
    var base = text.lowercased()
    for (suffix, f) in [("4", AddressFamily.ipv4), ("6", .ipv6)] {
        if base == "udp" + suffix {
            base = "udp"
            family = f
        }
        if base.hasPrefix("tcp" + suffix) {
            base = "tcp" + base.dropFirst(4)
            family = f
        }
    }
    switch base {
    case "udp": return (.udp, family)
    case "tcp-server": return (.tcpServer, family)
    case "tcp-client": return (.tcpClient, family)
    case "tcp": throw inv.error("'\(text)' is ambiguous in point-to-point mode: use tcp-server or tcp-client")
    default: throw inv.error("unknown protocol '\(text)' (udp, udp4, udp6, tcp-server, tcp-client, tcp4-/tcp6-…)")
    }
}

/// Parses `addr/prefix`.
func parseIPv6Prefix(_ text: String, _ inv: Invocation, _ what: String) throws(ConfigError) -> (String, Int) {
    let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
    let address = String(parts[0])
    guard isIPv6Literal(address) else { throw inv.error("bad \(what) '\(text)' (not an IPv6 address)") }
    guard parts.count == 2 else { return (address, 128) }
    guard let prefix = Int(parts[1]), (0...128).contains(prefix), parts[1].count <= 3 else {
        throw inv.error("bad prefix length in '\(text)'")
    }
    return (address, prefix)
}

/// Shape check of an IPv6 literal (hex groups, at most one `::`, optional dotted IPv4 tail).
func isIPv6Literal(_ text: String) -> Bool {
    guard text.contains(":"), text.count <= 45 else { return false }
    let doubleColons = text.split(separator: ":", omittingEmptySubsequences: false)
    guard doubleColonCount(text) <= 1 else { return false }
    var groups = 0
    for (index, group) in doubleColons.enumerated() {
        if group.isEmpty { continue }
        if index == doubleColons.count - 1, group.contains(".") {
            guard IPv4Address(String(group)) != nil else { return false }
            groups += 2
            continue
        }
        guard group.count <= 4, group.allSatisfy({ $0.isHexDigit }) else { return false }
        groups += 1
    }
    let compressed = text.contains("::")
    return compressed ? groups < 8 : groups == 8
}

private func doubleColonCount(_ text: String) -> Int {
    let bytes = Array(text.utf8)
    var count = 0
    var index = 0
    while index + 1 < bytes.count {
        if bytes[index] == UInt8(ascii: ":"), bytes[index + 1] == UInt8(ascii: ":") {
            count += 1
            index += 2
        } else {
            index += 1
        }
    }
    return count
}
