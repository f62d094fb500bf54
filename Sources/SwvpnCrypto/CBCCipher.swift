import CLibcrypto

/// A CBC cipher context bound to one key and one direction, with PKCS#7 padding.
///
/// Created once per key; per packet only the IV is set again (`EVP_CipherInit_ex2` with no cipher
/// and no key), so the packet path does no fetch and no key schedule. Not thread-safe: use it from
/// one queue at a time (the daemon has one per TX or RX queue).
public final class CBCCipher: @unchecked Sendable {
    public enum Operation: Sendable { case encrypt, decrypt }

    public let operation: Operation
    public let blockSize: Int
    public let ivLength: Int
    public let keyLength: Int
    private let cipher: OpaquePointer
    private let context: OpaquePointer
    /// The same key in ECB mode, for `encryptLanes` (encrypt contexts of 16-byte block ciphers whose
    /// ECB variant this OpenSSL has; nil otherwise).
    let laneContext: OpaquePointer?

    /// - Parameters:
    ///   - name: OpenSSL cipher name (`AES-256-CBC`, `BF-CBC`...); must be a CBC mode cipher.
    ///   - key: exactly the cipher's default key length.
    public convenience init(name: String, key: some Collection<UInt8>, operation: Operation) throws(CryptoError) {
        var bytes = Array(key)
        defer { SecureMemory.wipe(&bytes) }
        let made = bytes.withUnsafeBytes { raw in
            Result { () throws(CryptoError) in try Self.make(name: name, key: raw, operation: operation) }
        }
        try self.init(made: made.get(), operation: operation)
    }

    private init(made: (cipher: OpaquePointer, context: OpaquePointer, lanes: OpaquePointer?), operation: Operation) {
        self.cipher = made.cipher
        self.context = made.context
        self.laneContext = made.lanes
        self.operation = operation
        self.keyLength = Int(EVP_CIPHER_get_key_length(made.cipher))
        self.blockSize = Int(EVP_CIPHER_get_block_size(made.cipher))
        self.ivLength = Int(EVP_CIPHER_get_iv_length(made.cipher))
    }

    private static func make(name: String, key: UnsafeRawBufferPointer, operation: Operation) throws(CryptoError)
        -> (cipher: OpaquePointer, context: OpaquePointer, lanes: OpaquePointer?)
    {
        guard let cipher = EVP_CIPHER_fetch(nil, name, nil) else { throw Self.unavailableError(name) }
        guard EVP_CIPHER_get_mode(cipher) == EVP_CIPH_CBC_MODE else {
            EVP_CIPHER_free(cipher)
            throw CryptoError(
                message: "Cipher '\(name)' mode not supported (static-key mode needs CBC)", openSSLErrors: [])
        }
        let keyLength = Int(EVP_CIPHER_get_key_length(cipher))
        guard key.count == keyLength else {
            EVP_CIPHER_free(cipher)
            throw CryptoError(
                message: "Cipher \(name) needs a \(keyLength)-byte key, got \(key.count)", openSSLErrors: [])
        }
        guard let context = EVP_CIPHER_CTX_new() else {
            EVP_CIPHER_free(cipher)
            throw CryptoError.fromQueue("EVP_CIPHER_CTX_new failed")
        }
        let enc: Int32 = operation == .encrypt ? 1 : 0
        guard
            EVP_CipherInit_ex2(context, cipher, key.baseAddress?.assumingMemoryBound(to: UInt8.self), nil, enc, nil)
                == 1
        else {
            EVP_CIPHER_CTX_free(context)
            EVP_CIPHER_free(cipher)
            throw CryptoError.fromQueue("Cannot initialise cipher \(name)")
        }
        let lanes = operation == .encrypt ? makeLaneContext(cbcName: name, cipher: cipher, key: key) : nil
        return (cipher, context, lanes)
    }

    deinit {
        if let laneContext { EVP_CIPHER_CTX_free(laneContext) }
        EVP_CIPHER_CTX_free(context)
        EVP_CIPHER_free(cipher)
    }

    /// Encrypts `data[0..<length]` in place, appending PKCS#7 padding (1...blockSize bytes), so
    /// the caller must own `length + blockSize` bytes. Returns the ciphertext length, or nil if
    /// libcrypto failed (never expected for CBC encryption; the error queue is cleared).
    public func encrypt(_ data: UnsafeMutableRawPointer, length: Int, iv: UnsafeRawPointer) -> Int? {
        precondition(operation == .encrypt)
        return run(data, length: length, iv: iv)
    }

    /// Decrypts `data[0..<length]` in place and strips the padding. Returns the plaintext length,
    /// or nil when the padding (or the block alignment) is wrong: OpenVPN's "cipher final failed".
    public func decrypt(_ data: UnsafeMutableRawPointer, length: Int, iv: UnsafeRawPointer) -> Int? {
        precondition(operation == .decrypt)
        return run(data, length: length, iv: iv)
    }

    @inline(__always)
    private func run(_ data: UnsafeMutableRawPointer, length: Int, iv: UnsafeRawPointer) -> Int? {
        guard length >= 0, length <= Int(Int32.max) - blockSize else { return nil }
        let bytes = data.assumingMemoryBound(to: UInt8.self)
        let enc: Int32 = operation == .encrypt ? 1 : 0
        var updated: Int32 = 0
        var finished: Int32 = 0
        // EVP allows output == input (not partial overlap), which is what in-place means here.
        guard EVP_CipherInit_ex2(context, nil, nil, iv.assumingMemoryBound(to: UInt8.self), enc, nil) == 1,
            EVP_CipherUpdate(context, bytes, &updated, bytes, Int32(length)) == 1,
            EVP_CipherFinal_ex(context, bytes + Int(updated), &finished) == 1
        else {
            // Bad padding is wire input, not a bug: drop the queued error so it cannot pile up.
            ERR_clear_error()
            return nil
        }
        return Int(updated) + Int(finished)
    }

    static func unavailableError(_ name: String) -> CryptoError {
        let queued = CryptoError.drainErrorQueue()
        let legacyNames = ["BF-CBC", "CAST5-CBC", "DES-CBC", "DESX-CBC", "IDEA-CBC", "RC2-CBC", "SEED-CBC", "RC5-CBC"]
        if legacyNames.contains(name.uppercased()) && !CryptoProviders.isAvailable("legacy") {
            return CryptoError(
                message: "Cipher \(name) not available: OpenSSL 3 keeps it in the legacy provider; "
                    + "add `providers legacy default`", openSSLErrors: queued)
        }
        return CryptoError(message: "Cipher \(name) not supported by this OpenSSL", openSSLErrors: queued)
    }
}
