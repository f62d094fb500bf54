import CLibcrypto

/// One-shot SHA-256 and HMAC-SHA256 over byte arrays, for request signing (AWS SigV4): small inputs,
/// a few calls per API request, so allocation does not matter here as it does on the packet path.
public enum SHA256Digest {
    public static let length = 32

    public static func hash(_ data: [UInt8]) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        var written: UInt32 = 0
        let ok = data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &written, EVP_sha256(), nil) == 1
            }
        }
        guard ok, written == length else { throw CryptoError.fromQueue("SHA-256 failed") }
        return out
    }

    public static func hmac(key: [UInt8], data: [UInt8]) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        var written: UInt32 = 0
        // HMAC() wants a non-NULL key pointer even for an empty key.
        let keyBytes = key.isEmpty ? [0] : key
        let ok = keyBytes.withUnsafeBufferPointer { k in
            data.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { output in
                    HMAC(
                        EVP_sha256(), k.baseAddress, Int32(key.count), input.baseAddress, input.count,
                        output.baseAddress, &written) != nil
                }
            }
        }
        guard ok, written == length else { throw CryptoError.fromQueue("HMAC-SHA256 failed") }
        return out
    }
}
