import Foundation
import SwvpnConfig
import SwvpnTestSupport
import Testing

/// Parses and reports whether it produced a config (true) or an error (false); a crash fails the run.
@discardableResult
private func survives(_ bytes: [UInt8]) -> Bool {
    var files = InMemoryFileSystem()
    files.files["fuzz.conf"] = bytes
    do {
        _ = try TunnelConfig.load(path: "fuzz.conf", fileSystem: files)
        return true
    } catch {
        #expect(!error.description.isEmpty)
        return false
    }
}

@Suite struct RobustnessTests {
    static let goodConfigs: [(String, String)] =
        Corpus.files("vectors", suffix: ".conf").map { ("vectors", $0) }
        + Corpus.files("seed", suffix: ".conf").map { ("seed", $0) }

    @Test func goodCorpusIsPresent() {
        #expect(Self.goodConfigs.count == 16)
    }

    @Test(arguments: goodConfigs.map { "\($0.0)/\($0.1)" })
    func everyTruncationParsesOrFailsCleanly(path: String) throws {
        let parts = path.split(separator: "/").map(String.init)
        let bytes = Array(Corpus.text(parts[0], parts[1]).utf8)
        #expect(!bytes.isEmpty)
        #expect(survives(bytes))
        for length in 0..<bytes.count {
            survives(Array(bytes[..<length]))
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SeededGenerator(state: 0x5357_5650_4E44)
        let alphabet = Array("dev tun secret k route 10.0.0.0 255.0.0.0 <secret></secret>\"'\\#;\n\r\t -".utf8)
        for round in 0..<3000 {
            let length = Int.random(in: 0...300, using: &rng)
            let bytes: [UInt8] = (0..<length).map { _ in
                round.isMultiple(of: 2) ? UInt8.random(in: 0...255, using: &rng) : alphabet.randomElement(using: &rng)!
            }
            survives(bytes)
        }
    }

    @Test func randomMutationsOfGoodConfigsNeverCrash() {
        var rng = SeededGenerator(state: 42)
        let sources = Self.goodConfigs.map { Array(Corpus.text($0.0, $0.1).utf8) }
        for _ in 0..<3000 {
            var bytes = sources.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0...2, using: &rng) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.remove(at: index)
                default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: index)
                }
            }
            survives(bytes)
        }
    }

    @Test func hugeInputsFailCleanly() {
        #expect(
            errorText { () throws(ConfigError) in try parse("dev " + String(repeating: "x", count: 1_000_000)) }
                == "t.conf:1: line too long (256 bytes max)")
        #expect(
            errorText { () throws(ConfigError) in try parse(String(repeating: "x", count: 300) + " y") }
                == "t.conf:1: line too long (256 bytes max)")
        // Exactly at the limit is fine.
        #expect((try? parse("secret k\nup \"" + String(repeating: "x", count: 251) + "\"")) != nil)
        let manyLines = String(repeating: "# comment\n", count: 200_000) + "secret k\n"
        #expect((try? parse(manyLines)) != nil)
        let hugeInline =
            "<secret>\n" + String(repeating: String(repeating: "a", count: 5000) + "\n", count: 200) + "</secret>\n"
        #expect((try? parse(hugeInline)) != nil)
    }
}
