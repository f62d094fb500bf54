/// One directive as written: its name and arguments, with where it came from.
public struct ConfigLine: Sendable, Hashable {
    /// Directive name with any leading `--` removed (for an inline block: the tag name).
    public let name: String
    public let arguments: [String]
    public let location: ConfigLocation
    /// For `<name> ... </name>` blocks: the text between the tags, every line ending in `\n`, in a
    /// buffer that can be wiped (it is key material for `<secret>`).
    public let inline: InlineBlock?
    /// Line number of the first line inside an inline block.
    public let inlineFirstLine: Int?

    /// A copy of the inline block as text (tests, and checks that there is one).
    public var inlineText: String? { inline?.text }

    public init(
        name: String, arguments: [String], location: ConfigLocation, inline: InlineBlock?, inlineFirstLine: Int?
    ) {
        self.name = name
        self.arguments = arguments
        self.location = location
        self.inline = inline
        self.inlineFirstLine = inlineFirstLine
    }
}

/// OpenVPN config-file syntax (the rules of openvpn's `parse_line`, re-implemented from its
/// behaviour): whitespace-separated tokens, `"..."` with backslash escapes, `'...'` taken
/// literally, `\\` `\"` `\ ` outside single quotes, `#`/`;` starting a token begin a comment,
/// a leading `--` on the directive is dropped, and a lone `<tag>` opens an inline block.
public enum ConfigLexer {
    /// OpenVPN reads lines and parameters into 256-byte buffers; longer ones are usage errors there.
    public static let maxLineLength = 256
    public static let maxParameterLength = 256
    /// OpenVPN's MAX_PARMS: the directive plus 15 arguments.
    public static let maxTokens = 16

    public static func lex(_ bytes: [UInt8], source: String) throws(ConfigError) -> [ConfigLine] {
        var lines = splitLines(bytes)
        if let first = lines.first, first.starts(with: [0xEF, 0xBB, 0xBF]) {
            lines[0] = first.dropFirst(3)
        }
        var result: [ConfigLine] = []
        var index = 0
        while index < lines.count {
            let lineNumber = index + 1
            let location = ConfigLocation(source: source, line: lineNumber)
            let raw = lines[index]
            index += 1
            if raw.count > maxLineLength {
                throw ConfigError(location, directive: nil, "line too long (\(maxLineLength) bytes max)")
            }
            var tokens = try tokenize(raw, location: location)
            guard !tokens.isEmpty else { continue }
            if tokens[0].count >= 3, tokens[0].hasPrefix("--") { tokens[0].removeFirst(2) }
            let head = tokens[0]
            if tokens.count == 1, head.count > 2, head.hasPrefix("<"), head.hasSuffix(">") {
                let tag = String(head.dropFirst().dropLast())
                let closing = Array("</\(tag)>".utf8)
                let firstLine = index + 1
                guard let end = lines[index...].firstIndex(where: { $0.drop(while: isSpace).starts(with: closing) })
                else {
                    throw ConfigError(location, directive: nil, "<\(tag)> block has no closing </\(tag)>")
                }
                // One buffer of exactly the block's size: no growing copies of key text are left behind.
                var text: [UInt8] = []
                text.reserveCapacity(lines[index..<end].reduce(0) { $0 + $1.count + 1 })
                for content in lines[index..<end] {
                    text += content
                    text.append(0x0A)
                }
                index = end + 1
                result.append(
                    ConfigLine(
                        name: tag, arguments: [], location: location,
                        inline: InlineBlock(bytes: text), inlineFirstLine: firstLine))
            } else {
                result.append(
                    ConfigLine(
                        name: head, arguments: Array(tokens.dropFirst()), location: location,
                        inline: nil, inlineFirstLine: nil))
            }
        }
        return result
    }

    /// Splits on LF and drops one trailing CR per line, so CRLF files read like LF files.
    static func splitLines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines.map { $0.last == 0x0D ? $0.dropLast() : $0 }
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    private enum State { case between, unquoted, doubleQuoted, singleQuoted }

    /// Tokenizes one line (no line terminator).
    static func tokenize(_ line: ArraySlice<UInt8>, location: ConfigLocation) throws(ConfigError) -> [String] {
        var tokens: [String] = []
        var current: [UInt8] = []
        var state = State.between
        var escaped = false

        func finish() throws(ConfigError) {
            guard tokens.count < maxTokens else {
                throw ConfigError(location, directive: nil, "too many parameters (\(maxTokens) max)")
            }
            tokens.append(String(decoding: current, as: UTF8.self))
            current.removeAll(keepingCapacity: true)
            state = .between
        }

        for byte in line {
            if !escaped, byte == UInt8(ascii: "\\"), state != .singleQuoted {
                escaped = true
                continue
            }
            if escaped, !(byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") || isSpace(byte)) {
                // An escape before a comment character still starts the comment, as in OpenVPN.
                if state == .between, byte == UInt8(ascii: "#") || byte == UInt8(ascii: ";") {
                    escaped = false
                    return try done()
                }
                throw ConfigError(
                    location, directive: nil,
                    "bad backslash usage: only \\\\, \\\" and \\<space> are escapes (use \"c:\\\\dir\")")
            }
            let wasEscaped = escaped
            escaped = false
            switch state {
            case .between:
                if isSpace(byte) {
                    if wasEscaped {
                        current.append(byte)
                        state = .unquoted
                    }
                    continue
                }
                if byte == UInt8(ascii: "#") || byte == UInt8(ascii: ";") { return try done() }
                if !wasEscaped, byte == UInt8(ascii: "\"") {
                    state = .doubleQuoted
                } else if !wasEscaped, byte == UInt8(ascii: "'") {
                    state = .singleQuoted
                } else {
                    current.append(byte)
                    state = .unquoted
                }
            case .unquoted:
                if !wasEscaped, isSpace(byte) { try finish() } else { current.append(byte) }
            case .doubleQuoted:
                if !wasEscaped, byte == UInt8(ascii: "\"") { try finish() } else { current.append(byte) }
            case .singleQuoted:
                if byte == UInt8(ascii: "'") { try finish() } else { current.append(byte) }
            }
            if current.count > maxParameterLength {
                throw ConfigError(location, directive: nil, "parameter too long (\(maxParameterLength) chars max)")
            }
        }
        return try done()

        func done() throws(ConfigError) -> [String] {
            if escaped { throw ConfigError(location, directive: nil, "backslash at end of line") }
            switch state {
            case .doubleQuoted: throw ConfigError(location, directive: nil, "no closing quotation (\")")
            case .singleQuoted: throw ConfigError(location, directive: nil, "no closing single quotation (')")
            case .unquoted: try finish()
            case .between: break
            }
            return tokens
        }
    }
}
