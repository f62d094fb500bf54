import SwvpnCrypto

/// Reading and writing OpenVPN static key files (PROTOCOL.md §1).

/// A key file (or inline `<secret>` block) that cannot be used. Never carries key bytes.
public struct KeyFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// A byte other than a hex digit or white space between header and footer.
        case nonHexCharacter(UInt8)
        /// No header line, or a header with no key data after it (openvpn: "Insufficient key
        /// material or header text not found").
        case headerOrKeyDataNotFound(bytesFound: Int)
        /// Data section never ended with the footer line.
        case footerNotFound(bytesFound: Int)
        /// Fewer than 256 bytes: 2.6 refuses old 1024-bit files ("does not have OpenVPN Static Key
        /// format.  Using free-form passphrase file is not supported anymore.").
        case tooShort(bytesFound: Int)
        /// The cipher key of a slot (1-based, as openvpn numbers them) is all zero.
        case badKey(number: Int)
    }

    /// File name, or e.g. `client.conf` for an inline block.
    public let source: String
    /// 1-based line of the problem, when there is one.
    public let line: Int?
    public let reason: Reason

    public init(source: String, line: Int?, reason: Reason) {
        self.source = source
        self.line = line
        self.reason = reason
    }

    public var description: String {
        let location = line.map { "\(source):\($0)" } ?? source
        return "\(location): \(reasonText)"
    }

    private var reasonText: String {
        switch reason {
        case .nonHexCharacter(let c):
            if c >= 0x20 && c < 0x7f {
                return "non-hex character '\(Character(Unicode.Scalar(c)))' in key data"
            }
            return "non-hex, unprintable character (0x\(hex2(c))) in key data"
        case .headerOrKeyDataNotFound(let n):
            return "no key data: header '\(StaticKey.fileHeader)' not found or not followed by key bytes"
                + " (\(n) of 256 bytes found)"
        case .footerNotFound(let n):
            return "footer '\(StaticKey.fileFooter)' not found (\(n) of 256 bytes found)"
        case .tooShort(let n):
            return "key too short: \(n) of 256 bytes; OpenVPN 2.6 requires a 2048-bit static key"
                + " (1024-bit keys and passphrase files are not supported; make a new key with --genkey secret)"
        case .badKey(let number):
            return "key #\(number) is bad (its cipher key is all zero); make a new key with --genkey secret"
        }
    }
}

private func hex2(_ b: UInt8) -> String {
    let digits: [Character] = Array("0123456789abcdef")
    return String([digits[Int(b >> 4)], digits[Int(b & 0xf)]])
}

extension StaticKey {
    public static let fileHeader = "-----BEGIN OpenVPN Static key V1-----"
    public static let fileFooter = "-----END OpenVPN Static key V1-----"

    /// Parses key file text with exactly the rules of OpenVPN 2.6 (PROTOCOL.md §1.2).
    ///
    /// - Parameters:
    ///   - source: name used in errors (file path, or config file for an inline block).
    ///   - firstLine: line number of the first byte of `text`, so an inline `<secret>` block
    ///     reports lines of the enclosing config file.
    public static func parse(
        _ text: some Collection<UInt8>, source: String, firstLine: Int = 1
    ) throws(KeyFileError) -> StaticKey {
        let head = Array(fileHeader.utf8)
        let foot = Array(fileFooter.utf8)
        var state = KeyFileParseState.initial
        var line = firstLine
        var lineIndex = 0
        var match = 0
        var pendingNibble: UInt8? = nil
        var key = [UInt8](repeating: 0, count: WireFormat.keyFileLength)
        var count = 0
        var parsed = false
        defer { if !parsed { SecureMemory.wipe(&key) } }  // a rejected file's key bytes do not linger either

        for c in text {
            if c == UInt8(ascii: "\n") {
                lineIndex = 0
                match = 0
                line += 1
                continue
            }
            if lineIndex == 0 {
                if state == .head { state = .data }
                if (state == .data || state == .dataComplete) && c == UInt8(ascii: "-") { state = .foot }
            }
            if state == .initial, lineIndex < head.count, c == head[lineIndex] {
                match += 1
                if match == head.count { state = .head }
            }
            if state == .foot, lineIndex < foot.count, c == foot[lineIndex] {
                match += 1
                if match == foot.count { state = .finished }
            }
            if state == .data {
                if let v = hexValue(c) {
                    if let high = pendingNibble {
                        key[count] = high << 4 | v
                        count += 1
                        pendingNibble = nil
                        if count == WireFormat.keyFileLength { state = .dataComplete }
                    } else {
                        pendingNibble = v
                    }
                } else if !isCSpace(c) {
                    throw KeyFileError(source: source, line: line, reason: .nonHexCharacter(c))
                }
            }
            lineIndex += 1
        }

        // Same order of checks as openvpn: no usable data, then footer, then the 2.6 length rule.
        if count < WireFormat.slotLength {
            throw KeyFileError(source: source, line: nil, reason: .headerOrKeyDataNotFound(bytesFound: count))
        }
        if state != .finished {
            throw KeyFileError(source: source, line: nil, reason: .footerNotFound(bytesFound: count))
        }
        if count < WireFormat.keyFileLength {
            throw KeyFileError(source: source, line: nil, reason: .tooShort(bytesFound: count))
        }
        parsed = true
        return StaticKey(bytes: key)!
    }

    /// Convenience for text already in a `String` (e.g. an inline `<secret>` block).
    public static func parse(_ text: String, source: String, firstLine: Int = 1) throws(KeyFileError) -> StaticKey {
        try parse(text.utf8, source: source, firstLine: firstLine)
    }

    /// openvpn's start-up sanity check: the bytes used as cipher key in either slot must not be all
    /// zero. Not applied to `cipher none`.
    public func validate(for cipher: CipherSpec, source: String = "static key") throws(KeyFileError) {
        guard !cipher.isNone else { return }
        for slot in 0..<2 where cipherKey(slot: slot, length: cipher.keyLength).allSatisfy({ $0 == 0 }) {
            throw KeyFileError(source: source, line: nil, reason: .badKey(number: slot + 1))
        }
    }

    /// Exactly what `openvpn --genkey secret FILE` writes: 636 bytes, lower-case hex, `\n` endings.
    public var fileText: String {
        var out = "#\n# 2048 bit OpenVPN static key\n#\n" + Self.fileHeader + "\n"
        out.reserveCapacity(636)
        for row in 0..<16 {
            for b in bytes[row * 16..<row * 16 + 16] { out += hex2(b) }
            out += "\n"
        }
        out += Self.fileFooter + "\n"
        return out
    }
}

private enum KeyFileParseState { case initial, head, data, dataComplete, foot, finished }

@inline(__always)
private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// C `isspace` in the C locale: space, \t, \n, \v, \f, \r.
@inline(__always)
private func isCSpace(_ c: UInt8) -> Bool {
    c == 0x20 || (0x09...0x0d).contains(c)
}
