import CLibcrypto
import SwvpnTestSupport
import Testing

@testable import SwvpnCrypto

struct HMACCase: Sendable, CustomTestStringConvertible {
    let digest: String
    let key: [UInt8]
    let data: [UInt8]
    let mac: String
    var testDescription: String { "\(digest) key \(key.count) data \(data.count)" }
}

private let hiThere = Array("Hi There".utf8)
private let jefe = Array("Jefe".utf8)
private let whatDoYaWant = Array("what do ya want for nothing?".utf8)
private let largeKeyText = Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
private let key0b = [UInt8](repeating: 0x0b, count: 20)

private let hmacCases = [
    // RFC 2202 (HMAC-SHA1) test cases 1, 2, 3, 6.
    HMACCase(digest: "SHA1", key: key0b, data: hiThere, mac: "b617318655057264e28bc0b6fb378c8ef146be00"),
    HMACCase(digest: "SHA1", key: jefe, data: whatDoYaWant, mac: "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
    HMACCase(
        digest: "SHA1", key: [UInt8](repeating: 0xaa, count: 20), data: [UInt8](repeating: 0xdd, count: 50),
        mac: "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
    HMACCase(
        digest: "SHA1", key: [UInt8](repeating: 0xaa, count: 80), data: largeKeyText,
        mac: "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
    // RFC 2202 (HMAC-MD5) test cases 1, 2, 6.
    HMACCase(
        digest: "MD5", key: [UInt8](repeating: 0x0b, count: 16), data: hiThere, mac: "9294727a3638bb1c13f48ef8158bfc9d"),
    HMACCase(digest: "MD5", key: jefe, data: whatDoYaWant, mac: "750c783e6ab0b503eaa86e310a5db738"),
    HMACCase(
        digest: "MD5", key: [UInt8](repeating: 0xaa, count: 80), data: largeKeyText,
        mac: "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"),
    // RFC 4231 (HMAC-SHA224) test cases 1, 6.
    HMACCase(
        digest: "SHA224", key: key0b, data: hiThere, mac: "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22"),
    HMACCase(
        digest: "SHA224", key: [UInt8](repeating: 0xaa, count: 131), data: largeKeyText,
        mac: "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e"),
    // RFC 4231 test cases 1, 2, 6.
    HMACCase(
        digest: "SHA256", key: key0b, data: hiThere,
        mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    HMACCase(
        digest: "SHA256", key: jefe, data: whatDoYaWant,
        mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    HMACCase(
        digest: "SHA256", key: [UInt8](repeating: 0xaa, count: 131), data: largeKeyText,
        mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    HMACCase(
        digest: "SHA384", key: key0b, data: hiThere,
        mac: "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"),
    HMACCase(
        digest: "SHA384", key: jefe, data: whatDoYaWant,
        mac: "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"),
    HMACCase(
        digest: "SHA384", key: [UInt8](repeating: 0xaa, count: 131), data: largeKeyText,
        mac: "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952"),
    HMACCase(
        digest: "SHA512", key: key0b, data: hiThere,
        mac: "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
            + "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"),
    HMACCase(
        digest: "SHA512", key: jefe, data: whatDoYaWant,
        mac: "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
            + "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"),
    HMACCase(
        digest: "SHA512", key: [UInt8](repeating: 0xaa, count: 131), data: largeKeyText,
        mac: "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
            + "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"),
]

private func mac(_ context: HMACContext, _ data: [UInt8]) -> [UInt8]? {
    var out = [UInt8](repeating: 0, count: context.length)
    let ok = out.withUnsafeMutableBytes { o in
        data.withUnsafeBytes { context.authenticate($0.baseAddress!, count: data.count, into: o.baseAddress!) }
    }
    return ok ? out : nil
}

@Suite struct HMACContextTests {
    @Test(arguments: hmacCases)
    func matchesRFCVector(_ vector: HMACCase) throws {
        let context = try HMACContext(digest: vector.digest, key: vector.key)
        #expect(context.length * 2 == vector.mac.utf8.count)
        #expect(mac(context, vector.data).map(hexString) == vector.mac)
        // Second use of the same context re-keys from the kept key: same answer.
        #expect(mac(context, vector.data).map(hexString) == vector.mac)
    }

    @Test func keepsKeyAcrossDifferentMessages() throws {
        let context = try HMACContext(digest: "SHA256", key: jefe)
        _ = mac(context, hiThere)
        _ = mac(context, [])
        #expect(
            mac(context, whatDoYaWant).map(hexString)
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    /// The precomputed-state HMAC against libcrypto's one-shot `HMAC()` for every OpenVPN digest,
    /// key lengths around the block size (0, 1, block - 1, block, block + 1, 200) and data lengths.
    @Test(arguments: ["MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512"])
    func agreesWithOneShotHMAC(_ digest: String) throws {
        var seed: UInt32 = 7
        func bytes(_ n: Int) -> [UInt8] {
            (0..<n).map { _ in
                seed = seed &* 1_664_525 &+ 1_013_904_223
                return UInt8(truncatingIfNeeded: seed >> 24)
            }
        }
        let md = try #require(EVP_get_digestbyname(digest))
        let block = Int(EVP_MD_get_block_size(md))
        for keyLength in [0, 1, block - 1, block, block + 1, 200] {
            let key = bytes(keyLength)
            let context = try HMACContext(digest: digest, key: key)
            for dataLength in [0, 1, 55, 64, 1400] {
                let data = bytes(dataLength)
                var expected = [UInt8](repeating: 0, count: 64)
                var written: UInt32 = 0
                // One spare byte each, so empty inputs still have a base address for the C call.
                let keyBuffer = key + [0]
                let dataBuffer = data + [0]
                _ = keyBuffer.withUnsafeBytes { k in
                    dataBuffer.withUnsafeBufferPointer { d in
                        HMAC(md, k.baseAddress!, Int32(keyLength), d.baseAddress!, dataLength, &expected, &written)
                    }
                }
                #expect(mac(context, data) == Array(expected[0..<Int(written)]), "key \(keyLength) data \(dataLength)")
            }
        }
    }

    @Test func rejectsUnknownDigest() {
        #expect(throws: CryptoError.self) { try HMACContext(digest: "NOT-A-DIGEST", key: jefe) }
    }
}

@Suite struct PrimitivesTests {
    @Test func constantTimeEqualsComparesEveryByte() {
        let a: [UInt8] = Array(0..<64)
        for index in 0..<64 {
            var b = a
            #expect(constantTimeEquals(a, b, count: 64))
            b[index] ^= 0x80
            #expect(!constantTimeEquals(a, b, count: 64))
            #expect(constantTimeEquals(a, b, count: index))  // bytes past `count` are not compared
        }
        let empty: [UInt8] = []
        #expect(constantTimeEquals(a, empty, count: 0))
    }

    @Test func secureRandomFillsBuffersOfAnySize() throws {
        let first = try SecureRandom.bytes(count: 64)
        let second = try SecureRandom.bytes(count: 64)
        #expect(first.count == 64 && first != second)
        #expect(try SecureRandom.bytes(count: 0).isEmpty)
        var buffer = [UInt8](repeating: 0, count: 4096)
        try buffer.withUnsafeMutableBytes { (raw) in try SecureRandom.fill(raw) }
        #expect(buffer.contains { $0 != 0 })
    }

    @Test func loadsProvidersIdempotently() throws {
        try CryptoProviders.load(["legacy", "default"])
        try CryptoProviders.load(["legacy", "default"])
        #expect(CryptoProviders.isAvailable("legacy") && CryptoProviders.isAvailable("default"))
        #expect(throws: CryptoError.self) { try CryptoProviders.load(["no-such-provider"]) }
    }

    @Test func cryptoErrorDescriptionIncludesOpenSSLQueue() {
        let error = CryptoError(message: "Cipher X not available", openSSLErrors: ["error:1:unsupported"])
        #expect(error.description == "Cipher X not available (OpenSSL: error:1:unsupported)")
    }
}
