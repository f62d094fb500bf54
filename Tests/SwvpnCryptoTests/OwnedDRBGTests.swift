import SwvpnCrypto
import Testing

/// The sealer's IV source: instances are independent, output does not repeat, reseeding works (the
/// TX heartbeat calls it every 7 minutes), and requests past CTR-DRBG's limit are refused, not cut.
struct OwnedDRBGTests {
    static func draw(_ drbg: OwnedDRBG, _ count: Int = 1024) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let ok = bytes.withUnsafeMutableBytes { drbg.fill($0.baseAddress!, count: count) }
        #expect(ok)
        return bytes
    }

    @Test func instancesAndDrawsNeverRepeat() throws {
        let a = try OwnedDRBG(personalization: "test a")
        let b = try OwnedDRBG(personalization: "test a")
        let first = Self.draw(a)
        #expect(first != Self.draw(b), "two instances seeded from the OS must differ")
        #expect(first != Self.draw(a))
        #expect(Set(first).count > 200, "1 KB of DRBG output uses most byte values")
    }

    @Test func reseedKeepsGenerating() throws {
        let drbg = try OwnedDRBG(personalization: "test reseed")
        let before = Self.draw(drbg, 64)
        #expect(drbg.reseed())
        #expect(Self.draw(drbg, 64) != before)
    }

    @Test func oversizedRequestIsRefused() throws {
        let drbg = try OwnedDRBG(personalization: "test limit")
        var bytes = [UInt8](repeating: 0, count: OwnedDRBG.maxRequest + 1)
        #expect(!bytes.withUnsafeMutableBytes { drbg.fill($0.baseAddress!, count: $0.count) })
        #expect(Self.draw(drbg, 16).count == 16)
    }
}
