/// IPv6 addresses in the text form inet_ntop (glibc) gives them, which is what openvpn passes to
/// scripts: lower-case hex, no leading zeros, the longest run of two or more zero groups as "::",
/// and the IPv4 tail of mapped (::ffff:a.b.c.d) and compatible (::a.b.c.d) addresses dotted.
public enum IPv6Text {
    public static func canonical(_ text: String) -> String? {
        guard let groups = parse(text) else { return nil }
        return format(groups)
    }

    static func parse(_ text: String) -> [UInt16]? {
        guard isIPv6Literal(text) else { return nil }
        var halves = [text]
        if let gap = text.firstRange(of: "::") {
            halves = [String(text[..<gap.lowerBound]), String(text[gap.upperBound...])]
        }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for piece in part.split(separator: ":", omittingEmptySubsequences: false) {
                if piece.contains(".") {
                    guard let v4 = IPv4Address(String(piece)) else { return nil }
                    out += [UInt16(v4.value >> 16), UInt16(v4.value & 0xffff)]
                } else {
                    guard let value = UInt16(piece, radix: 16) else { return nil }
                    out.append(value)
                }
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 8 ? head : nil }
        guard halves.count == 2, let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }

    static func format(_ g: [UInt16]) -> String {
        var best = (start: -1, length: 0)
        var index = 0
        while index < 8 {
            guard g[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8 && g[end] == 0 { end += 1 }
            if end - index > best.length { best = (index, end - index) }
            index = end
        }
        if best.length < 2 { best = (-1, 0) }
        var text = ""
        index = 0
        while index < 8 {
            if index == best.start {
                text += "::"
                index += best.length
                continue
            }
            // glibc prints the IPv4 tail of ::a.b.c.d and ::ffff:a.b.c.d dotted.
            if index == 6, best.start == 0, best.length == 6 || (best.length == 5 && g[5] == 0xffff) {
                if !text.hasSuffix(":") { text += ":" }
                text += "\(g[6] >> 8).\(g[6] & 0xff).\(g[7] >> 8).\(g[7] & 0xff)"
                break
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += String(g[index], radix: 16)
            index += 1
        }
        return text
    }
}
