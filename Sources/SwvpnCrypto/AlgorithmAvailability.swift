import CLibcrypto

/// Whether OpenSSL can fetch an algorithm with the providers loaded right now (what
/// `--show-ciphers` / `--show-digests` list, like openvpn's lists).
public enum AlgorithmAvailability {
    public static func cipher(_ name: String) -> Bool {
        guard let cipher = EVP_CIPHER_fetch(nil, name, nil) else {
            ERR_clear_error()
            return false
        }
        EVP_CIPHER_free(cipher)
        return true
    }

    public static func digest(_ name: String) -> Bool {
        guard let digest = EVP_MD_fetch(nil, name, nil) else {
            ERR_clear_error()
            return false
        }
        EVP_MD_free(digest)
        return true
    }
}
