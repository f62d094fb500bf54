import SwvpnConfig
import SwvpnCrypto
import SwvpnLinux
import SwvpnProtocol

/// `--show-ciphers`, `--show-digests`, `--test-crypto`: openvpn's command-line actions, in the shape of
/// openvpn 2.6's output, limited to what static-key mode can use here.
enum CryptoActions {
    /// Loads the providers named by `--providers a b ...` among the arguments, as openvpn does before
    /// listing (OpenSSL's default provider alone hides BF-CBC and the other legacy ciphers).
    static func loadProviders(from arguments: [String]) throws {
        guard let index = arguments.firstIndex(of: "--providers") else { return }
        let names = arguments[(index + 1)...].prefix { !$0.hasPrefix("--") }
        try CryptoProviders.load(Array(names))
    }

    static func showCiphers(arguments: [String]) throws {
        try loadProviders(from: arguments)
        let usable = CipherSpec.all.filter { !$0.isNone && AlgorithmAvailability.cipher($0.name) }
        print(
            """
            The following ciphers are available for use with swvpnd in static-key mode, with the
            OpenSSL providers loaded now (add --providers legacy default for the legacy ones).
            Each cipher shown below may be used as a parameter to the --cipher option.
            Static-key mode allows CBC ciphers only, and none.
            See also openssl list -cipher-algorithms

            """)
        for cipher in usable where cipher.blockSize >= 16 { print(line(cipher)) }
        print(
            """

            The following ciphers have a block size of less than 128 bits,
            and are therefore deprecated.  Do not use unless you have to.

            """)
        for cipher in usable where cipher.blockSize < 16 { print(line(cipher)) }
    }

    private static func line(_ cipher: CipherSpec) -> String {
        "\(cipher.name)  (\(cipher.keyBits) bit key, \(cipher.blockSize * 8) bit block)"
    }

    static func showDigests(arguments: [String]) throws {
        try loadProviders(from: arguments)
        print(
            """
            The following message digests are available for use with swvpnd.
            A message digest is used in conjunction with the HMAC function,
            to authenticate received packets. You can specify a message digest
            as parameter to the --auth option (or none).
            See also openssl list -digest-algorithms

            """)
        for digest in DigestSpec.all where !digest.isNone && AlgorithmAvailability.digest(digest.name) {
            print("\(digest.name) \(digest.length * 8) bit digest size")
        }
    }

    /// Payload lengths 1 ... tun-mtu + 268, the range openvpn 2.6 tests (1 ... 1768 at tun-mtu 1500).
    static func testCrypto(arguments: [String]) throws {
        let (config, key) = try Loading.load(arguments: arguments)
        for warning in config.warnings { print("warning: \(warning)") }
        try CryptoProviders.load(config.providers)
        let test = try CryptoSelfTest(key: key, direction: config.keyDirection, layout: config.frameLayout)
        print("Entering swvpnd crypto self-test mode (cipher \(config.cipher), auth \(config.digest)).")
        do throws(CryptoSelfTest.Failure) {
            try test.run(maxLength: config.tunMTU + 268, now: Clock.wallSeconds()) {
                print("TESTING ENCRYPT/DECRYPT of packet length=\($0)")
            }
        } catch {
            throw Loading.Failure(description: "crypto self-test FAILED: \(error)")
        }
        print("swvpnd crypto self-test mode SUCCEEDED.")
    }
}
