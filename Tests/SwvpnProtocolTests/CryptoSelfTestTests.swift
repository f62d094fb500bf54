import SwvpnProtocol
import Testing

@Suite struct CryptoSelfTestTests {
    private static let key = StaticKey(bytes: (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) })!

    @Test(arguments: [CipherSpec.aes256CBC, .aes128CBC, .bfCBC, .none], [DigestSpec.sha256, .sha1, .none])
    func sealsAndOpensEveryLength(cipher: CipherSpec, digest: DigestSpec) throws {
        for direction in [KeyDirection.bidirectional, .normal, .inverse] {
            for replay in [true, false] {
                let test = try CryptoSelfTest(
                    key: Self.key, direction: direction,
                    layout: FrameLayout(cipher: cipher, digest: digest, replayProtection: replay))
                var seen: [Int] = []
                try test.run(maxLength: 300, now: 1_700_000_000) { seen.append($0) }
                #expect(seen == Array(1...300))
            }
        }
    }
}
