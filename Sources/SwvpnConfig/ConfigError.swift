/// Where a directive came from: a file and line, or the command line.
public struct ConfigLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file name as it was opened (relative paths stay relative), or `command line`.
    public let source: String
    /// 1-based line number; nil for the command line and for whole-config problems.
    public let line: Int?

    public static let commandLineSource = "command line"

    public init(source: String, line: Int?) {
        self.source = source
        self.line = line
    }

    public var isCommandLine: Bool { source == Self.commandLineSource }
    public var description: String { line.map { "\(source):\($0)" } ?? source }
}

/// A problem in a config file or on the command line; prints as
/// `vpc1-to-vpc2.conf:7: route: bad netmask '255.0.255.0'` or `command line: --port: ...`.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public let location: ConfigLocation
    /// The directive without `--`; nil for lexer problems and whole-config problems.
    public let directive: String?
    public let problem: String

    public init(_ location: ConfigLocation, directive: String?, _ problem: String) {
        self.location = location
        self.directive = directive
        self.problem = problem
    }

    public var description: String { renderDiagnostic(location, directive, problem) }
}

/// A non-fatal note about the config (deprecations, options without effect); same format as errors.
public struct ConfigDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public let location: ConfigLocation
    public let directive: String?
    public let message: String

    public init(_ location: ConfigLocation, directive: String?, _ message: String) {
        self.location = location
        self.directive = directive
        self.message = message
    }

    public var description: String { renderDiagnostic(location, directive, message) }
}

private func renderDiagnostic(_ location: ConfigLocation, _ directive: String?, _ text: String) -> String {
    guard let directive else { return "\(location): \(text)" }
    // On the command line options are spelled with their dashes, as the user typed them.
    let name = location.isCommandLine ? "--" + directive : directive
    return "\(location): \(name): \(text)"
}
