import SwvpnCrypto

/// Reads config files for the parser; the daemon passes one backed by the real file system,
/// tests pass an in-memory one. Paths arrive already resolved against `cd`.
public protocol ConfigFileSystem {
    func read(_ path: String) throws -> [UInt8]
}

/// A `ConfigFileSystem` backed by a dictionary of path → contents.
public struct InMemoryFileSystem: ConfigFileSystem, Sendable {
    public var files: [String: [UInt8]]

    public init(_ files: [String: String] = [:]) {
        self.files = files.mapValues { Array($0.utf8) }
    }

    public struct NotFound: Error, CustomStringConvertible {
        public var description: String { "No such file or directory" }
    }

    public func read(_ path: String) throws -> [UInt8] {
        guard let bytes = files[path] else { throw NotFound() }
        return bytes
    }
}

extension TunnelConfig {
    /// OpenVPN's include limit (`max_recursive_levels`).
    public static let maxIncludeDepth = 10

    /// Reads the config at `path` (if any), then applies `arguments` (`["--dev", "tun", ...]`)
    /// in order, as `openvpn --config path --dev tun ...` would. A single argument that does not
    /// start with `--` is a config file name, as with `openvpn file.conf`.
    public static func load(
        path: String? = nil, arguments: [String] = [],
        fileSystem: some ConfigFileSystem
    ) throws(ConfigError) -> TunnelConfig {
        var arguments = arguments
        if arguments.count == 1, !arguments[0].hasPrefix("--") { arguments = ["--config", arguments[0]] }
        // The first config file named gives the tunnel its name (systemd's instance name), wherever it
        // stands: `--suppress-timestamps --config x.conf` is tunnel x.conf too.
        let top = path ?? firstConfigArgument(arguments) ?? ConfigLocation.commandLineSource
        var loader = Loader(fileSystem: fileSystem, builder: ConfigBuilder(sourceName: top))
        if let path {
            try loader.include(path, from: ConfigLocation(source: path, line: nil), directive: nil, depth: 0)
        }
        for line in try commandLineLines(arguments) {
            try loader.apply(line, depth: 0)
        }
        return try loader.builder.finish(topLevel: ConfigLocation(source: top, line: nil))
    }

    /// Parses config text that is already in memory; `config` includes go through `fileSystem`.
    public static func parse(
        text: String, source: String,
        fileSystem: some ConfigFileSystem = InMemoryFileSystem()
    ) throws(ConfigError) -> TunnelConfig {
        var loader = Loader(fileSystem: fileSystem, builder: ConfigBuilder(sourceName: source))
        loader.stack = [source]
        var bytes = Array(text.utf8)
        defer { SecureMemory.wipe(&bytes) }  // the caller's `text` itself stays as it is
        for line in try ConfigLexer.lex(bytes, source: source) {
            try loader.apply(line, depth: 1)
        }
        return try loader.builder.finish(topLevel: ConfigLocation(source: source, line: nil))
    }

    static func firstConfigArgument(_ arguments: [String]) -> String? {
        guard let i = arguments.firstIndex(of: "--config"), i + 1 < arguments.count,
            !arguments[i + 1].hasPrefix("--")
        else { return nil }
        return arguments[i + 1]
    }

    /// Groups `["--dev", "tun", "--ifconfig", "a", "b"]` into one line per `--name`.
    static func commandLineLines(_ arguments: [String]) throws(ConfigError) -> [ConfigLine] {
        let location = ConfigLocation(source: ConfigLocation.commandLineSource, line: nil)
        var lines: [ConfigLine] = []
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            guard word.hasPrefix("--"), word.count > 2 else {
                throw ConfigError(location, directive: nil, "'\(word)': options must start with --")
            }
            index += 1
            var args: [String] = []
            while index < arguments.count, !arguments[index].hasPrefix("--") {
                args.append(arguments[index])
                index += 1
            }
            lines.append(
                ConfigLine(
                    name: String(word.dropFirst(2)), arguments: args, location: location,
                    inline: nil, inlineFirstLine: nil))
        }
        return lines
    }
}

private struct Loader<FileSystem: ConfigFileSystem> {
    let fileSystem: FileSystem
    var builder: ConfigBuilder
    /// Files currently being read, outermost first, to name cycles.
    var stack: [String] = []

    mutating func include(
        _ path: String, from location: ConfigLocation, directive: String?,
        depth: Int
    ) throws(ConfigError) {
        if stack.contains(path) {
            throw ConfigError(
                location, directive: directive,
                "include cycle: \((stack + [path]).joined(separator: " -> "))")
        }
        guard depth < TunnelConfig.maxIncludeDepth else {
            throw ConfigError(
                location, directive: directive,
                "too many nested includes (\(TunnelConfig.maxIncludeDepth) max) reading '\(path)'")
        }
        var bytes: [UInt8]
        do {
            bytes = try fileSystem.read(path)
        } catch {
            throw ConfigError(location, directive: directive, "cannot read config file '\(path)': \(error)")
        }
        // The file may hold an inline <secret>: once lexed, its bytes are wiped (the block has its own buffer).
        let lines: [ConfigLine]
        do throws(ConfigError) {
            lines = try ConfigLexer.lex(bytes, source: path)
            SecureMemory.wipe(&bytes)
        } catch {
            SecureMemory.wipe(&bytes)
            throw error
        }
        stack.append(path)
        for line in lines {
            try apply(line, depth: depth + 1)
        }
        stack.removeLast()
    }

    mutating func apply(_ line: ConfigLine, depth: Int) throws(ConfigError) {
        if line.inline != nil, line.name != "secret" {
            let problem =
                DirectiveTable.named(line.name)?.status == .rejected
                ? "TLS mode is not supported" : "unknown inline block <\(line.name)>"
            throw ConfigError(line.location, directive: nil, problem)
        }
        guard let directive = DirectiveTable.named(line.name) else {
            if builder.ignoreUnknown(line.name, at: line.location) { return }
            throw ConfigError(line.location, directive: line.name, "unknown directive")
        }
        let invocation = Invocation(
            name: line.name, arguments: line.arguments, location: line.location,
            inline: line.inline, inlineFirstLine: line.inlineFirstLine)
        // An inline block carries its data instead of arguments.
        let count = line.inline == nil ? line.arguments.count : 1
        if directive.status != .rejected, !directive.argumentCount.contains(count) {
            throw invocation.error(argumentCountProblem(directive, count))
        }
        if line.name == "config" {
            try include(builder.resolve(line.arguments[0]), from: line.location, directive: line.name, depth: depth)
        } else {
            try directive.apply(&builder, invocation)
        }
        builder.seen[line.name] = line.location
    }

    private func argumentCountProblem(_ directive: Directive, _ count: Int) -> String {
        let range = directive.argumentCount
        let expected =
            range.lowerBound == range.upperBound
            ? (range.lowerBound == 0
                ? "no arguments" : "\(range.lowerBound) argument\(range.lowerBound == 1 ? "" : "s")")
            : "\(range.lowerBound) to \(range.upperBound) arguments"
        return "takes \(expected), got \(count) (usage: \(directive.synopsis))"
    }
}
