import CLibcrypto

/// A CTR-DRBG (NIST SP 800-90A, AES-256) that belongs to one owner, for the sealer's CBC IVs.
///
/// Why not `RAND_bytes`: OpenSSL 3 keeps its public DRBG per thread and builds it (~20 mallocs) the
/// first time a thread asks, and Dispatch runs a queue on whichever worker thread is free, so the
/// TX loop paid that again on every new worker. This instance is its owner's alone: `fill` takes no
/// lock and never allocates. It has no parent (OpenSSL seeds it from the operating system, so a
/// reseed of OpenSSL's primary DRBG never propagates into `fill`), its automatic reseeds (by count
/// and by time) are off, and the owner calls `reseed()` on a schedule, off the packet path.
/// Output is unpredictable without the internal state, which is what CBC IVs need.
///
/// Not thread-safe: one owner (the TX queue) at a time.
public final class OwnedDRBG: @unchecked Sendable {
    private let rand: OpaquePointer
    private let context: OpaquePointer
    /// CTR-DRBG's largest single request (OpenSSL: 1 << 16 bytes).
    public static let maxRequest = 1 << 16

    /// Instantiates with 256-bit security strength; `personalization` separates its output from
    /// every other instance's (SP 800-90A §8.7.1).
    public init(personalization: String) throws(CryptoError) {
        guard let rand = EVP_RAND_fetch(nil, "CTR-DRBG", nil) else {
            throw CryptoError.fromQueue("CTR-DRBG not available from OpenSSL")
        }
        guard let context = EVP_RAND_CTX_new(rand, nil) else {
            EVP_RAND_free(rand)
            throw CryptoError.fromQueue("EVP_RAND_CTX_new(CTR-DRBG) failed")
        }
        var cipher = Array("AES-256-CTR".utf8CString)
        var noRequestLimit: UInt32 = 0
        var noTimeLimit = 0  // time_t
        var label = Array(personalization.utf8)
        let ok = cipher.withUnsafeMutableBufferPointer { cipherName in
            OSSL_DRBG_PARAM_CIPHER.withCString { cipherKey in
                OSSL_DRBG_PARAM_RESEED_REQUESTS.withCString { requestsKey in
                    OSSL_DRBG_PARAM_RESEED_TIME_INTERVAL.withCString { timeKey in
                        var params = [
                            OSSL_PARAM_construct_utf8_string(cipherKey, cipherName.baseAddress, 0),
                            OSSL_PARAM_construct_uint(requestsKey, &noRequestLimit),
                            OSSL_PARAM_construct_time_t(timeKey, &noTimeLimit),
                            OSSL_PARAM_construct_end(),
                        ]
                        return EVP_RAND_CTX_set_params(context, &params) == 1
                            && EVP_RAND_instantiate(context, 256, 0, &label, label.count, nil) == 1
                    }
                }
            }
        }
        guard ok else {
            EVP_RAND_CTX_free(context)
            EVP_RAND_free(rand)
            throw CryptoError.fromQueue("Cannot instantiate CTR-DRBG (AES-256-CTR)")
        }
        self.rand = rand
        self.context = context
    }

    deinit {
        // Uninstantiating wipes the DRBG's key and counter.
        _ = EVP_RAND_uninstantiate(context)
        EVP_RAND_CTX_free(context)
        EVP_RAND_free(rand)
    }

    /// Fills `count` bytes at `bytes` (at most `maxRequest`). False on failure (never expected once
    /// instantiated; the error queue is cleared).
    @inline(__always)
    public func fill(_ bytes: UnsafeMutableRawPointer, count: Int) -> Bool {
        guard count > 0 else { return true }
        guard count <= Self.maxRequest,
            EVP_RAND_generate(context, bytes.assumingMemoryBound(to: UInt8.self), count, 256, 0, nil, 0) == 1
        else {
            ERR_clear_error()
            return false
        }
        return true
    }

    /// Mixes fresh entropy from the operating system into the state (a few transient allocations
    /// inside OpenSSL: call it from the owner, off the packet path).
    @discardableResult
    public func reseed() -> Bool {
        guard EVP_RAND_reseed(context, 0, nil, 0, nil, 0) == 1 else {
            ERR_clear_error()
            return false
        }
        return true
    }
}
