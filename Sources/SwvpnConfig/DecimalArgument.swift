/// A directive's decimal-integer argument, read the same way by swvpnd's and swvpn-monitor's configs
/// (OpenVPN's `atoi_constrained`, but a non-number is an error). The failure is the problem text for a
/// located `ConfigError`.
public enum DecimalArgument {
    public static func parse(
        _ text: String, in range: ClosedRange<Int>, _ what: String, maxDigits: Int = 10
    ) -> Result<Int, ConfigProblem> {
        guard !text.isEmpty, text.count <= maxDigits, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let value = Int(text)
        else {
            return .failure(ConfigProblem("bad \(what) '\(text)' (not a number)"))
        }
        guard range.contains(value) else {
            return .failure(ConfigProblem("\(what) \(value) is out of range \(range.lowerBound)..\(range.upperBound)"))
        }
        return .success(value)
    }
}

/// The text of a config error before it gets its file, line and directive.
public struct ConfigProblem: Error, Sendable {
    public let text: String
    public init(_ text: String) { self.text = text }
}
