enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Lowercase hex, as SigV4 wants for hashes and signatures.
    static func lower(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
