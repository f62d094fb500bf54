import SwvpnConfig

extension MonitorConfig {
    public static let defaultPath = "/etc/swvpnd/monitor.conf"

    /// Parses monitor.conf text with swvpnd's lexer (same quoting and comments); errors say `file:line: directive: ...`.
    public static func parse(text: String, source: String) throws(ConfigError) -> MonitorConfig {
        var config = MonitorConfig(sourceName: source)
        var seen: [String: ConfigLocation] = [:]
        for line in try ConfigLexer.lex(Array(text.utf8), source: source) {
            guard let directive = MonitorDirectives.named(line.name) else {
                throw ConfigError(line.location, directive: line.name, "unknown directive (see swvpn-monitor --help)")
            }
            guard line.inlineText == nil else {
                throw ConfigError(line.location, directive: line.name, "inline blocks are not used in monitor.conf")
            }
            guard directive.arguments.contains(line.arguments.count) else {
                throw ConfigError(
                    line.location, directive: line.name,
                    "takes \(describe(directive.arguments)) (usage: \(directive.synopsis))")
            }
            if !directive.repeatable, let first = seen[line.name] {
                config.warnings.append(
                    ConfigDiagnostic(line.location, directive: line.name, "repeated; overrides \(first)"))
            }
            seen[line.name] = line.location
            try directive.apply(
                &config, MonitorLine(name: line.name, arguments: line.arguments, location: line.location))
        }
        try config.validate()
        return config
    }

    private static func describe(_ range: ClosedRange<Int>) -> String {
        if range.lowerBound == range.upperBound {
            return "\(range.lowerBound) argument\(range.lowerBound == 1 ? "" : "s")"
        }
        if range.upperBound == Int.max { return "at least \(range.lowerBound) arguments" }
        return "\(range.lowerBound) to \(range.upperBound) arguments"
    }

    /// Whole-file rules: something to watch, and every tunnel in a pair with routes.
    func validate() throws(ConfigError) {
        let top = ConfigLocation(source: sourceName, line: nil)
        guard !routes.isEmpty else {
            throw ConfigError(top, directive: nil, "no route lines: nothing to fail over (see conf/monitor.conf)")
        }
        for tunnel in tunnels where !pairs.contains(where: { $0.tunnels.contains(tunnels.firstIndex(of: tunnel)!) }) {
            throw ConfigError(
                tunnel.location, directive: "tunnel", "'\(tunnel.name)' is in no pair line: it has no standby")
        }
        guard timings.healthTimeout < timings.checkInterval else {
            throw ConfigError(top, directive: "health-timeout", "must be shorter than check-interval")
        }
    }

    public func instanceIndex(named name: String) -> Int? { instances.firstIndex { $0.name == name } }
    public func tunnelIndex(named name: String) -> Int? { tunnels.firstIndex { $0.name == name } }
}

/// One directive line with helpers that turn bad arguments into located errors.
struct MonitorLine {
    let name: String
    let arguments: [String]
    let location: ConfigLocation

    func error(_ problem: String) -> ConfigError { ConfigError(location, directive: name, problem) }
    subscript(_ index: Int) -> String? { index < arguments.count ? arguments[index] : nil }

    func integer(_ index: Int, _ range: ClosedRange<Int>, _ what: String) throws(ConfigError) -> Int {
        switch DecimalArgument.parse(arguments[index], in: range, what, maxDigits: 9) {
        case .success(let value): return value
        case .failure(let problem): throw error(problem.text)
        }
    }

    /// Seconds, with up to three decimals (`1`, `0.5`, `2.25`), within `range` seconds.
    func seconds(_ index: Int, _ range: ClosedRange<Double>, _ what: String) throws(ConfigError) -> Duration {
        let text = arguments[index]
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digits: (Substring) -> Bool = { $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 7, digits(whole),
            parts.count == 1 || (parts[1].count >= 1 && parts[1].count <= 3 && digits(parts[1]))
        else {
            throw error("bad \(what) '\(text)' (seconds, e.g. 1 or 0.5)")
        }
        let fraction = parts.count == 2 ? String(parts[1]).padding(toLength: 3) : "000"
        let millis = Int(whole)! * 1000 + Int(fraction)!
        let value = Double(millis) / 1000
        guard range.contains(value) else {
            throw error("\(what) \(text) s is out of range \(range.lowerBound)..\(range.upperBound) s")
        }
        return .milliseconds(millis)
    }

    func yesNo(_ index: Int) throws(ConfigError) -> Bool {
        switch arguments[index] {
        case "yes": return true
        case "no": return false
        default: throw error("bad value '\(arguments[index])' (must be yes or no)")
        }
    }

    func instance(_ index: Int, in config: MonitorConfig) throws(ConfigError) -> Int {
        guard let found = config.instanceIndex(named: arguments[index]) else {
            throw error("unknown instance '\(arguments[index])' (name it in an instance line above)")
        }
        return found
    }

    func tunnel(_ index: Int, in config: MonitorConfig) throws(ConfigError) -> Int {
        guard let found = config.tunnelIndex(named: arguments[index]) else {
            throw error("unknown tunnel '\(arguments[index])' (name it in a tunnel line above)")
        }
        return found
    }

    func awsId(_ index: Int, prefix: String, _ what: String) throws(ConfigError) -> String {
        let text = arguments[index]
        let body = text.dropFirst(prefix.count)
        guard text.hasPrefix(prefix), !body.isEmpty, body.count <= 32,
            body.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) || $0 == UInt8(ascii: "-") }
            )
        else {
            throw error("bad \(what) '\(text)' (expected \(prefix)…)")
        }
        return text
    }

    func url(_ index: Int, _ what: String) throws(ConfigError) -> String {
        let text = arguments[index]
        guard text.hasPrefix("http://") || text.hasPrefix("https://"), text.count > 8,
            !text.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F })
        else {
            throw error("bad \(what) '\(text)' (expected http://HOST:PORT/PATH)")
        }
        return text
    }

    func healthURL(_ index: Int) throws(ConfigError) -> String {
        guard HealthEndpoint.parse(arguments[index]) != nil else {
            throw error(
                "bad health URL '\(arguments[index])' (expected http://IPv4:PORT/PATH, e.g. http://10.0.0.5:9180/health)"
            )
        }
        return arguments[index]
    }

    /// `a.b.c.d/n`, with no host bits set (EC2 rejects those).
    func ipv4CIDR(_ index: Int) throws(ConfigError) -> String {
        let text = arguments[index]
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(String(parts[0])), parts[1].count <= 2,
            let prefix = Int(parts[1]), (0...32).contains(prefix)
        else {
            throw error("bad destination '\(text)' (expected an IPv4 CIDR like 172.16.0.0/16)")
        }
        guard address.value & ~IPv4Address.mask(prefixLength: prefix) == 0 else {
            throw error("destination '\(text)' has host bits set")
        }
        return text
    }
}

extension String {
    fileprivate func padding(toLength length: Int) -> String {
        count >= length ? self : self + String(repeating: "0", count: length - count)
    }
}
