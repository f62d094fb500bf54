import CLibcrypto

/// An HMAC context bound to one digest and key.
///
/// The key is set once. For OpenVPN's digests (MD5, SHA1, SHA224/256/384/512) the inner and outer
/// padded-key states are hashed once and kept; a packet copies them (a fixed-size struct copy) and
/// runs libcrypto's low-level digest on top. That is RFC 2104 HMAC, byte for byte, with no heap
/// allocation: on OpenSSL 3.0 `EVP_MAC_init(ctx, NULL, 0, NULL)` and `HMAC_Init_ex(ctx, NULL, ...)`
/// duplicate the provider digest context (`dupctx`) twice per packet, i.e. 2 mallocs + 2 frees
/// (measured with `CRYPTO_set_mem_functions`; Benchmarks/README.md). Any other digest name goes
/// through `EVP_MAC` "HMAC", re-initialised per packet. Not thread-safe.
public final class HMACContext: @unchecked Sendable {
    /// Output size in bytes (the digest length).
    public let length: Int
    private let mac: OpaquePointer?
    private let context: OpaquePointer?
    private let fast: PrecomputedHMAC?

    public convenience init(digest: String, key: some Collection<UInt8>) throws(CryptoError) {
        var bytes = Array(key)
        defer { SecureMemory.wipe(&bytes) }
        if let kind = PrecomputedHMAC.Kind(digest: digest) {
            let fast = bytes.withUnsafeBytes { PrecomputedHMAC(kind: kind, key: $0) }
            self.init(fast: fast)
            return
        }
        let made = bytes.withUnsafeBytes { raw in
            Result { () throws(CryptoError) in try Self.make(digest: digest, key: raw) }
        }
        try self.init(made: made.get())
    }

    private init(made: (mac: OpaquePointer, context: OpaquePointer)) {
        self.mac = made.mac
        self.context = made.context
        self.fast = nil
        self.length = EVP_MAC_CTX_get_mac_size(made.context)
    }

    private init(fast: PrecomputedHMAC) {
        self.mac = nil
        self.context = nil
        self.fast = fast
        self.length = fast.kind.length
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
        // OSSL_PARAM keeps the pointers it is given: the parameter name must outlive EVP_MAC_init too
        // (a String passed straight in is a temporary C string, freed after the construct call).
        let ok = OSSL_MAC_PARAM_DIGEST.withCString { parameter in
            digestName.withUnsafeMutableBufferPointer { name -> Bool in
                var params = [
                    OSSL_PARAM_construct_utf8_string(parameter, name.baseAddress, 0),
                    OSSL_PARAM_construct_end(),
                ]
                // A zero-length key is legal HMAC, but OpenSSL wants a non-NULL pointer for it.
                var empty: UInt8 = 0
                let keyPointer = key.baseAddress?.assumingMemoryBound(to: UInt8.self)
                return withUnsafeMutablePointer(to: &empty) { emptyPointer in
                    EVP_MAC_init(context, keyPointer ?? UnsafePointer(emptyPointer), key.count, &params) == 1
                }
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
        if let context { EVP_MAC_CTX_free(context) }
        if let mac { EVP_MAC_free(mac) }
    }

    /// HMAC of `data[0..<count]` written to `output[0..<length]`. False only if libcrypto failed.
    /// `output` may not overlap the input.
    @inline(__always)
    public func authenticate(_ data: UnsafeRawPointer, count: Int, into output: UnsafeMutableRawPointer) -> Bool {
        if let fast { return fast.authenticate(data, count: count, into: output) }
        return authenticateEVP(data, count: count, into: output)
    }

    private func authenticateEVP(_ data: UnsafeRawPointer, count: Int, into output: UnsafeMutableRawPointer) -> Bool {
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
