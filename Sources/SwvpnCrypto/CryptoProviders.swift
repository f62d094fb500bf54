import CLibcrypto

/// OpenSSL 3 providers in the default library context. Corresponds to OpenVPN `--providers`.
///
/// Loading any provider explicitly stops OpenSSL from auto-loading `default`, which is why
/// OpenVPN users write `providers legacy default`; `ensureAvailable(cipher:)` loads both.
public enum CryptoProviders {
    /// Loads each named provider unless it is already available. Loaded providers stay loaded for
    /// the life of the process (OpenSSL keeps them; we never unload). Thread-safe: OpenSSL
    /// serialises provider loading, and a racing double load only bumps a reference count.
    public static func load(_ names: [String]) throws(CryptoError) {
        for name in names {
            if OSSL_PROVIDER_available(nil, name) == 1 { continue }
            guard OSSL_PROVIDER_load(nil, name) != nil else {
                throw CryptoError.fromQueue("Cannot load OpenSSL provider '\(name)'")
            }
        }
    }

    public static func isAvailable(_ name: String) -> Bool {
        OSSL_PROVIDER_available(nil, name) == 1
    }

    /// Makes sure `cipherName` can be fetched, loading `legacy` + `default` when
    /// `needsLegacyProvider` says so (unlike OpenVPN 2.6, whose own BF-CBC default fails on
    /// OpenSSL 3 without `providers legacy default`).
    public static func ensureAvailable(cipherName: String, needsLegacyProvider: Bool) throws(CryptoError) {
        if needsLegacyProvider {
            do throws(CryptoError) {
                try load(["legacy", "default"])
            } catch {
                throw CryptoError(
                    message: "Cipher \(cipherName) not available: OpenSSL 3 keeps it in the legacy provider, "
                        + "which could not be loaded (is ossl-modules/legacy.so installed?)",
                    openSSLErrors: error.openSSLErrors)
            }
        }
        guard let cipher = EVP_CIPHER_fetch(nil, cipherName, nil) else {
            throw CBCCipher.unavailableError(cipherName)
        }
        EVP_CIPHER_free(cipher)
    }
}
