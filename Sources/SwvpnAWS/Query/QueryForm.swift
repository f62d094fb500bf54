/// `application/x-www-form-urlencoded` for the AWS Query protocol: UTF-8, RFC 3986 unreserved
/// characters (`A-Z a-z 0-9 - _ . ~`) bare, everything else `%XX` with uppercase hex (space is `%20`).
public enum QueryForm {
    public static let contentType = "application/x-www-form-urlencoded; charset=utf-8"

    public static func encode(_ pairs: [(name: String, value: String)]) -> String {
        pairs.map { percentEncode($0.name) + "=" + percentEncode($0.value) }.joined(separator: "&")
    }

    private static let hex = Array("0123456789ABCDEF".utf8)

    public static func percentEncode(_ text: String) -> String {
        var out = [UInt8]()
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0x0f)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
