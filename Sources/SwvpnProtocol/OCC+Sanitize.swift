/// The peer's OCC text is attacker-controlled: before it reaches a log line (the journal, a
/// terminal) control characters are escaped so it cannot forge lines or send terminal sequences.
extension OCCMessage {
    /// Longest text kept for a log line; an options string is ~200 bytes.
    public static let maxLoggedLength = 512
    private static let hexDigits: [Character] = Array("0123456789abcdef")

    /// `text` with C0 controls, DEL, C1 controls and `\` written as `\xNN` / `\\`, and cut after
    /// `maxLoggedLength` characters (marked with `...`). Printable text, UTF-8 included, is kept.
    public static func sanitized(_ text: String) -> String {
        var out = ""
        var kept = 0
        for scalar in text.unicodeScalars {
            if kept == maxLoggedLength {
                out += "..."
                break
            }
            kept += 1
            let v = scalar.value
            if v == 0x5c {
                out += "\\\\"
            } else if v < 0x20 || (0x7f...0x9f).contains(v) || v == 0x2028 || v == 0x2029 {
                let digits = hexDigits
                out += "\\x"
                if v > 0xff { out += "\(digits[Int(v >> 12 & 0xf)])\(digits[Int(v >> 8 & 0xf)])" }
                out.append(digits[Int(v >> 4 & 0xf)])
                out.append(digits[Int(v & 0xf)])
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The reply's options string, sanitized for logging; nil for other messages.
    public var sanitizedReplyText: String? {
        if case .reply(let text) = self { return Self.sanitized(text) }
        return nil
    }
}
