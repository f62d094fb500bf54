import SwvpnCrypto

/// Outcome of sealing one packet.
public enum SealResult: Sendable, Hashable {
    /// The wire packet is `buffer[start ..< start + length]`.
    case sealed(start: Int, length: Int)
    case dropped(SealFailure)
}

/// Outcome of opening one packet.
public enum OpenResult: Sendable, Hashable {
    /// The plaintext payload (still compression-framed) is `buffer[offset ..< offset + length]`.
    /// `packetID` and `time` are 0 when the layout has no replay protection (`--no-replay`).
    case payload(offset: Int, length: Int, packetID: UInt32, time: UInt32)
    case dropped(DropReason)
}

/// Builds the libcrypto contexts for one key slot. Shared by sealer and opener.
enum DataChannelKeys {
    static func cipher(
        _ spec: CipherSpec, key: StaticKey, slot: Int, operation: CBCCipher.Operation
    ) throws(CryptoError) -> CBCCipher? {
        guard !spec.isNone else { return nil }
        try CryptoProviders.ensureAvailable(cipherName: spec.name, needsLegacyProvider: spec.needsLegacyProvider)
        let cipher = try CBCCipher(
            name: spec.name, key: key.cipherKey(slot: slot, length: spec.keyLength), operation: operation)
        guard cipher.ivLength == spec.ivLength, cipher.blockSize == spec.blockSize else {
            throw CryptoError(
                message:
                    "Cipher \(spec.name): OpenSSL reports IV \(cipher.ivLength) / block \(cipher.blockSize) bytes, "
                    + "expected \(spec.ivLength) / \(spec.blockSize)", openSSLErrors: [])
        }
        return cipher
    }

    static func hmac(_ spec: DigestSpec, key: StaticKey, slot: Int) throws(CryptoError) -> HMACContext? {
        guard !spec.isNone else { return nil }
        let hmac = try HMACContext(digest: spec.name, key: key.hmacKey(slot: slot, length: spec.length))
        guard hmac.length == spec.length else {
            throw CryptoError(
                message: "Digest \(spec.name): OpenSSL reports \(hmac.length) bytes, expected \(spec.length)",
                openSSLErrors: [])
        }
        return hmac
    }
}

@inline(__always)
func storeBigEndian(_ value: UInt32, at pointer: UnsafeMutableRawPointer) {
    pointer.storeBytes(of: value.bigEndian, as: UInt32.self)
}

@inline(__always)
func loadBigEndian(_ pointer: UnsafeRawPointer) -> UInt32 {
    UInt32(bigEndian: pointer.loadUnaligned(as: UInt32.self))
}
