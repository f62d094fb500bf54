/// Writes compact JSON in the order the caller gives (deterministic output), escaping strings.
public struct JSONWriter: Sendable {
    public private(set) var text = ""
    private var needsComma = [false]

    public init() {}

    public static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}": out += "\\u2028"  // valid JSON, but breaks naive JavaScript readers
            case "\u{2029}": out += "\\u2029"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
    }

    private mutating func key(_ k: String?) {
        separate()
        if let k { text += Self.quoted(k) + ":" }
    }

    public mutating func beginObject(_ k: String? = nil) { open(k, "{") }
    public mutating func endObject() { close("}") }
    public mutating func beginArray(_ k: String? = nil) { open(k, "[") }
    public mutating func endArray() { close("]") }

    private mutating func open(_ k: String?, _ bracket: String) {
        key(k)
        text += bracket
        needsComma.append(false)
    }

    private mutating func close(_ bracket: String) {
        needsComma.removeLast()
        text += bracket
    }

    public mutating func null(_ k: String? = nil) {
        key(k)
        text += "null"
    }
    public mutating func string(_ k: String?, _ v: String?) {
        key(k)
        text += v.map(Self.quoted) ?? "null"
    }
    public mutating func bool(_ k: String?, _ v: Bool?) {
        key(k)
        text += v.map { $0 ? "true" : "false" } ?? "null"
    }
    public mutating func int(_ k: String?, _ v: Int64?) {
        key(k)
        text += v.map { "\($0)" } ?? "null"
    }
    public mutating func uint(_ k: String?, _ v: UInt64?) {
        key(k)
        text += v.map { "\($0)" } ?? "null"
    }
    /// Finite numbers only (NaN and infinities become null); rounded to 3 decimals.
    public mutating func double(_ k: String?, _ v: Double?) {
        key(k)
        guard let v, v.isFinite else {
            text += "null"
            return
        }
        text += Self.decimal(v, places: 3)
    }

    /// `12.345`, `0.5`, `3`: fixed-point text without Foundation, no exponent.
    public static func decimal(_ v: Double, places: Int) -> String {
        var scale: Double = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(v) * scale).rounded()
        guard scaled < 9e15 else { return "\(Int64(v.rounded()))" }
        let n = UInt64(scaled)
        let whole = n / UInt64(scale)
        var fraction = String(n % UInt64(scale))
        fraction = String(repeating: "0", count: places - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        let sign = v < 0 && n != 0 ? "-" : ""
        return sign + "\(whole)" + (fraction.isEmpty ? "" : "." + fraction)
    }
}
