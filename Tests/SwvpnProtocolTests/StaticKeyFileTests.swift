import Foundation
import SwvpnProtocol
import SwvpnTestSupport
import Testing

struct StaticKeyFileTests {
    static let header = "-----BEGIN OpenVPN Static key V1-----"
    static let footer = "-----END OpenVPN Static key V1-----"

    func hexLines(_ bytes: [UInt8], perLine: Int = 16) -> String {
        stride(from: 0, to: bytes.count, by: perLine).map { hexString(bytes[$0..<min(bytes.count, $0 + perLine)]) }
            .joined(separator: "\n")
    }

    func parseError(_ text: String, source: String = "ovpn.key", firstLine: Int = 1) -> KeyFileError? {
        do {
            _ = try StaticKey.parse(text, source: source, firstLine: firstLine)
            return nil
        } catch { return error }
    }

    @Test func parsesTheVectorKeyFile() throws {
        let key = try StaticKey.parse(Vectors.data("static.key"), source: "static.key")
        #expect(key.bytes == (try Vectors.keyBytes()))
    }

    @Test func writesExactlyWhatGenkeyWrites() throws {
        let original = try Vectors.text("static.key")
        let key = try StaticKey.parse(original, source: "static.key")
        #expect(key.fileText == original)
        #expect(key.fileText.utf8.count == 636)
    }

    @Test func parsesInlineSecretBlockFromConfig() throws {
        let conf = try Vectors.text("aes-128-cbc-sha512-complzo-no-inline-udp/peer-A.conf")
        let inner = try #require(
            conf.components(separatedBy: "<secret>\n").last?.components(separatedBy: "</secret>").first)
        #expect(try StaticKey.parse(inner, source: "peer-A.conf", firstLine: 10).bytes == (try Vectors.keyBytes()))
    }

    @Test func acceptsUppercaseSpacedOneLineCRLFAndTrailingText() throws {
        let bytes = try Vectors.keyBytes()
        let spaced = bytes.map { String(format: "%02X", $0) }.joined(separator: " ")
        let text =
            "random preamble\r\n# comment\r\n\(Self.header) trailing junk\r\n\t\(spaced)\r\n\(Self.footer)\r\nafter footer: ignored #!\r\n"
        #expect(try StaticKey.parse(text, source: "k").bytes == bytes)
    }

    @Test func accumulatesHexPairsAcrossWhiteSpace() throws {
        let bytes = try Vectors.keyBytes()
        let split = hexString(bytes).map { String($0) }.joined(separator: " ")
        #expect(try StaticKey.parse("\(Self.header)\n\(split)\n\(Self.footer)\n", source: "k").bytes == bytes)
    }

    @Test func ignoresDataAfter256Bytes() throws {
        let bytes = try Vectors.keyBytes()
        let text = "\(Self.header)\n\(hexLines(bytes))\nzz not hex but ignored #\n\(Self.footer)\n"
        #expect(try StaticKey.parse(text, source: "k").bytes == bytes)
    }

    @Test func rejectsCommentInsideDataWithLineNumber() throws {
        let bytes = try Vectors.keyBytes()
        let lines = hexLines(bytes).split(separator: "\n")
        let text =
            "#\n# 2048 bit OpenVPN static key\n#\n\(Self.header)\n\(lines[0])\n\(lines[1])\n# note\n\(lines[2...].joined(separator: "\n"))\n\(Self.footer)\n"
        let error = try #require(parseError(text))
        #expect(error.line == 7)
        #expect(error.reason == .nonHexCharacter(UInt8(ascii: "#")))
        #expect(error.description == "ovpn.key:7: non-hex character '#' in key data")
    }

    @Test func reportsConfigLineForInlineBlock() throws {
        let error = try #require(parseError("\(Self.header)\nzz\n", source: "client.conf", firstLine: 20))
        #expect(error.description == "client.conf:21: non-hex character 'z' in key data")
    }

    @Test func reportsUnprintableCharacterInHex() throws {
        let error = try #require(parseError("\(Self.header)\nab\u{1}\n"))
        #expect(error.reason == .nonHexCharacter(1))
        #expect(error.description.contains("0x01"))
    }

    @Test func headerMustStartTheLine() throws {
        let bytes = try Vectors.keyBytes()
        let error = try #require(parseError(" \(Self.header)\n\(hexLines(bytes))\n\(Self.footer)\n"))
        #expect(error.reason == .headerOrKeyDataNotFound(bytesFound: 0))
    }

    @Test func requiresFooter() throws {
        let bytes = try Vectors.keyBytes()
        let error = try #require(parseError("\(Self.header)\n\(hexLines(bytes))\n"))
        #expect(error.reason == .footerNotFound(bytesFound: 256))
        #expect(error.description.contains("footer"))
    }

    @Test func dashLineInDataMustBeTheFooter() throws {
        let bytes = try Vectors.keyBytes()
        let error = try #require(
            parseError("\(Self.header)\n\(hexLines(bytes))\n-----END OpenVPN Static key V2-----\n"))
        #expect(error.reason == .footerNotFound(bytesFound: 256))
    }

    @Test func rejects1024BitKeyWithClearMessage() throws {
        let bytes = Array(try Vectors.keyBytes()[..<128])
        let error = try #require(parseError("\(Self.header)\n\(hexLines(bytes))\n\(Self.footer)\n"))
        #expect(error.reason == .tooShort(bytesFound: 128))
        #expect(error.description.contains("2048-bit"))
    }

    @Test func rejectsTinyKeyAsMissingKeyData() throws {
        let error = try #require(parseError("\(Self.header)\nabcd\n\(Self.footer)\n"))
        #expect(error.reason == .headerOrKeyDataNotFound(bytesFound: 2))
    }

    @Test func validateRejectsAllZeroCipherKeyPerSlot() throws {
        var bytes = try Vectors.keyBytes()
        for i in 128..<160 { bytes[i] = 0 }
        let key = try #require(StaticKey(bytes: bytes))
        #expect(throws: KeyFileError(source: "k", line: nil, reason: .badKey(number: 2))) {
            try key.validate(for: .aes256CBC, source: "k")
        }
        // Only the first N bytes count: AES-128 uses 16 of the 32 zeroed bytes, BF too.
        #expect(throws: KeyFileError.self) { try key.validate(for: .aes128CBC) }
        try key.validate(for: .none)
        var partly = try Vectors.keyBytes()
        for i in 0..<16 { partly[i] = 0 }
        let key2 = try #require(StaticKey(bytes: partly))
        try key2.validate(for: .aes256CBC)
        #expect(throws: KeyFileError.self) { try key2.validate(for: .bfCBC) }
    }

    @Test func errorsNeverContainKeyMaterial() throws {
        let bytes = try Vectors.keyBytes()
        let keyHex = hexString(bytes)
        for text in ["\(Self.header)\n\(hexLines(bytes))\n", "\(Self.header)\n\(keyHex.prefix(300))#\n"] {
            let error = try #require(parseError(text))
            #expect(!error.description.contains(keyHex.prefix(8)))
        }
        #expect(try StaticKey.parse(Vectors.data("static.key"), source: "s").description == "StaticKey(<redacted>)")
    }

    @Test func survivesTruncatedAndRandomInput() throws {
        let good = Array(try Vectors.data("static.key"))
        for n in 0..<good.count - 1 {  // only the final newline may go
            #expect(throws: KeyFileError.self) { try StaticKey.parse(good[..<n], source: "k") }
        }
        var rng = SeededGenerator(seed: 0x5eed)
        for _ in 0..<300 {
            var mutated = good
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                mutated[Int.random(in: 0..<mutated.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            _ = try? StaticKey.parse(mutated, source: "k")
            _ = try? StaticKey.parse(rng.bytes(Int.random(in: 0...2000, using: &rng)), source: "k")
        }
        let oversized = Array(Self.header.utf8) + [10] + Array(repeating: UInt8(ascii: "a"), count: 100_000)
        #expect(throws: KeyFileError.self) { try StaticKey.parse(oversized, source: "k") }
    }
}
