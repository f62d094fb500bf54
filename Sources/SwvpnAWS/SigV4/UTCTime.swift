/// A UTC instant with one-second resolution, and the text forms AWS uses: SigV4's `20261130T143000Z`,
/// ISO 8601 (`2026-11-30T14:30:00Z`, IMDS credential expiry) and the HTTP `Date` header
/// (`Mon, 30 Nov 2026 14:30:00 GMT`). Pure arithmetic (proleptic Gregorian calendar), no Foundation.
public struct UTCTime: Sendable, Hashable, Comparable {
    public var epochSeconds: Int64

    public init(epochSeconds: Int64) { self.epochSeconds = epochSeconds }

    public static func < (a: UTCTime, b: UTCTime) -> Bool { a.epochSeconds < b.epochSeconds }

    public func adding(seconds: Int64) -> UTCTime { UTCTime(epochSeconds: epochSeconds + seconds) }

    public struct Fields: Sendable, Hashable {
        public var year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64
    }

    public var fields: Fields {
        let days = Self.floorDiv(epochSeconds, 86_400)
        let secs = epochSeconds - days * 86_400
        let (y, m, d) = Self.civil(fromDays: days)
        return Fields(year: y, month: m, day: d, hour: secs / 3600, minute: secs % 3600 / 60, second: secs % 60)
    }

    public init?(_ f: Fields) {
        guard (1...12).contains(f.month), (1...31).contains(f.day), (0...23).contains(f.hour),
            (0...59).contains(f.minute), (0...60).contains(f.second)
        else { return nil }
        let days = Self.days(fromCivil: f.year, f.month, f.day)
        epochSeconds = days * 86_400 + f.hour * 3600 + f.minute * 60 + f.second
    }

    /// `yyyyMMdd'T'HHmmss'Z'`, SigV4's X-Amz-Date.
    public var amzDate: String {
        let f = fields
        return Self.pad(f.year, 4) + Self.pad(f.month, 2) + Self.pad(f.day, 2) + "T" + Self.pad(f.hour, 2)
            + Self.pad(f.minute, 2) + Self.pad(f.second, 2) + "Z"
    }

    /// `yyyyMMdd`, SigV4's credential scope date.
    public var dateStamp: String { String(amzDate.prefix(8)) }

    public var iso8601: String {
        let f = fields
        return Self.pad(f.year, 4) + "-" + Self.pad(f.month, 2) + "-" + Self.pad(f.day, 2) + "T" + Self.pad(f.hour, 2)
            + ":" + Self.pad(f.minute, 2) + ":" + Self.pad(f.second, 2) + "Z"
    }

    /// `2026-11-30T14:30:00Z`, optionally with fractional seconds (ignored) or a `+00:00` offset.
    public init?(iso8601 text: String) {
        let u = Array(text.utf8)
        guard u.count >= 20, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"), u[10] == UInt8(ascii: "T"),
            u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"),
            let y = Self.number(u[0..<4]), let mo = Self.number(u[5..<7]), let d = Self.number(u[8..<10]),
            let h = Self.number(u[11..<13]), let mi = Self.number(u[14..<16]), let s = Self.number(u[17..<19])
        else { return nil }
        var rest = u[19...]
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst().drop { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        }
        let zone = String(decoding: rest, as: UTF8.self)
        guard zone == "Z" || zone == "+00:00" else { return nil }
        self.init(Fields(year: y, month: mo, day: d, hour: h, minute: mi, second: s))
    }

    /// RFC 7231 IMF-fixdate: `Mon, 30 Nov 2026 14:30:00 GMT`.
    public init?(httpDate text: String) {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let d = Self.number(parts[1].utf8),
            let mo = Self.months.firstIndex(of: String(parts[2])), let y = Self.number(parts[3].utf8)
        else { return nil }
        let hms = parts[4].split(separator: ":")
        guard hms.count == 3, let h = Self.number(hms[0].utf8), let mi = Self.number(hms[1].utf8),
            let s = Self.number(hms[2].utf8)
        else { return nil }
        self.init(Fields(year: y, month: Int64(mo) + 1, day: d, hour: h, minute: mi, second: s))
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func number(_ digits: some Collection<UInt8>) -> Int64? {
        guard !digits.isEmpty, digits.count <= 9 else { return nil }
        var n: Int64 = 0
        for c in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else { return nil }
            n = n * 10 + Int64(c - UInt8(ascii: "0"))
        }
        return n
    }

    private static func pad(_ n: Int64, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }

    // Howard Hinnant's days_from_civil / civil_from_days.
    private static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
