import SwvpnTestSupport
import Testing

@testable import SwvpnCrypto

/// NIST SP 800-38A F.2.1/F.2.3/F.2.5 share plaintext and IV.
private let nistPlaintext = hexBytes(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        + "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
private let nistIV = hexBytes("000102030405060708090a0b0c0d0e0f")

struct NISTCase: Sendable, CustomTestStringConvertible {
    let name: String
    let key: String
    let ciphertext: String
    var testDescription: String { name }
}

private let nistCases = [
    NISTCase(
        name: "AES-128-CBC", key: "2b7e151628aed2a6abf7158809cf4f3c",
        ciphertext: "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
            + "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"),
    NISTCase(
        name: "AES-192-CBC", key: "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
        ciphertext: "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
            + "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd"),
    NISTCase(
        name: "AES-256-CBC", key: "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
        ciphertext: "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
            + "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"),
]

/// Encrypts in place in a buffer with room for the padding block; returns the ciphertext.
private func encryptInPlace(_ cipher: CBCCipher, _ plaintext: [UInt8], iv: [UInt8]) -> [UInt8]? {
    var buffer = plaintext + [UInt8](repeating: 0, count: cipher.blockSize)
    let length = buffer.withUnsafeMutableBytes { raw in
        iv.withUnsafeBytes { cipher.encrypt(raw.baseAddress!, length: plaintext.count, iv: $0.baseAddress!) }
    }
    guard let length else { return nil }
    return Array(buffer[..<length])
}

private func decryptInPlace(_ cipher: CBCCipher, _ ciphertext: [UInt8], iv: [UInt8]) -> [UInt8]? {
    var buffer = ciphertext
    let length = buffer.withUnsafeMutableBytes { raw in
        iv.withUnsafeBytes { cipher.decrypt(raw.baseAddress!, length: ciphertext.count, iv: $0.baseAddress!) }
    }
    guard let length else { return nil }
    return Array(buffer[..<length])
}

@Suite struct CBCCipherTests {
    @Test(arguments: nistCases)
    func encryptsNISTVectorInPlaceWithTrailingPaddingBlock(_ vector: NISTCase) throws {
        let cipher = try CBCCipher(name: vector.name, key: hexBytes(vector.key), operation: .encrypt)
        let out = try #require(encryptInPlace(cipher, nistPlaintext, iv: nistIV))
        // CBC is prefix-preserving, so the unpadded NIST blocks come first, then one padding block.
        #expect(out.count == nistPlaintext.count + 16)
        #expect(hexString(out.prefix(64)) == vector.ciphertext)
    }

    @Test(arguments: nistCases)
    func decryptsNISTVectorInPlaceAndStripsPadding(_ vector: NISTCase) throws {
        let encryptor = try CBCCipher(name: vector.name, key: hexBytes(vector.key), operation: .encrypt)
        let decryptor = try CBCCipher(name: vector.name, key: hexBytes(vector.key), operation: .decrypt)
        let ciphertext = try #require(encryptInPlace(encryptor, nistPlaintext, iv: nistIV))
        #expect(decryptInPlace(decryptor, ciphertext, iv: nistIV) == nistPlaintext)
    }

    @Test func reusesContextAcrossPacketsWithFreshIVs() throws {
        let vector = nistCases[2]
        let encryptor = try CBCCipher(name: vector.name, key: hexBytes(vector.key), operation: .encrypt)
        let decryptor = try CBCCipher(name: vector.name, key: hexBytes(vector.key), operation: .decrypt)
        for round in 0..<50 {
            let iv = (0..<16).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ round) }
            let plaintext = (0..<round * 3).map { UInt8(truncatingIfNeeded: $0 ^ round) }
            let ciphertext = try #require(encryptInPlace(encryptor, plaintext, iv: iv))
            #expect(ciphertext.count == (plaintext.count / 16 + 1) * 16)
            #expect(decryptInPlace(decryptor, ciphertext, iv: iv) == plaintext)
        }
        // The NIST answer is still right after all that re-IV-ing.
        #expect(
            hexString(try #require(encryptInPlace(encryptor, nistPlaintext, iv: nistIV)).prefix(64))
                == vector.ciphertext)
    }

    @Test func blowfishCBCKnownAnswerWithLegacyProvider() throws {
        try CryptoProviders.ensureAvailable(cipherName: "BF-CBC", needsLegacyProvider: true)
        let cipher = try CBCCipher(
            name: "BF-CBC", key: hexBytes("0123456789ABCDEFF0E1D2C3B4A59687"), operation: .encrypt)
        #expect(cipher.blockSize == 8 && cipher.ivLength == 8 && cipher.keyLength == 16)
        let plaintext = Array("7654321 Now is the time for ".utf8) + [0, 0, 0, 0]
        let out = try #require(encryptInPlace(cipher, plaintext, iv: hexBytes("FEDCBA9876543210")))
        #expect(hexString(out.prefix(32)) == "6b77b4d63006dee605b156e27403979358deb9e7154616d959f1652bd5ff92cc")
    }

    @Test func reportsBadPaddingAsFailureValue() throws {
        let vector = nistCases[0]
        let key = hexBytes(vector.key)
        let encryptor = try CBCCipher(name: vector.name, key: key, operation: .encrypt)
        let decryptor = try CBCCipher(name: vector.name, key: key, operation: .decrypt)
        var ciphertext = try #require(encryptInPlace(encryptor, Array(nistPlaintext.prefix(20)), iv: nistIV))
        ciphertext[ciphertext.count - 1] ^= 0x55  // garbles the last block, so its padding byte
        #expect(decryptInPlace(decryptor, ciphertext, iv: nistIV) == nil)
        // Not a whole number of blocks, and empty input, also fail without trapping.
        #expect(decryptInPlace(decryptor, Array(ciphertext.prefix(17)), iv: nistIV) == nil)
        #expect(decryptInPlace(decryptor, [], iv: nistIV) == nil)
        // The context is still usable afterwards.
        let good = try #require(encryptInPlace(encryptor, [1, 2, 3], iv: nistIV))
        #expect(decryptInPlace(decryptor, good, iv: nistIV) == [1, 2, 3])
    }

    @Test func rejectsWrongKeyLengthAndNonCBCMode() {
        #expect(throws: CryptoError.self) {
            try CBCCipher(name: "AES-256-CBC", key: [UInt8](repeating: 1, count: 16), operation: .encrypt)
        }
        #expect(throws: CryptoError.self) {
            try CBCCipher(name: "AES-256-GCM", key: [UInt8](repeating: 1, count: 32), operation: .encrypt)
        }
        #expect(throws: CryptoError.self) {
            try CBCCipher(name: "NOT-A-CIPHER", key: [UInt8](repeating: 1, count: 16), operation: .encrypt)
        }
    }

    @Test func unknownCipherErrorNamesTheCipher() {
        do {
            _ = try CBCCipher(name: "NOT-A-CIPHER", key: [UInt8](repeating: 1, count: 16), operation: .encrypt)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("NOT-A-CIPHER"))
        }
    }
}
