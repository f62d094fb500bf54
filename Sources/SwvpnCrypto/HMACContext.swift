import CLibcrypto

/// An HMAC context bound to one digest and key (`EVP_MAC` "HMAC").
///
/// The key is set once; each packet re-initialises with `EVP_MAC_init(ctx, NULL, 0, NULL)`, which
/// keeps the key, so no key processing or fetch happens per packet. Not thread-safe.
public final class HMACContext: @unchecked Sendable {
    /// Output size in bytes (the digest length).
    public let length: Int
    private let mac: OpaquePointer
    private let context: OpaquePointer

    public convenience init(digest: String, key: some Collection<UInt8>) throws(CryptoError) {
        let bytes = Array(key)
        let made = bytes.withUnsafeBytes { raw in Result { () throws(CryptoError) in try Self.make(digest: digest, key: raw) } }
        try self.init(made: made.get())
    }

    private init(made: (mac: OpaquePointer, context: OpaquePointer)) {
        self.mac = made.mac
        self.context = made.context
        self.length = EVP_MAC_CTX_get_mac_size(made.context)
    }

    private static func make(digest: String, key: UnsafeRawBufferPointer) throws(CryptoError)
        -> (mac: OpaquePointer, context: OpaquePointer)
    {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else {
            throw CryptoError.fromQueue("HMAC not available from OpenSSL")
        }
        guard let context = EVP_MAC_CTX_new(mac) else {
            EVP_MAC_free(mac)
            throw CryptoError.fromQueue("EVP_MAC_CTX_new failed")
        }
        var digestName = Array(digest.utf8CString)
        let ok = digestName.withUnsafeMutableBufferPointer { name -> Bool in
            var params = [
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name.baseAddress, 0),
                OSSL_PARAM_construct_end(),
            ]
            // A zero-length key is legal HMAC, but OpenSSL wants a non-NULL pointer for it.
            var empty: UInt8 = 0
            let keyPointer = key.baseAddress?.assumingMemoryBound(to: UInt8.self)
            return withUnsafeMutablePointer(to: &empty) { emptyPointer in
                EVP_MAC_init(context, keyPointer ?? UnsafePointer(emptyPointer), key.count, &params) == 1
            }
        }
        guard ok else {
            EVP_MAC_CTX_free(context)
            EVP_MAC_free(mac)
            throw CryptoError.fromQueue("Digest '\(digest)' not available for HMAC")
        }
        return (mac, context)
    }

    deinit {
        EVP_MAC_CTX_free(context)
        EVP_MAC_free(mac)
    }

    /// HMAC of `data[0..<count]` written to `output[0..<length]`. False only if libcrypto failed.
    /// `output` may not overlap the input.
    public func authenticate(_ data: UnsafeRawPointer, count: Int, into output: UnsafeMutableRawPointer) -> Bool {
        var written = 0
        guard EVP_MAC_init(context, nil, 0, nil) == 1,
            EVP_MAC_update(context, data.assumingMemoryBound(to: UInt8.self), count) == 1,
            EVP_MAC_final(context, output.assumingMemoryBound(to: UInt8.self), &written, length) == 1,
            written == length
        else {
            ERR_clear_error()
            return false
        }
        return true
    }
}
