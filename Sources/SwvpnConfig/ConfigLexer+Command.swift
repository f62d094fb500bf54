extension ConfigLexer {
    /// Splits an `up`/`down` command into argv with the config file's quoting rules, as openvpn's
    /// `argv_parse_cmd` does; no shell ever sees the text. Empty commands are an error.
    public static func splitCommand(_ command: String, location: ConfigLocation) throws(ConfigError) -> [String] {
        let words = try tokenize(ArraySlice(command.utf8), location: location)
        guard let first = words.first, !first.isEmpty else {
            throw ConfigError(location, directive: nil, "empty command")
        }
        return words
    }
}
