import CLibcrypto

/// Cryptographically secure random bytes from OpenSSL's DRBG (`RAND_bytes`).
public enum SecureRandom {
    /// Fills `buffer` completely. RAND_bytes takes an `Int32` count, so large buffers go in chunks.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        guard var base = buffer.baseAddress else { return }
        var remaining = buffer.count
        while remaining > 0 {
            let chunk = min(remaining, 1 << 20)
            guard RAND_bytes(base.assumingMemoryBound(to: UInt8.self), Int32(chunk)) == 1 else {
                throw CryptoError.fromQueue("RAND_bytes failed: the OpenSSL random generator is not seeded")
            }
            base += chunk
            remaining -= chunk
        }
    }

    public static func bytes(count: Int) throws(CryptoError) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        let outcome = result.withUnsafeMutableBytes { buffer in Result { () throws(CryptoError) in try fill(buffer) } }
        try outcome.get()
        return result
    }
}

/// Compares `count` bytes in time independent of their contents (`CRYPTO_memcmp`), for MACs.
@inline(__always)
public func constantTimeEquals(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Bool {
    CRYPTO_memcmp(a, b, count) == 0
}
